package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tools against a proxy with several named upstreams, as the HTTP contract describes it ({@code upstream} on
 * each model, {@code upstreams[]} in {@code /health}, {@code X-LLM-Proxy-Upstream} on answers), played by a
 * {@link FakeUpstream}; and against a real proxy that requires a client key.
 */
class MultiUpstreamContractIT {
    private static final String MODELS = """
            {"object":"list","data":[
              {"id":"llama3.2:3b","object":"model","owned_by":"library","upstream":"local","context_length":131072},
              {"id":"nomic-embed-text","object":"model","owned_by":"library","upstream":"local"},
              {"id":"gpt-4.1-mini","object":"model","owned_by":"openai","upstream":"openai",
               "limits":{"max_input_tokens":1047576,"max_output_tokens":32768}},
              {"id":"fast","object":"model","owned_by":"llm-proxy","upstream":"local"}]}
            """;

    private FakeUpstream fakeProxy;
    private Map<String, String> env;
    private volatile String health;
    private final AtomicInteger chats = new AtomicInteger();

    @BeforeEach
    void start() {
        fakeProxy = FakeUpstream.start(false);
        fakeProxy.listModels(null); // it plays the proxy: its /v1/models is scripted below
        env = Map.of("PROXY_URL", fakeProxy.baseUrl().toString());
        fakeProxy.handler((request, exchange) -> {
            switch (request.uri()) {
                case "/health" -> exchange.respondJson(200, health);
                case "/v1/models" -> exchange.respondJson(200, MODELS);
                case "/v1/chat/completions" -> {
                    if (chats.getAndIncrement() == 0) {
                        exchange.respond(429, Map.of("content-type", "application/json", "retry-after", "2",
                                        "x-llm-proxy-upstream", "local"),
                                "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\",\"param\":null,"
                                        .concat("\"code\":\"rate_limit\"}}").getBytes(StandardCharsets.UTF_8));
                        return;
                    }
                    exchange.startStream(200, Map.of("content-type", "text/event-stream",
                                    "x-llm-proxy-upstream", "local"))
                            .thenCompose(v -> exchange.sendChunk(FakeUpstream.sseEvent(
                                    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}")))
                            .thenCompose(v -> exchange.sendChunk(FakeUpstream.sseEvent(
                                    "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,"
                                            + "\"total_tokens\":6}}")))
                            .thenCompose(v -> exchange.sendChunk(FakeUpstream.sseEvent("[DONE]")))
                            .thenCompose(v -> exchange.end());
                }
                default -> exchange.respondJson(404, "{\"error\":{\"message\":\"no\",\"code\":\"not_found\"}}");
            }
        });
    }

    @AfterEach
    void stop() {
        fakeProxy.close();
    }

    private static String health(String openaiReachable, String breaker) {
        return """
                {"status":"ok","timestamp":"2026-08-01T00:00:00Z","upstreams":[
                  {"name":"local","kind":"openai-compatible","url":"http://127.0.0.1:11434/v1","reachable":true,
                   "models":3,"breaker":"closed"},
                  {"name":"openai","kind":"openai","url":"https://api.openai.com/v1","reachable":%s,"models":1,
                   "breaker":%s}]}
                """.formatted(openaiReachable, breaker);
    }

    @Test
    void healthShowsEachUpstreamAndExitsZeroWhenAllAreWell() {
        health = health("true", "\"closed\"");
        ToolRun run = ToolRun.run(env, "", "health");
        assertThat(run.exit()).as(run.printed()).isZero();
        assertThat(run.out()).containsPattern("(?m)^local +openai-compatible +http://127.0.0.1:11434/v1 +yes +- +3"
                + " +closed$");
        assertThat(run.out()).containsPattern("(?m)^openai +openai +https://api.openai.com/v1 +yes");
    }

    @Test
    void anUnreachableUpstreamOrAnOpenBreakerMakesTheProxyUnhealthy() throws Exception {
        health = health("false", "{\"state\":\"open\",\"until\":\"2026-08-01T00:01:00Z\"}");
        ToolRun run = ToolRun.run(env, "", "health");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).endsWith("UNHEALTHY: upstream openai unreachable; upstream openai circuit breaker"
                + " open\n");

        ToolRun json = ToolRun.run(env, "", "health", "--json");
        assertThat(json.exit()).isEqualTo(ExitCodes.FAILED);
        JsonNode report = Json.MAPPER.readTree(json.out());
        assertThat(report.path("healthy").asBoolean()).isFalse();
        assertThat(report.path("problems")).hasSize(2);
        assertThat(report.at("/health/upstreams/1/name").asText()).isEqualTo("openai");
    }

    @Test
    void aHealthAnswerOtherThanOkIsUnhealthy() {
        health = "{\"status\":\"draining\"}";
        ToolRun run = ToolRun.run(env, "", "health");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).contains("UNHEALTHY: GET /health answered 200 status draining");
    }

