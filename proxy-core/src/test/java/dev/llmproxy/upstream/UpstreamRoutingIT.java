package dev.llmproxy.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several upstreams from a {@code CONFIG_FILE}, through a running proxy: a model resolves by the contract's rules
 * (listed id, {@code <upstream>/<model>}, route alias, default upstream, else 404), each upstream gets its own
 * credential header and path, a route fails over to its next target before the first response byte (a 5xx, a refused
 * connection, a stream), a retired GitHub Models upstream answers {@code upstream_retired}, and {@code /v1/models},
 * {@code /health} and {@code /v1/stats} show every upstream.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamRoutingIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String LOCAL_ANSWER = FakeUpstream.chatCompletion("from local");
    private static final String OPENAI_ANSWER = FakeUpstream.chatCompletion("from openai");

    @TempDir
    Path dir;

    private final List<FakeUpstream> fakes = new ArrayList<>();
    private FakeUpstream local;
    private FakeUpstream openai;
    private ProxyUnderTest proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        fakes.forEach(FakeUpstream::close);
    }

    private FakeUpstream fake(String answer) {
        FakeUpstream f = FakeUpstream.start(false);
        f.handler(FakeUpstream.json(200, answer));
        fakes.add(f);
        return f;
    }

    /** {@code <fake>/v1}: the base URL an OpenAI-style upstream is configured with. */
    private static String v1(FakeUpstream f) {
        return f.baseUrl() + "/v1";
    }

    private void startProxy(String yaml, String... settings) throws IOException {
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        Map<String, String> all = ProxyUnderTest.settings(settings);
        all.put("CONFIG_FILE", file.toString());
        proxy = ProxyUnderTest.start(all);
    }

    /** {@code local} (openai-compatible, no key) and {@code openai} (kind openai, key sk-test), the route fast. */
    private void startTwo(String localBaseUrl, String extra, String... settings) throws IOException {
        openai = fake(OPENAI_ANSWER);
        startProxy("""
                upstreams:
                  - name: local
                    kind: openai-compatible
                    base_url: %s
                    models: [llama3.2:3b]
                  - name: openai
                    kind: openai
                    base_url: %s
                    api_key: sk-test
                    models: [gpt-4.1-mini]
                routes:
                  fast: [local/llama3.2:3b, openai/gpt-4.1-mini]
                %s
                """.formatted(localBaseUrl, v1(openai), extra), settings);
    }

    private void startTwo() throws IOException {
        local = fake(LOCAL_ANSWER);
        startTwo(v1(local), "");
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static JsonNode json(String body) throws IOException {
        return Json.MAPPER.readTree(body);
    }

    /** A loopback port nothing listens on: a connection to it is refused. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- resolution and credentials

    @Test
    void aListedIdGoesToItsUpstreamUnchangedWithoutACredential() throws Exception {
        startTwo();
        String body = chat("llama3.2:3b");
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r.body()).at("/choices/0/message/content").asText()).isEqualTo("from local");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("local");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).isEmpty();
        RecordedRequest got = local.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/v1/chat/completions");
        assertThat(got.bodyString()).as("forwarded byte for byte").isEqualTo(body);
        assertThat(got.header("Authorization")).isNull();
        assertThat(got.header("api-key")).isNull();
        assertThat(openai.requests()).isEmpty();
    }

    @Test
    void theOpenAiUpstreamGetsItsOwnKeyNotTheClientsByDefault() throws Exception {
        startTwo();
        // PROXY_AUTH_MODE defaults to env: the server's key for the upstream, the client's Authorization stays here
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("gpt-4.1-mini"),
                "Authorization", "Bearer sk-client-own-key");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        RecordedRequest got = openai.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/v1/chat/completions");
        assertThat(got.header("Authorization")).isEqualTo("Bearer sk-test");
        assertThat(got.headers().toString()).doesNotContain("sk-client-own-key");
        assertThat(got.bodyJson().path("model").asText()).isEqualTo("gpt-4.1-mini");
        assertThat(local.requests()).isEmpty();

        // and the local upstream, which has no key, gets none: not the client's either
        HttpResponse<String> toLocal = proxy.postJson("/v1/chat/completions", chat("llama3.2:3b"),
                "Authorization", "Bearer sk-client-own-key");
        assertThat(toLocal.statusCode()).isEqualTo(200);
        assertThat(local.awaitRequest(WAIT).header("Authorization")).isNull();
    }

    @Test
    void anUpstreamPrefixPicksTheUpstreamAndIsStrippedFromTheModel() throws Exception {
        startTwo();
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("openai/some-model"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        RecordedRequest got = openai.awaitRequest(WAIT);
        assertThat(got.bodyJson().path("model").asText()).isEqualTo("some-model");
        assertThat(got.bodyJson().at("/messages/0/content").asText()).isEqualTo("hi");
        assertThat(local.requests()).isEmpty();
    }

    @Test
    void anUnknownIdIsNotFoundWithSeveralUpstreamsAndNoDefault() throws Exception {
        startTwo();
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("mystery-model"));

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r.body()).at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(local.requests()).isEmpty();
        assertThat(openai.requests()).isEmpty();
    }

    @Test
    void anUnknownIdGoesUnchangedToTheDefaultUpstream() throws Exception {
        local = fake(LOCAL_ANSWER);
        startTwo(v1(local), "default_upstream: openai");
        String body = chat("mystery-model");
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        RecordedRequest got = openai.awaitRequest(WAIT);
        assertThat(got.bodyString()).isEqualTo(body);
        assertThat(local.requests()).isEmpty();
    }

    // ---------------------------------------------------------------- failover

    @Test
    void aRouteFailsOverFromA503ToTheNextTarget() throws Exception {
        startTwo();
        local.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\",\"code\":\"busy\"}}"));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r.body()).at("/choices/0/message/content").asText()).isEqualTo("from openai");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).hasValue("1");
        assertThat(local.awaitRequest(WAIT).bodyJson().path("model").asText()).isEqualTo("llama3.2:3b");
        RecordedRequest second = openai.awaitRequest(WAIT);
        assertThat(second.bodyJson().path("model").asText()).isEqualTo("gpt-4.1-mini");
        assertThat(second.header("Authorization")).isEqualTo("Bearer sk-test");
    }

    @Test
    void aRouteFailsOverWhenTheFirstTargetRefusesTheConnection() throws Exception {
        startTwo("http://127.0.0.1:" + closedPort() + "/v1", "");
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r.body()).at("/choices/0/message/content").asText()).isEqualTo("from openai");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).hasValue("1");
        assertThat(openai.awaitRequest(WAIT).bodyJson().path("model").asText()).isEqualTo("gpt-4.1-mini");
    }

    @Test
    void aStreamedRequestFailsOverAndTheNextTargetsStreamArrivesIntact() throws Exception {
        startTwo();
        local.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        List<byte[]> chunks = List.of(
                FakeUpstream.sseEvent("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}"),
                FakeUpstream.sseEvent("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}"),
                FakeUpstream.sseEvent("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                        + "\"total_tokens\":5}}"),
                FakeUpstream.sseEvent("[DONE]"));
        openai.handler(FakeUpstream.sse(chunks, Duration.ofMillis(20)));
        String body = "{\"model\":\"fast\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).hasValue("1");
        StringBuilder expected = new StringBuilder();
        chunks.forEach(c -> expected.append(new String(c, StandardCharsets.UTF_8)));
        assertThat(r.body()).isEqualTo(expected.toString());
        RecordedRequest second = openai.awaitRequest(WAIT);
        assertThat(second.bodyJson().path("model").asText()).isEqualTo("gpt-4.1-mini");
        assertThat(second.bodyJson().path("stream").asBoolean()).isTrue();
    }

    @Test
    void whenEveryTargetFailsTheClientGetsTheLastError() throws Exception {
        startTwo();
        local.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"local is down\",\"code\":\"local_down\"}}"));
        openai.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"openai is down\",\"code\":\"openai_down\"}}"));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("openai_down").doesNotContain("local_down");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).hasValue("1");
        assertThat(local.requests()).hasSize(1);
        assertThat(openai.requests()).hasSize(1);
    }

    @Test
    void whenEveryTargetRefusesTheConnectionTheClientGetsAnErrorNotAHang() throws Exception {
        startProxy("""
                upstreams:
                  - name: local
                    kind: openai-compatible
                    base_url: http://127.0.0.1:%d/v1
                    models: [llama3.2:3b]
                  - name: other
                    kind: openai-compatible
                    base_url: http://127.0.0.1:%d/v1
                    models: [qwen3:8b]
                routes:
                  fast: [local/llama3.2:3b, other/qwen3:8b]
                """.formatted(closedPort(), closedPort()));
        long start = System.nanoTime();
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));

        assertThat(r.statusCode()).as(r.body()).isBetween(502, 504);
        assertThat(json(r.body()).at("/error/code").asText()).startsWith("upstream_");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("other");
        assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).hasValue("1");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aResponsesRouteThatFailsOverFromANativeToABridgedUpstreamIsBridgedThere() throws Exception {
        local = fake(LOCAL_ANSWER);
        startTwo(v1(local), "  smart: [openai/gpt-4.1-mini, local/llama3.2:3b]");
        openai.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        HttpResponse<String> r = proxy.postJson("/v1/responses", "{\"model\":\"smart\",\"input\":\"hi\"}");

        // a route with a bridged hop is bridged throughout: a failover resends the body to the next hop's path
        assertThat(openai.awaitRequest(WAIT).uri()).isEqualTo("/v1/chat/completions");
        RecordedRequest second = local.awaitRequest(WAIT);
        assertThat(second.uri()).as("local speaks only chat").isEqualTo("/v1/chat/completions");
        assertThat(second.bodyJson().path("messages").isArray()).as(second.bodyString()).isTrue();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r.body()).path("object").asText()).isEqualTo("response");
        assertThat(json(r.body()).at("/output/0/content/0/text").asText()).isEqualTo("from local");
    }

    @Test
    void aBridgedRequestThatFailsOverIsInTheNextUpstreamsChatDialect() throws Exception {
        startTwo();
        local.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        HttpResponse<String> r = proxy.postJson("/v1/messages", "{\"model\":\"fast\",\"max_tokens\":50,"
                + "\"top_k\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode toLocal = local.awaitRequest(WAIT).bodyJson();
        assertThat(toLocal.path("max_tokens").asInt()).as("open-weights dialect").isEqualTo(50);
        JsonNode toOpenAi = openai.awaitRequest(WAIT).bodyJson();
        // OpenAI refuses top_k ("Unrecognized request argument") and its reasoning models refuse max_tokens
        assertThat(toOpenAi.has("top_k")).as(toOpenAi.toString()).isFalse();
        assertThat(toOpenAi.path("max_completion_tokens").asInt()).as(toOpenAi.toString()).isEqualTo(50);
    }

    @Test
    void aGitHubModelsUpstreamResolvesItsShortNames() throws Exception {
        FakeUpstream github = fake(FakeUpstream.chatCompletion("unused"));
        // its catalog (the bundled one until a refresh succeeds; this one fails) knows openai/gpt-4o-mini
        github.handler((request, exchange) -> {
            if (request.uri().startsWith("/inference/chat/completions")) {
                exchange.respondJson(200, FakeUpstream.chatCompletion("from github"));
            } else {
                exchange.respondJson(404, "{\"error\":{\"message\":\"no catalog here\"}}");
            }
        });
        startProxy("""
                upstreams:
                  - name: github
                    kind: github-models
                    base_url: %s/inference
                    catalog_url: %s/catalog/models
                    api_key: gh-key
                """.formatted(github.baseUrl(), github.baseUrl()));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("gpt-4o-mini"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordedRequest got = github.requests().stream()
                .filter(q -> q.uri().equals("/inference/chat/completions")).findFirst().orElseThrow();
        assertThat(got.bodyJson().path("model").asText()).isEqualTo("openai/gpt-4o-mini");
        assertThat(got.header("Authorization")).isEqualTo("Bearer gh-key");
    }

    // ---------------------------------------------------------------- what a client sees

    @Test
    void modelsListsEachUpstreamsModelsAndTheAlias() throws Exception {
        startTwo();
        HttpResponse<String> r = proxy.get("/v1/models");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode data = json(r.body()).path("data");
        JsonNode llama = byId(data, "llama3.2:3b");
        JsonNode mini = byId(data, "gpt-4.1-mini");
        JsonNode fast = byId(data, "fast");
        assertThat(llama).as(r.body()).isNotNull();
        assertThat(llama.path("upstream").asText()).isEqualTo("local");
        assertThat(llama.path("responses").asText()).as("chat-only: bridged").isEqualTo("bridge");
        assertThat(mini).as(r.body()).isNotNull();
        assertThat(mini.path("upstream").asText()).isEqualTo("openai");
        assertThat(mini.path("responses").asText()).isEqualTo("native");
        assertThat(fast).as(r.body()).isNotNull();
        List<String> targets = new ArrayList<>();
        fast.path("targets").forEach(t -> targets.add(t.asText()));
        assertThat(targets).containsExactly("local/llama3.2:3b", "openai/gpt-4.1-mini");
        assertThat(local.requests()).as("fixed lists: no GET /models").isEmpty();
        assertThat(openai.requests()).isEmpty();
    }

    private static JsonNode byId(JsonNode data, String id) {
        for (JsonNode m : data) {
            if (id.equals(m.path("id").asText())) {
                return m;
            }
        }
        return null;
    }

    @Test
    void healthNamesEachUpstreamAndItsKindWithoutAnyKey() throws Exception {
        startTwo();
        HttpResponse<String> r = proxy.get("/health");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode ups = json(r.body()).path("upstreams");
        assertThat(ups.isArray()).as(r.body()).isTrue();
        assertThat(ups).hasSize(2);
        assertThat(ups.get(0).path("name").asText()).isEqualTo("local");
        assertThat(ups.get(0).path("kind").asText()).isEqualTo("openai-compatible");
        assertThat(ups.get(1).path("name").asText()).isEqualTo("openai");
        assertThat(ups.get(1).path("kind").asText()).isEqualTo("openai");
        assertThat(ups.get(1).path("url").asText()).contains(String.valueOf(openai.port()));
        assertThat(r.body()).doesNotContain("sk-test");
    }

    @Test
    void statsCountTheRequestsOfEachUpstream() throws Exception {
        startTwo();
        local.handler(FakeUpstream.json(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        assertThat(proxy.postJson("/v1/chat/completions", chat("gpt-4.1-mini")).statusCode()).isEqualTo(200);
        assertThat(proxy.postJson("/v1/chat/completions", chat("fast")).statusCode()).isEqualTo(200);

        // a request is counted when its record is finished, just after the response went out
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode ups = json(proxy.get("/v1/stats").body()).path("upstreams");
            assertThat(ups).hasSize(2);
            JsonNode l = ups.get(0);
            JsonNode o = ups.get(1);
            assertThat(l.path("name").asText()).isEqualTo("local");
            assertThat(l.path("requests").asLong()).isEqualTo(1);
            assertThat(l.path("failovers").asLong()).isEqualTo(1);
            assertThat(o.path("name").asText()).isEqualTo("openai");
            assertThat(o.path("requests").asLong()).isEqualTo(2);
            assertThat(o.path("errors").asLong()).isZero();
        });
    }

    // ---------------------------------------------------------------- kinds

    @Test
    void anAzureUpstreamGetsItsKeyInApiKeyAtItsV1Path() throws Exception {
        FakeUpstream azure = fake(FakeUpstream.chatCompletion("from azure"));
        startProxy("""
                upstreams:
                  - name: azure
                    kind: azure
                    base_url: %s/openai/v1
                    api_key: az-key
                    models: [gpt-4.1]
                """.formatted(azure.baseUrl()));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("gpt-4.1"),
                "Authorization", "Bearer sk-client-own-key");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("azure");
        RecordedRequest got = azure.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/openai/v1/chat/completions");
        assertThat(got.header("api-key")).isEqualTo("az-key");
        assertThat(got.header("Authorization")).isNull();
    }

    @Test
    void aPassthroughUpstreamGetsTheClientsOwnKeyAndItsExtraHeaders() throws Exception {
        FakeUpstream router = fake(FakeUpstream.chatCompletion("from router"));
        startProxy("""
                upstreams:
                  - name: router
                    kind: openai-compatible
                    base_url: %s/api/v1
                    auth: passthrough
                    headers: {HTTP-Referer: https://example.com, X-Title: llm-proxy-test}
                    models: [some/model]
                """.formatted(router.baseUrl()));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("some/model"),
                "Authorization", "Bearer sk-or-client-own");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordedRequest got = router.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/api/v1/chat/completions");
        assertThat(got.header("Authorization")).isEqualTo("Bearer sk-or-client-own");
        assertThat(got.header("HTTP-Referer")).isEqualTo("https://example.com");
        assertThat(got.header("X-Title")).isEqualTo("llm-proxy-test");

        HttpResponse<String> keyless = proxy.postJson("/v1/chat/completions", chat("some/model"));
        assertThat(keyless.statusCode()).isEqualTo(200);
        assertThat(router.awaitRequest(WAIT).header("Authorization")).isNull();
    }

    @Test
    void aRetiredGitHubModelsUpstreamsGoneIsUpstreamRetired() throws Exception {
        FakeUpstream github = fake(FakeUpstream.chatCompletion("unused"));
        github.handler(FakeUpstream.json(410, "{\"error\":{\"message\":\"Gone\",\"code\":\"gone\"}}"));
        startProxy("""
                upstreams:
                  - name: github
                    kind: github-models
                    base_url: %s/inference
                    api_key: gh-key
                    models: [openai/gpt-4o-mini]
                """.formatted(github.baseUrl()));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("openai/gpt-4o-mini"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(410);
        assertThat(json(r.body()).at("/error/code").asText()).isEqualTo("upstream_retired");
        RecordedRequest got = github.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/inference/chat/completions");
        assertThat(got.bodyJson().path("model").asText())
                .isEqualTo("openai/gpt-4o-mini");
    }
    @Test
    void healthSaysWhetherEachUpstreamTookTheProxysKey() throws Exception {
        FakeUpstream refusing = FakeUpstream.start(false);
        fakes.add(refusing);
        refusing.listModels(null);
        refusing.handler(FakeUpstream.json(401, "{\"error\":{\"message\":\"invalid api key\"}}"));
        FakeUpstream taking = fake(OPENAI_ANSWER);
        startProxy("""
                upstreams:
                  - name: refusing
                    kind: openai-compatible
                    base_url: %s
                    api_key: wrong-key
                  - name: taking
                    kind: openai-compatible
                    base_url: %s
                    api_key: right-key
                  - name: keyless
                    kind: openai-compatible
                    base_url: %s
                    models: [m]
                """.formatted(v1(refusing), v1(taking), v1(taking)));
        String body = proxy.get("/health").body();
        JsonNode upstreams = json(body).path("upstreams");
        assertThat(upstreams.at("/0/key_valid").isBoolean()).isTrue();
        assertThat(upstreams.at("/0/key_valid").asBoolean()).as("401 to its model list").isFalse();
        assertThat(upstreams.at("/1/key_valid").asBoolean()).isTrue();
        assertThat(upstreams.at("/2/key_valid").isNull()).as("no key, fixed list: unknown").isTrue();
        assertThat(body).doesNotContain("wrong-key", "right-key");
    }
    @Test
    void aStoredResponseIsAskedOfEachNativeUpstreamUntilOneKnowsIt() throws Exception {
        FakeUpstream first = fake(OPENAI_ANSWER);
        first.handler(FakeUpstream.json(404, "{\"error\":{\"message\":\"No response found\"}}"));
        FakeUpstream second = fake(OPENAI_ANSWER);
        second.handler((request, exchange) -> exchange.respondJson(200,
                "{\"id\":\"resp_1\",\"object\":\"response\",\"method\":\"" + request.method() + "\"}"));
        FakeUpstream bridged = fake(LOCAL_ANSWER);
        startProxy("""
                upstreams:
                  - name: local
                    kind: openai-compatible
                    base_url: %s
                    models: [m]
                  - name: one
                    kind: openai
                    base_url: %s
                    api_key: k1
                    models: [a]
                  - name: two
                    kind: openai
                    base_url: %s
                    api_key: k2
                    models: [b]
                """.formatted(v1(bridged), v1(first), v1(second)));
        HttpResponse<String> got = proxy.get("/v1/responses/resp_1?include=x");
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(json(got.body()).path("id").asText()).isEqualTo("resp_1");
        assertThat(got.headers().firstValue("x-llm-proxy-upstream")).hasValue("two");
        assertThat(first.requests()).singleElement().satisfies(r -> {
            assertThat(r.uri()).isEqualTo("/v1/responses/resp_1?include=x");
            assertThat(r.header("authorization")).isEqualTo("Bearer k1");
        });
        assertThat(second.requests().get(0).header("authorization")).isEqualTo("Bearer k2");
        assertThat(bridged.requests()).as("a bridged upstream stores no responses").isEmpty();

        HttpResponse<String> cancelled = proxy.postJson("/v1/responses/resp_1/cancel", "");
        assertThat(cancelled.statusCode()).isEqualTo(200);
        assertThat(second.requests().get(1).uri()).isEqualTo("/v1/responses/resp_1/cancel");
        assertThat(proxy.postJson("/v1/responses/resp_1/other", "{}").statusCode()).isEqualTo(404);
    }
    @Test
    void aTargetThatNeverAnswersIsLeftAtTheFirstByteTimeout() throws Exception {
        local = fake(LOCAL_ANSWER);
        local.handler((request, exchange) -> { }); // holds every request: no head ever comes
        startTwo(v1(local), "", "UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "700");
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(OPENAI_ANSWER);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Failovers")).hasValue("1");
        assertThat(proxy.get("/metrics").body()).contains("failovers_total{route=\"fast\",reason=\"timeout\",} 1.0");
    }

    @Test
    void a429WithRetryAfterMsMovesOnAndTheNextRequestSkipsThatTargetUntilThen() throws Exception {
        startTwo();
        local.handler((request, exchange) -> exchange.respond(429, Map.of("content-type", "application/json",
                "retry-after-ms", "5000"), "{\"error\":{\"message\":\"slow down\"}}".getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
        }
        assertThat(local.requests()).as("paused for its retry-after-ms: asked once").hasSize(1);
        String metrics = proxy.get("/metrics").body();
        assertThat(metrics).contains("failovers_total{route=\"fast\",reason=\"status_429\",} 1.0")
                .contains("failovers_total{route=\"fast\",reason=\"limit\",} 2.0");
    }

    @Test
    void a410FromATargetMovesOnToo() throws Exception {
        startTwo();
        local.handler(FakeUpstream.json(410, "{\"error\":{\"message\":\"gone\"}}"));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("openai");
    }

    @Test
    void aStreamThatBreaksAfterItsFirstByteIsNeverRetriedElsewhere() throws Exception {
        startTwo();
        local.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(v -> exchange.sendChunk(FakeUpstream.sseEvent(
                        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}")))
                .thenCompose(v -> exchange.reset()));
        String body = "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", body);
        assertThat(r.statusCode()).as("the head went out: the status stands").isEqualTo(200);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("local");
        assertThat(r.body()).contains("\"content\":\"Hel\"").contains("\"error\"");
        assertThat(openai.requests()).as("never after bytes were sent").isEmpty();
    }
}
