package dev.llmproxy.admission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Admission end to end: every rejection with its status, envelope, {@code Retry-After} and the upstream calls it
 * saved; the concurrency gate and its queue; GitHub quota 429s of each kind; retries; the circuit breaker.
 */
class AdmissionIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String OK_JSON = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}";

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;
    private final AtomicInteger upstreamCalls = new AtomicInteger();

    private void start(String... settings) {
        upstream = FakeUpstream.start(false);
        upstream.handler(counting(FakeUpstream.json(200, OK_JSON)));
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < settings.length; i += 2) {
            overrides.put(settings[i], settings[i + 1]);
        }
        proxy = ProxyUnderTest.start(upstream, overrides);
    }

    /** In front of a fake GitHub Models upstream, whose plan quotas pacing keeps to. */
    private void startGitHub(String... settings) {
        upstream = FakeUpstream.start(false);
        upstream.handler(counting(FakeUpstream.json(200, OK_JSON)));
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < settings.length; i += 2) {
            overrides.put(settings[i], settings[i + 1]);
        }
        proxy = ProxyUnderTest.startGitHubModels(upstream, overrides);
    }

    private FakeUpstream.Behavior counting(FakeUpstream.Behavior behavior) {
        return (request, exchange) -> {
            upstreamCalls.incrementAndGet();
            behavior.handle(request, exchange);
        };
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    // ---------------------------------------------------------------- client rate limit and flood guard

    @Test
    void theSixthRequestInAMinuteIsRefusedWithRetryAfterAndRateLimitHeaders() throws Exception {
        start("RATE_LIMIT_ENABLED", "true", "RATE_LIMIT_PER_MINUTE", "5");
        for (int i = 0; i < 5; i++) {
            assertThat(chat("openai/gpt-4o-mini", "Authorization", "Bearer alice").statusCode()).isEqualTo(200);
        }
        HttpResponse<String> sixth = chat("openai/gpt-4o-mini", "Authorization", "Bearer alice");
        assertThat(sixth.statusCode()).isEqualTo(429);
        JsonNode body = Json.MAPPER.readTree(sixth.body());
        assertThat(body.at("/error/type").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(body.at("/error/code").asText()).isEqualTo("rate_limit");
        assertThat(body.at("/error/param").asText()).isEqualTo("model");
        assertThat(body.at("/rate_limit/limit").asInt()).isEqualTo(5);
        assertThat(body.at("/rate_limit/window_seconds").asInt()).isEqualTo(60);
        assertThat(body.at("/rate_limit/retry_after_ms").asLong()).isBetween(10_000L, 12_000L);
        assertThat(sixth.headers().firstValue("retry-after")).hasValueSatisfying(v ->
                assertThat(Long.parseLong(v)).isBetween(11L, 12L));
        assertThat(sixth.headers().firstValue("x-ratelimit-limit-requests")).hasValue("5");
        assertThat(sixth.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        assertThat(sixth.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
        assertThat(upstreamCalls).hasValue(5);

        // another client, another model, and local endpoints are not charged to alice's bucket
        assertThat(chat("openai/gpt-4o-mini", "Authorization", "Bearer bob").statusCode()).isEqualTo(200);
        assertThat(chat("openai/gpt-4.1-mini", "Authorization", "Bearer alice").statusCode()).isEqualTo(200);
        for (int i = 0; i < 10; i++) {
            assertThat(proxy.get("/v1/models").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theFloodGuardRefusesAnIpPastItsLimitWithRetryAfter() throws Exception {
        start("IP_RATE_LIMIT_PER_MINUTE", "3", "IP_RATE_LIMIT_LOOPBACK", "true");
        for (int i = 0; i < 3; i++) {
            assertThat(chat("openai/gpt-4o-mini", "Authorization", "Bearer k" + i).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> fourth = chat("openai/gpt-4o-mini", "Authorization", "Bearer k9");
        assertThat(fourth.statusCode()).isEqualTo(429);
        assertThat(Json.MAPPER.readTree(fourth.body()).at("/error/code").asText()).isEqualTo("ddos_protection");
        assertThat(fourth.headers().firstValue("retry-after")).isPresent();
        assertThat(upstreamCalls).hasValue(3);
    }

    @Test
    void aLoopbackPeerIsNotHeldToTheFloodGuardUnlessAskedFor() throws Exception {
        start("IP_RATE_LIMIT_PER_MINUTE", "3");
        for (int i = 0; i < 6; i++) {
            assertThat(chat("openai/gpt-4o-mini", "Authorization", "Bearer k" + i).statusCode()).isEqualTo(200);
        }
        assertThat(upstreamCalls).hasValue(6);
    }

    // ---------------------------------------------------------------- concurrency gate

    @Test
    void twoSlotsAndAQueueOfTwoGiveFourSuccessesAndTwoPromptQueueFullRefusals() throws Exception {
        start("UPSTREAM_MAX_CONCURRENT", "2", "UPSTREAM_QUEUE_MAX", "2");
        upstream.handler(counting((request, exchange) ->
                exchange.after(Duration.ofMillis(800), () -> exchange.respondJson(200, OK_JSON))));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                answers.add(pool.submit(() -> chat("openai/gpt-4o-mini")));
            }
            List<Integer> statuses = new ArrayList<>();
            List<String> codes = new ArrayList<>();
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
                statuses.add(r.statusCode());
                if (r.statusCode() == 503) {
                    codes.add(Json.MAPPER.readTree(r.body()).at("/error/code").asText());
                    assertThat(r.headers().firstValue("retry-after")).isPresent();
                }
            }
            assertThat(statuses).containsExactlyInAnyOrder(200, 200, 200, 200, 503, 503);
            assertThat(codes).containsExactly("queue_full", "queue_full");
            assertThat(upstreamCalls).hasValue(4);
        } finally {
            pool.shutdownNow();
        }
        assertThat(proxy.server().admission().active()).isZero();
        assertThat(proxy.server().admission().queued()).isZero();
    }

    @Test
    void everyV1ResponseCarriesTheGateStateOnArrival() throws Exception {
        start("UPSTREAM_MAX_CONCURRENT", "1", "UPSTREAM_QUEUE_MAX", "5");
        CompletableFuture<FakeUpstream.Exchange> held = new CompletableFuture<>();
        upstream.handler(counting((request, exchange) -> {
            if (!held.isDone()) {
                held.complete(exchange);
            } else {
                exchange.respondJson(200, OK_JSON);
            }
        }));
        HttpResponse<String> idle = proxy.get("/v1/models");
        assertThat(idle.headers().firstValue("x-upstream-active")).hasValue("0");
        assertThat(idle.headers().firstValue("x-upstream-queue")).hasValue("0");

        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> unchecked(() -> chat("openai/gpt-4o-mini")));
        held.get(10, TimeUnit.SECONDS);
        CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> unchecked(() -> chat("openai/gpt-4o-mini")));
        await().atMost(WAIT).until(() -> proxy.server().admission().queued() == 1);
        HttpResponse<String> busy = proxy.get("/v1/models");
        assertThat(busy.headers().firstValue("x-upstream-active")).hasValue("1");
        assertThat(busy.headers().firstValue("x-upstream-queue")).hasValue("1");
        assertThat(proxy.get("/health").headers().firstValue("x-upstream-active")).isEmpty();

        held.get().respondJson(200, OK_JSON);
        assertThat(first.get(10, TimeUnit.SECONDS).headers().firstValue("x-upstream-active")).hasValue("0");
        HttpResponse<String> queued = second.get(10, TimeUnit.SECONDS);
        assertThat(queued.statusCode()).isEqualTo(200);
        assertThat(queued.headers().firstValue("x-upstream-active")).hasValue("1");
        assertThat(queued.headers().firstValue("x-upstream-queue")).hasValue("0");
    }

    @Test
    void aRequestThatWaitsPastTheQueueTimeoutGets503QueueTimeout() throws Exception {
        start("UPSTREAM_MAX_CONCURRENT", "1", "UPSTREAM_QUEUE_TIMEOUT_MS", "300");
        CompletableFuture<FakeUpstream.Exchange> held = new CompletableFuture<>();
        upstream.handler(counting((request, exchange) -> held.complete(exchange)));
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> unchecked(() -> chat("openai/gpt-4o-mini")));
        held.get(10, TimeUnit.SECONDS);
        long started = System.nanoTime();
        HttpResponse<String> second = chat("openai/gpt-4o-mini");
        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(second.body()).at("/error/code").asText()).isEqualTo("queue_timeout");
        assertThat(second.headers().firstValue("retry-after")).isPresent();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(250);
        held.get().respondJson(200, OK_JSON);
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(upstreamCalls).hasValue(1);
    }

    @Test
    void aQueuedClientThatDisconnectsLeavesTheQueueAtOnceAndIsNeverGivenASlot() throws Exception {
        start("UPSTREAM_MAX_CONCURRENT", "1", "UPSTREAM_QUEUE_MAX", "1");
        List<FakeUpstream.Exchange> exchanges = new CopyOnWriteArrayList<>();
        upstream.handler(counting((request, exchange) -> exchanges.add(exchange)));
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> unchecked(() -> chat("openai/gpt-4o-mini")));
        await().atMost(WAIT).until(() -> exchanges.size() == 1);
        try (RawHttpClient quitter = RawHttpClient.connect(proxy.port())) {
            String json = chatBody("openai/gpt-4o-mini");
            quitter.send("POST /v1/chat/completions HTTP/1.1\nHost: p\nContent-Type: application/json\nContent-Length: "
                    + json.length(), json.getBytes(StandardCharsets.UTF_8));
            await().atMost(WAIT).until(() -> proxy.server().admission().queued() == 1);
            quitter.abort();
        }
        await().atMost(WAIT).until(() -> proxy.server().admission().queued() == 0);
        // the freed place is usable at once: a new request queues instead of getting queue_full
        CompletableFuture<HttpResponse<String>> third = CompletableFuture.supplyAsync(() -> unchecked(() -> chat("openai/gpt-4o-mini")));
        await().atMost(WAIT).until(() -> proxy.server().admission().queued() == 1);
        exchanges.get(0).respondJson(200, OK_JSON);
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(WAIT).until(() -> exchanges.size() == 2);
        exchanges.get(1).respondJson(200, OK_JSON);
        assertThat(third.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(upstreamCalls).as("the disconnected client never reached upstream").hasValue(2);
    }

    @Test
    void noSlotLeaksAfterManyMixedSuccessesAbortsAndTimeouts() throws Exception {
        start("UPSTREAM_MAX_CONCURRENT", "3", "UPSTREAM_QUEUE_MAX", "50", "UPSTREAM_QUEUE_TIMEOUT_MS", "200");
        upstream.handler(counting((request, exchange) -> {
            String content = request.bodyJson().at("/messages/0/content").asText();
            if (!content.contains("slow")) {
                exchange.respondJson(200, OK_JSON);
            } else {
                exchange.after(Duration.ofMillis(300), () -> exchange.respondJson(200, OK_JSON));
            }
        }));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                int n = i;
                work.add(pool.submit(() -> {
                    try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
                        String json = "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
                                + (n % 3 == 0 ? "slow" : "fast") + "\"}]}";
                        client.send("POST /v1/chat/completions HTTP/1.1\nHost: p\nContent-Type: application/json\n"
                                + "Content-Length: " + json.length(), json.getBytes(StandardCharsets.UTF_8));
                        if (n % 4 == 0) {
                            client.abort();
                        } else {
                            client.readHead(WAIT);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        await().atMost(WAIT).until(() -> proxy.server().admission().active() == 0
                && proxy.server().admission().queued() == 0 && proxy.server().inFlight() == 0);
    }

    // ---------------------------------------------------------------- GitHub quota 429s

    @Test
    void aPerMinute429PausesThatModelAndFurtherRequestsAreAnsweredLocally() throws Exception {
        start();
        upstream.handler(counting(quota429("UserByModelByMinute", "30")));
        HttpResponse<String> first = chat("openai/gpt-4o-mini");
        assertThat(first.statusCode()).isEqualTo(429);
        JsonNode body = Json.MAPPER.readTree(first.body());
        assertThat(body.at("/error/type").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(body.at("/error/code").asText()).isEqualTo("rate_limit");
        assertThat(body.at("/error/message").asText()).isEqualTo(
                "Upstream rate limit reached (UserByModelByMinute). Retry after ~30s.");
        assertThat(body.at("/rate_limit/retry_after_seconds").asLong()).isEqualTo(30);
        assertThat(body.at("/rate_limit/limit_type").asText()).isEqualTo("UserByModelByMinute");
        assertThat(body.at("/rate_limit/upstream_code").asText()).isEqualTo("RateLimitReached");
        assertThat(first.headers().firstValue("retry-after")).hasValue("30");
        assertThat(first.headers().firstValue("x-ratelimit-type")).hasValue("UserByModelByMinute");

        HttpResponse<String> second = chat("openai/gpt-4o-mini");
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(second.headers().firstValue("retry-after")).hasValueSatisfying(v ->
                assertThat(Long.parseLong(v)).isBetween(28L, 30L));
        assertThat(upstreamCalls).as("the paused model is answered without an upstream call").hasValue(1);

        upstream.handler(counting(FakeUpstream.json(200, OK_JSON)));
        assertThat(chat("openai/gpt-4.1-mini").statusCode()).as("other models are not paused").isEqualTo(200);
        JsonNode observed = Json.MAPPER.readTree(proxy.get("/v1/rate-limits/observed").body());
        assertThat(observed.at("/data/openai~1gpt-4o-mini/paused_until").isTextual()).isTrue();
    }

    @Test
    void aPerUserMinute429PausesEveryModel() throws Exception {
        start();
        upstream.handler(counting(quota429("UserByMinute", "20")));
        assertThat(chat("openai/gpt-4o-mini").statusCode()).isEqualTo(429);
        upstream.handler(counting(FakeUpstream.json(200, OK_JSON)));
        assertThat(chat("meta/llama-3.3-70b-instruct").statusCode()).isEqualTo(429);
        assertThat(upstreamCalls).hasValue(1);
    }

    @Test
    void aDaily429AnswersDailyQuotaExhaustedWithTheResetTimeUntilTheReset() throws Exception {
        start();
        upstream.handler(counting(quota429("UserByModelByDay", "3600")));
        HttpResponse<String> first = chat("openai/gpt-4o-mini");
        assertThat(first.statusCode()).isEqualTo(429);
        JsonNode body = Json.MAPPER.readTree(first.body());
        assertThat(body.at("/error/code").asText()).isEqualTo("daily_quota_exhausted");
        assertThat(body.at("/rate_limit/reset_at").asText()).isNotBlank();
        assertThat(body.at("/error/message").asText()).contains(body.at("/rate_limit/reset_at").asText());
        assertThat(first.headers().firstValue("retry-after")).hasValueSatisfying(v ->
                assertThat(Long.parseLong(v)).isBetween(3590L, 3600L));
        HttpResponse<String> second = chat("openai/gpt-4o-mini");
        assertThat(Json.MAPPER.readTree(second.body()).at("/error/code").asText()).isEqualTo("daily_quota_exhausted");
        assertThat(upstreamCalls).hasValue(1);
        JsonNode daily = Json.MAPPER.readTree(proxy.get("/v1/rate-limits/daily").body());
        assertThat(daily.at("/models/openai~1gpt-4o-mini/errors").asInt()).isEqualTo(1);
    }

    @Test
    void aConcurrency429IsRetriedOnceAndTheModelsConcurrencyIsLowered() throws Exception {
        start("RETRY_ATTEMPTS", "2", "RETRY_DELAY_MS", "10");
        AtomicInteger n = new AtomicInteger();
        upstream.handler(counting((request, exchange) -> {
            if (n.getAndIncrement() == 0) {
                quota429("UserConcurrentRequests", "0").handle(request, exchange);
            } else {
                exchange.respondJson(200, OK_JSON);
            }
        }));
        assertThat(chat("openai/gpt-4o-mini").statusCode()).isEqualTo(200);
        assertThat(upstreamCalls).hasValue(2);
        JsonNode observed = Json.MAPPER.readTree(proxy.get("/v1/rate-limits/observed").body());
        assertThat(observed.at("/data/openai~1gpt-4o-mini/concurrency_limit").asInt()).isEqualTo(1);

        upstreamCalls.set(0);
        upstream.handler(counting(quota429("UserConcurrentRequests", "0")));
        HttpResponse<String> twice = chat("openai/gpt-4o-mini");
        assertThat(twice.statusCode()).isEqualTo(429);
        assertThat(twice.headers().firstValue("retry-after")).isPresent();
        assertThat(upstreamCalls).as("retried once, not more").hasValue(2);
    }

    // ---------------------------------------------------------------- retries and the circuit breaker

    @Test
    void upstream503IsRetriedWithBackoffUpToTheBudget() throws Exception {
        start("RETRY_ATTEMPTS", "2", "RETRY_DELAY_MS", "20");
        AtomicInteger n = new AtomicInteger();
        upstream.handler(counting((request, exchange) -> {
            if (n.getAndIncrement() < 2) {
                exchange.respondJson(503, "{\"error\":{\"message\":\"busy\"}}");
            } else {
                exchange.respondJson(200, OK_JSON);
            }
        }));
        assertThat(chat("openai/gpt-4o-mini").statusCode()).isEqualTo(200);
        assertThat(upstreamCalls).hasValue(3);

        upstreamCalls.set(0);
        upstream.handler(counting(FakeUpstream.json(502, "{\"error\":{\"message\":\"bad gateway\"}}")));
        HttpResponse<String> exhausted = chat("openai/gpt-4o-mini");
        assertThat(exhausted.statusCode()).isEqualTo(502);
        assertThat(exhausted.body()).isEqualTo("{\"error\":{\"message\":\"bad gateway\"}}");
        assertThat(upstreamCalls).as("1 + RETRY_ATTEMPTS").hasValue(3);

        upstreamCalls.set(0);
        upstream.handler(counting(FakeUpstream.json(400, "{\"error\":{\"message\":\"bad\"}}")));
        assertThat(chat("openai/gpt-4o-mini").statusCode()).isEqualTo(400);
        assertThat(upstreamCalls).as("client errors are never retried").hasValue(1);
    }

    @Test
    void aRetryAfterLongerThanTheProxyWaitsIsPassedToTheClientInsteadOfRetried() throws Exception {
        start("RETRY_ATTEMPTS", "2", "RETRY_AFTER_MAX_MS", "1000");
        upstream.handler(counting((request, exchange) -> exchange.respond(503,
                Map.of("content-type", "application/json", "retry-after", "120"),
                "{\"error\":{\"message\":\"maintenance\"}}".getBytes(StandardCharsets.UTF_8))));
        HttpResponse<String> r = chat("openai/gpt-4o-mini");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).hasValue("120");
        assertThat(upstreamCalls).hasValue(1);
    }

    @Test
    void theBreakerOpensOnUpstreamFaultsOnlyAndAProbeClosesIt() throws Exception {
        start("CIRCUIT_BREAKER_THRESHOLD", "2", "CIRCUIT_BREAKER_TIMEOUT_MS", "400");
        upstream.handler(counting(FakeUpstream.json(400, "{\"error\":{\"message\":\"bad\"}}")));
        for (int i = 0; i < 5; i++) {
            assertThat(chat("openai/gpt-4o-mini").statusCode()).as("4xx never opens it").isEqualTo(400);
        }
        upstream.handler(counting(FakeUpstream.json(500, "{\"error\":{\"message\":\"boom\"}}")));
        assertThat(chat("openai/gpt-4o-mini").statusCode()).isEqualTo(500);
        assertThat(chat("openai/gpt-4o-mini").statusCode()).isEqualTo(500);
        upstreamCalls.set(0);
        HttpResponse<String> open = chat("openai/gpt-4o-mini");
        assertThat(open.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(open.body()).at("/error/code").asText()).isEqualTo("upstream_unavailable");
        assertThat(open.headers().firstValue("retry-after")).isPresent();
        assertThat(upstreamCalls).as("an open breaker saves the call").hasValue(0);
        assertThat(chat("openai/gpt-4.1-mini").statusCode()).as("other models have their own breaker").isEqualTo(500);

        upstream.handler(counting(FakeUpstream.json(200, OK_JSON)));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> chat("openai/gpt-4o-mini").statusCode() == 200);
        assertThat(chat("openai/gpt-4o-mini").statusCode()).as("closed again after the probe").isEqualTo(200);
    }

    @Test
    void quotaPacingRefusesLocallyWhenTheNextSlotIsBeyondTheQueueDeadline() throws Exception {
        startGitHub("UPSTREAM_QUOTA_PACING", "true", "UPSTREAM_QUEUE_TIMEOUT_MS", "1000");
        // xai/grok-3 on the free plan: 1 request per minute
        assertThat(chat("xai/grok-3").statusCode()).isEqualTo(200);
        HttpResponse<String> paced = chat("xai/grok-3");
        assertThat(paced.statusCode()).isEqualTo(429);
        JsonNode body = Json.MAPPER.readTree(paced.body());
        assertThat(body.at("/error/code").asText()).isEqualTo("rate_limit");
        assertThat(body.at("/rate_limit/limit").asInt()).isEqualTo(1);
        assertThat(paced.headers().firstValue("retry-after")).hasValueSatisfying(v ->
                assertThat(Long.parseLong(v)).isBetween(55L, 60L));
        assertThat(upstreamCalls).hasValue(1);
    }

    @Test
    void quotaPacingCapsAModelsConcurrencyAtItsPlanLimit() throws Exception {
        startGitHub("UPSTREAM_QUOTA_PACING", "true", "UPSTREAM_MAX_CONCURRENT", "8");
        // openai/gpt-4o-mini is a low-tier model: 5 concurrent requests on the free plan
        List<FakeUpstream.Exchange> held = new CopyOnWriteArrayList<>();
        upstream.handler(counting((request, exchange) -> held.add(exchange)));
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> unchecked(() -> chat("openai/gpt-4o-mini"))));
        }
        await().atMost(WAIT).until(() -> held.size() == 5 && proxy.server().admission().queued() == 1);
        held.get(0).respondJson(200, OK_JSON);
        await().atMost(WAIT).until(() -> held.size() == 6);
        for (int i = 1; i < 6; i++) {
            held.get(i).respondJson(200, OK_JSON);
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertThat(c.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static FakeUpstream.Behavior quota429(String type, String retryAfter) {
        String body = "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit of 10 per 60s exceeded for "
                + type + ". Please wait " + retryAfter + " seconds before retrying.\",\"details\":\"x\"}}";
        return (request, exchange) -> exchange.respond(429, Map.of("content-type", "application/json",
                "retry-after", retryAfter, "x-ratelimit-type", type, "x-ratelimit-timeremaining", retryAfter,
                "x-ms-error-code", "RateLimitReached"), body.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> chat(String model, String... headers) throws Exception {
        return proxy.postJson("/v1/chat/completions", chatBody(model), headers);
    }

    private static String chatBody(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private interface Call<T> {
        T call() throws Exception;
    }

    private static <T> T unchecked(Call<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