    @Test
    void modelsAreGroupedByUpstreamWithTheirLimits() throws Exception {
        ToolRun run = ToolRun.run(env, "", "models");
        assertThat(run.exit()).as(run.printed()).isZero();
        assertThat(run.out()).startsWith("upstream local: 3 models\n").contains("\n\nupstream openai: 1 models\n");
        assertThat(run.out()).containsPattern("(?m)^llama3.2:3b +library +131.1k +- +chat$");
        assertThat(run.out()).containsPattern("(?m)^nomic-embed-text +library +- +- +embeddings$");
        assertThat(run.out()).containsPattern("(?m)^gpt-4.1-mini +openai +1.05M +32768 +chat$");

        JsonNode json = Json.MAPPER.readTree(ToolRun.run(env, "", "models", "--json").out());
        assertThat(json.at("/upstreams/1/models/0/max_input_tokens").asLong()).isEqualTo(1047576);
        assertThat(json.at("/upstreams/0/models/1/embeddings").asBoolean()).isTrue();
    }

    @Test
    void benchmarkTakesEachUpstreamsChatModelsRetriesAfterA429AndNamesWhoAnswered() throws Exception {
        ToolRun run = ToolRun.run(env, "", "benchmark-models", "--per-upstream", "1", "--interval", "0",
                "--json");
        assertThat(run.exit()).as(run.printed()).isZero();
        JsonNode results = Json.MAPPER.readTree(run.out()).path("results");
        assertThat(results.findValuesAsText("model")).containsExactlyInAnyOrder("llama3.2:3b", "gpt-4.1-mini");
        assertThat(results.findValuesAsText("upstream")).containsOnly("local");
        assertThat(run.sleeps()).as("Retry-After of the 429, then the interval").containsExactly(
                Duration.ofSeconds(2), Duration.ZERO);
        assertThat(chats.get()).isEqualTo(3);
    }

    @Test
    void aProxyThatRequiresAKeyTakesItFromTheEnvironmentAndRefusesAWrongOne() {
        try (ProxyUnderTest proxy = ProxyUnderTest.start(ProxyUnderTest.settings("PROXY_SERVER_KEY", "k-one,k-two"))) {
            String url = proxy.baseUrl().toString();
            ToolRun none = ToolRun.run(Map.of("PROXY_URL", url), "", "health");
            assertThat(none.exit()).as(none.printed()).isEqualTo(ExitCodes.USAGE);
            assertThat(none.err()).startsWith("llm-proxy health: --key: missing (expected: the proxy requires a"
                    + " client key");

            ToolRun fromEnv = ToolRun.run(Map.of("PROXY_URL", url, "PROXY_SERVER_KEY", "k-one,k-two"), "", "health");
            assertThat(fromEnv.exit()).as(fromEnv.printed()).isZero();
            assertThat(fromEnv.out()).contains("client key: accepted");

            ToolRun wrong = ToolRun.run(Map.of("PROXY_URL", url), "", "models", "--key", "not-the-key");
            assertThat(wrong.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(wrong.err()).startsWith("llm-proxy models: --key: (hidden) (expected: a client key the proxy"
                    + " accepts").doesNotContain("not-the-key");
            Map<String, String> wrongKey = Map.of("PROXY_URL", url, "PROXY_KEY", "wrong");
            ToolRun quickTest = ToolRun.run(wrongKey, "", "quick-test", "--model", "m", "--prompt", "x");
            assertThat(quickTest.exit()).as(quickTest.printed()).isEqualTo(ExitCodes.USAGE);
            ToolRun benchmark = ToolRun.run(wrongKey, "", "benchmark-models");
            assertThat(benchmark.exit()).as(benchmark.printed()).isEqualTo(ExitCodes.USAGE);
        }
    }
}
