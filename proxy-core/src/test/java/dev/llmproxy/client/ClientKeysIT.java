package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.config.ClientKeyDigest;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Client keys from the {@code clients:} section of a {@code CONFIG_FILE}, through a running proxy: only listed keys
 * get in (in each header a client may use), a key never travels upstream, the allow-list refuses other models, and
 * each client's own limits (rpm, concurrency, reject or queue) answer 429 {@code client_rate_limit} with
 * {@code Retry-After} and the client's own rate-limit headers; {@code /v1/stats} counts per client.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientKeysIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String KEY = "team-a-key-0123456789";
    private static final String UPSTREAM_KEY = "upstream-key-abcdef";

    @TempDir
    Path dir;

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static String sha256(String key) {
        return ClientKeyDigest.of(key).hex();
    }

    /**
     * One upstream {@code local} (key {@value #UPSTREAM_KEY}, models llama3.2:3b and qwen3:8b, the route fast over
     * both) and one client {@code team-a} with key {@value #KEY} and {@code clientExtra} (indented YAML lines).
     */
    private void start(String clientExtra, String... settings) throws IOException {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("ok")));
        startProxy(upstream.baseUrl() + "/v1", clientExtra, settings);
    }

    private void startProxy(String localBaseUrl, String clientExtra, String... settings) throws IOException {
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: local
                    kind: openai-compatible
                    base_url: %s
                    api_key: %s
                    models: [llama3.2:3b, qwen3:8b]
                routes:
                  fast: [local/llama3.2:3b, local/qwen3:8b]
                clients:
                  - name: team-a
                    key_sha256: %s
                %s
                  - name: team-b
                    key_sha256: %s
                """.formatted(localBaseUrl, UPSTREAM_KEY, sha256(KEY), clientExtra, sha256("team-b-key-xyz")),
                StandardCharsets.UTF_8);
        Map<String, String> all = ProxyUnderTest.settings(settings);
        all.put("CONFIG_FILE", file.toString());
        proxy = ProxyUnderTest.start(all);
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private HttpResponse<String> chatWithKey(String model) throws IOException, InterruptedException {
        return proxy.postJson("/v1/chat/completions", chat(model), "Authorization", "Bearer " + KEY);
    }

    private CompletableFuture<HttpResponse<String>> chatAsync(String model) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(chat(model)))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String body) throws IOException {
        return Json.MAPPER.readTree(body);
    }

    private static void assertKeyNotForwarded(RecordedRequest got) {
        assertThat(got.headers().toString()).doesNotContain(KEY);
        assertThat(got.header("Authorization")).isEqualTo("Bearer " + UPSTREAM_KEY);
        assertThat(got.header("X-Proxy-Key")).isNull();
        assertThat(got.header("x-api-key")).isNull();
    }

    // ---------------------------------------------------------------- keys

    @Test
    void withoutAListedKeyTheRequestIsRefused() throws Exception {
        start("");
        HttpResponse<String> none = proxy.postJson("/v1/chat/completions", chat("llama3.2:3b"));
        assertThat(none.statusCode()).isEqualTo(401);
        HttpResponse<String> unlisted = proxy.postJson("/v1/chat/completions", chat("llama3.2:3b"),
                "Authorization", "Bearer not-a-listed-key");
        assertThat(unlisted.statusCode()).isEqualTo(401);
        assertThat(json(unlisted.body()).at("/error/code").asText()).isEqualTo("proxy_key_invalid");
        assertThat(proxy.get("/v1/models", "X-Proxy-Key", "not-a-listed-key").statusCode()).isEqualTo(401);
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void aListedKeyIsAcceptedInEachHeaderAndNeverForwarded() throws Exception {
        start("");
        String[][] ways = {{"Authorization", "Bearer " + KEY}, {"X-Proxy-Key", KEY}, {"x-api-key", KEY}};
        for (String[] way : ways) {
            HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("llama3.2:3b"), way[0], way[1]);
            assertThat(r.statusCode()).as(way[0] + ": " + r.body()).isEqualTo(200);
            RecordedRequest got = upstream.awaitRequest(WAIT);
            assertKeyNotForwarded(got);
        }
    }

    @Test
    void aClientKeyIsNotTakenForTheClientsOwnUpstreamKeyEvenWhenTheModePrefersTheRequestsKey() throws Exception {
        start("", "PROXY_AUTH_MODE", "prefer-request");
        HttpResponse<String> r = chatWithKey("llama3.2:3b");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertKeyNotForwarded(upstream.awaitRequest(WAIT));
    }

    // ---------------------------------------------------------------- allow-list

    @Test
    void aModelOutsideTheAllowListIsForbidden() throws Exception {
        start("    models: [llama3.2:3b]");
        HttpResponse<String> allowed = chatWithKey("llama3.2:3b");
        assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);

        HttpResponse<String> other = chatWithKey("qwen3:8b");
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(json(other.body()).at("/error/code").asText()).isEqualTo("model_not_allowed");
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void anAliasWhoseTargetsAreNotAllAllowedIsForbidden() throws Exception {
        // team-a may use llama3.2:3b only; the alias fast would fail over to qwen3:8b, which it may not use
        start("    models: [llama3.2:3b]");
        upstream.handler((request, exchange) -> exchange.respondJson(
                request.bodyJson().path("model").asText().equals("llama3.2:3b") ? 503 : 200,
                FakeUpstream.chatCompletion("answered by " + request.bodyJson().path("model").asText())));

        HttpResponse<String> r = chatWithKey("fast");
        assertThat(r.statusCode()).as("answered " + r.body() + " by " + upstream.requests()).isEqualTo(403);
        assertThat(json(r.body()).at("/error/code").asText()).isEqualTo("model_not_allowed");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void anAllowedAliasMayBeUsed() throws Exception {
        start("    models: [fast]");
        HttpResponse<String> r = chatWithKey("fast");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(upstream.awaitRequest(WAIT).bodyJson().path("model").asText()).isEqualTo("llama3.2:3b");
        assertThat(chatWithKey("qwen3:8b").statusCode()).isEqualTo(403);
    }

    // ---------------------------------------------------------------- limits

    @Test
    void overItsRequestsPerMinuteAClientIsRefusedWithRetryAfter() throws Exception {
        start("    limits: {rpm: 2}");
        HttpResponse<String> first = chatWithKey("llama3.2:3b");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-ratelimit-limit-requests")).hasValue("2");
        assertThat(first.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("1");
        assertThat(first.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
        HttpResponse<String> second = chatWithKey("llama3.2:3b");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");

        HttpResponse<String> third = chatWithKey("llama3.2:3b");
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(json(third.body()).at("/error/code").asText()).isEqualTo("client_rate_limit");
        assertThat(third.headers().firstValue("Retry-After")).hasValueSatisfying(
                s -> assertThat(Long.parseLong(s)).isBetween(1L, 30L));
        assertThat(upstream.requests()).hasSize(2);

        // another client's allowance is its own
        HttpResponse<String> other = proxy.postJson("/v1/chat/completions", chat("llama3.2:3b"),
                "X-Proxy-Key", "team-b-key-xyz");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.headers().firstValue("x-ratelimit-limit-requests")).isEmpty();
    }

    @Test
    void overItsConcurrencyAClientIsRefusedUntilItsRequestEnds() throws Exception {
        start("    limits: {concurrency: 1}");
        CompletableFuture<FakeUpstream.Exchange> held = new CompletableFuture<>();
        upstream.handler((request, exchange) -> held.complete(exchange));

        CompletableFuture<HttpResponse<String>> slow = chatAsync("llama3.2:3b");
        upstream.awaitRequest(WAIT);
        HttpResponse<String> second = chatWithKey("llama3.2:3b");
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(json(second.body()).at("/error/code").asText()).isEqualTo("client_rate_limit");
        assertThat(second.headers().firstValue("Retry-After")).isPresent();

        held.get(10, TimeUnit.SECONDS).respondJson(200, FakeUpstream.chatCompletion("slow"));
        assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("ok")));
        await().atMost(WAIT).untilAsserted(() -> assertThat(chatWithKey("llama3.2:3b").statusCode())
                .as("the slot came back when the first request ended").isEqualTo(200));
    }

    @Test
    void aClientThatLeavesMidRequestGivesItsConcurrencySlotBack() throws Exception {
        start("    limits: {concurrency: 1}");
        upstream.handler((request, exchange) -> {
        }); // never answers
        String body = chat("llama3.2:3b");
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send("POST /v1/chat/completions HTTP/1.1\nHost: proxy\nContent-Type: application/json\n"
                    + "X-Proxy-Key: " + KEY + "\nContent-Length: " + body.length() + "\n",
                    body.getBytes(StandardCharsets.UTF_8));
            upstream.awaitRequest(WAIT);
            assertThat(chatWithKey("llama3.2:3b").statusCode()).as("its one slot is taken").isEqualTo(429);
            client.abort();
        }
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("ok")));
        await().atMost(WAIT).untilAsserted(() -> assertThat(chatWithKey("llama3.2:3b").statusCode())
                .isEqualTo(200));
    }

    @Test
    void overItsMonthlyTokensAClientIsRefusedAsOverBudget() throws Exception {
        // each answer reports 5 tokens (FakeUpstream.chatCompletion): the first request spends the budget
        start("    limits: {monthly_tokens: 5}");
        assertThat(chatWithKey("llama3.2:3b").statusCode()).isEqualTo(200);

        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> over = chatWithKey("llama3.2:3b");
            assertThat(over.statusCode()).isEqualTo(429);
            assertThat(json(over.body()).at("/error/code").asText()).isEqualTo("client_budget_exhausted");
        });
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void overItsTokensPerMinuteAClientWaits() throws Exception {
        start("    limits: {tpm: 4}");
        HttpResponse<String> first = chatWithKey("llama3.2:3b");
        assertThat(first.statusCode()).isEqualTo(200);

        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> over = chatWithKey("llama3.2:3b");
            assertThat(over.statusCode()).isEqualTo(429);
            assertThat(json(over.body()).at("/error/code").asText()).isEqualTo("client_rate_limit");
            assertThat(over.headers().firstValue("Retry-After")).isPresent();
        });
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void aQueueingClientWaitsForItsSlotInsteadOfBeingRefused() throws Exception {
        start("    limits: {concurrency: 1}\n    over_limit: queue");
        CompletableFuture<FakeUpstream.Exchange> held = holdFirstThenAnswer("second");

        CompletableFuture<HttpResponse<String>> slow = chatAsync("llama3.2:3b");
        upstream.awaitRequest(WAIT);
        CompletableFuture<HttpResponse<String>> queued = chatAsync("llama3.2:3b");
        Thread.sleep(300);
        assertThat(queued).as("waits while the first is in flight").isNotDone();
        assertThat(upstream.requests()).hasSize(1);

        held.get(10, TimeUnit.SECONDS).respondJson(200, FakeUpstream.chatCompletion("first"));
        assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        HttpResponse<String> second = queued.get(10, TimeUnit.SECONDS);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(json(second.body()).at("/choices/0/message/content").asText()).isEqualTo("second");
    }

    @Test
    void aQueueingClientThatLeavesWhileWaitingForItsLimitIsNeverSentUpstream() throws Exception {
        start("    limits: {concurrency: 1}\n    over_limit: queue");
        CompletableFuture<FakeUpstream.Exchange> held = holdFirstThenAnswer("later");
        CompletableFuture<HttpResponse<String>> slow = chatAsync("llama3.2:3b");
        upstream.awaitRequest(WAIT);

        String body = chat("llama3.2:3b");
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send("POST /v1/chat/completions HTTP/1.1\nHost: proxy\nContent-Type: application/json\n"
                    + "X-Proxy-Key: " + KEY + "\nContent-Length: " + body.length() + "\n",
                    body.getBytes(StandardCharsets.UTF_8));
            await().atMost(WAIT).untilAsserted(() -> assertThat(teamA().path("rejected_total").asLong())
                    .as("the second request waits for the client's slot").isPositive());
            client.abort();
        }
        held.get(10, TimeUnit.SECONDS).respondJson(200, FakeUpstream.chatCompletion("first"));
        assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        // the abandoned request's retry comes due after a second: it must find its request gone (its body released)
        await().during(Duration.ofMillis(1500)).atMost(WAIT).untilAsserted(() ->
                assertThat(upstream.requests()).as("the client that left is not sent upstream").hasSize(1));
        assertThat(chatWithKey("llama3.2:3b").statusCode()).as("its slot is free").isEqualTo(200);
        assertThat(upstream.requests()).hasSize(2);
    }

    /** {@code team-a}'s entry in {@code /v1/stats}. */
    private JsonNode teamA() throws IOException, InterruptedException {
        for (JsonNode c : json(proxy.get("/v1/stats", "X-Proxy-Key", KEY).body()).path("clients")) {
            if (c.path("name").asText().equals("team-a")) {
                return c;
            }
        }
        return Json.MAPPER.createObjectNode();
    }

    @Test
    void statsShowEachClientsRequests() throws Exception {
        start("    limits: {rpm: 2}");
        assertThat(chatWithKey("llama3.2:3b").statusCode()).isEqualTo(200);
        assertThat(chatWithKey("llama3.2:3b").statusCode()).isEqualTo(200);
        assertThat(chatWithKey("llama3.2:3b").statusCode()).isEqualTo(429);

        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> stats = proxy.get("/v1/stats", "X-Proxy-Key", KEY);
            assertThat(stats.statusCode()).isEqualTo(200);
            JsonNode clients = json(stats.body()).path("clients");
            JsonNode a = null;
            JsonNode b = null;
            for (JsonNode c : clients) {
                if (c.path("name").asText().equals("team-a")) {
                    a = c;
                } else if (c.path("name").asText().equals("team-b")) {
                    b = c;
                }
            }
            assertThat(a).as(stats.body()).isNotNull();
            assertThat(a.path("requests_total").asLong()).isEqualTo(2);
            assertThat(a.path("rejected_total").asLong()).isEqualTo(1);
            assertThat(a.path("in_flight").asLong()).isZero();
            assertThat(a.path("limits").path("rpm").asLong()).isEqualTo(2);
            assertThat(b == null || b.path("requests_total").asLong() == 0).as(stats.body()).isTrue();
        });
        assertThat(upstream.requests()).hasSize(2);
    }

    /** The upstream keeps the first request unanswered (the test answers it) and later ones get {@code content}. */
    private CompletableFuture<FakeUpstream.Exchange> holdFirstThenAnswer(String content) {
        CompletableFuture<FakeUpstream.Exchange> held = new CompletableFuture<>();
        upstream.handler((request, exchange) -> {
            if (!held.isDone()) {
                held.complete(exchange);
            } else {
                exchange.respondJson(200, FakeUpstream.chatCompletion(content));
            }
        });
        return held;
    }
}
