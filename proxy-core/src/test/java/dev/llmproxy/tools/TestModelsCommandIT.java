package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code test-models} through the real proxy to a fake upstream whose answer depends on the model asked: 200, 404,
 * 429 (with Retry-After), 403 and 500. Each model is classified by what reached the client.
 */
class TestModelsCommandIT {
    private static final String RETRY_AFTER_SECONDS = "3";

    private final Map<String, Integer> statusByModel = new ConcurrentHashMap<>();
    private FakeUpstream upstream;
    private ProxyUnderTest proxy;
    private Map<String, String> env;
    private List<String> chatIds;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler((request, exchange) -> {
            if (request.uri().endsWith("/embeddings")) {
                exchange.respondJson(200, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                        + "\"embedding\":[0.1]}],\"model\":\"e\",\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}");
                return;
            }
            int status = statusByModel.getOrDefault(request.bodyJson().path("model").asText(), 200);
            switch (status) {
                case 200 -> exchange.respondJson(200, FakeUpstream.chatCompletion("Hello"));
                case 429 -> exchange.respond(429, Map.of("content-type", "application/json",
                                "retry-after", RETRY_AFTER_SECONDS),
                        "{\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}}"
                                .getBytes(StandardCharsets.UTF_8));
                default -> exchange.respondJson(status, "{\"error\":{\"code\":\"code_" + status
                        + "\",\"message\":\"upstream says " + status + "\"}}");
            }
        });
        proxy = ProxyUnderTest.start(upstream, Map.of());
        env = Map.of("PROXY_URL", proxy.baseUrl().toString());
        chatIds = new ArrayList<>();
        for (JsonNode model : Json.MAPPER.readTree(proxy.get("/v1/models").body()).path("data")) {
            if (!model.path("supported_output_modalities").toString().contains("embeddings")) {
                chatIds.add(model.path("id").asText());
            }
        }
    }

    @AfterEach
    void stop() {
        proxy.close();
        upstream.close();
    }

    @Test
    void classifiesEachModelByItsStatusAndWaitsOutRetryAfter() throws Exception {
        List<String> five = chatIds.subList(0, 5);
        int[] statuses = {200, 404, 429, 403, 500};
        for (int i = 0; i < five.size(); i++) {
            statusByModel.put(five.get(i), statuses[i]);
        }
        Path report = dir.resolve("report.json");
        ToolRun run = ToolRun.run(env, "", "test-models", "--model", String.join(",", five), "--interval", "0.25",
                "--out", report.toString());

        assertThat(run.exit()).as(run.printed()).isEqualTo(ExitCodes.FAILED);
        JsonNode json = Json.MAPPER.readTree(Files.readString(report));
        Map<String, JsonNode> byId = new HashMap<>();
        json.path("models").forEach(model -> byId.put(model.path("id").asText(), model));
        assertThat(byId.get(five.get(0)).path("result").asText()).isEqualTo("WORKING");
        assertThat(byId.get(five.get(1)).path("result").asText()).isEqualTo("NOT_AVAILABLE");
        assertThat(byId.get(five.get(2)).path("result").asText()).isEqualTo("RATE_LIMITED");
        assertThat(byId.get(five.get(3)).path("result").asText()).isEqualTo("AUTH_ERROR");
        JsonNode other = byId.get(five.get(4));
        assertThat(other.path("result").asText()).isEqualTo("OTHER");
        assertThat(other.path("status").asInt()).isEqualTo(500);
        assertThat(other.path("error").asText()).isEqualTo("upstream says 500");
        assertThat(json.path("summary").toString()).isEqualTo("{\"total\":5,\"WORKING\":1,\"NOT_AVAILABLE\":1,"
                + "\"RATE_LIMITED\":1,\"AUTH_ERROR\":1,\"OTHER\":1}");

        assertThat(run.sleeps()).as("the interval, and after the 429 its Retry-After")
                .containsExactly(Duration.ofMillis(250), Duration.ofMillis(250),
                        Duration.ofSeconds(Long.parseLong(RETRY_AFTER_SECONDS)), Duration.ofMillis(250));
        List<String> asked = upstream.requests().stream().map(RecordedRequest::bodyJson)
                .map(body -> body.path("model").asText()).toList();
        assertThat(asked).as("one tiny request per model, in order").isEqualTo(five);
        JsonNode probe = upstream.requests().get(0).bodyJson();
        assertThat(probe.at("/messages/0/content").asText()).isEqualTo("Hi");
        assertThat(probe.path("max_tokens").asInt()).isEqualTo(16);
        assertThat(probe.has("stream")).isFalse();

        assertThat(run.out()).contains("5 models: 1 WORKING, 1 NOT_AVAILABLE, 1 RATE_LIMITED, 1 AUTH_ERROR, 1 OTHER;"
                + " report: " + report);
        assertThat(run.out().lines().filter(line -> line.startsWith(five.get(4)))).singleElement()
                .asString().contains("OTHER", "500", "upstream says 500");
    }

    @Test
    void exitsZeroWhenEveryModelWorksAndReplacesTheReport() throws Exception {
        Path report = Files.writeString(dir.resolve("report.json"), "an older report");
        ToolRun run = ToolRun.run(env, "", "test-models", "--model", chatIds.get(0), "--out", report.toString(),
                "--json");
        assertThat(run.exit()).as(run.printed()).isZero();
        JsonNode json = Json.MAPPER.readTree(Files.readString(report));
        assertThat(json.at("/summary/WORKING").asInt()).isEqualTo(1);
        assertThat(Json.MAPPER.readTree(run.out())).isEqualTo(json);
        assertThat(run.sleeps()).isEmpty();
    }

    @Test
    void retriesWithMaxCompletionTokensWhenTheModelAsksForIt() throws Exception {
        String model = chatIds.get(0);
        upstream.handler((request, exchange) -> exchange.respondJson(
                request.bodyJson().has("max_tokens") ? 400 : 200,
                request.bodyJson().has("max_tokens")
                        ? "{\"error\":{\"message\":\"Unsupported parameter: 'max_tokens' is not supported with this"
                        + " model. Use 'max_completion_tokens' instead.\",\"type\":\"invalid_request_error\","
                        + "\"param\":\"max_tokens\",\"code\":\"unsupported_parameter\"}}"
                        : FakeUpstream.chatCompletion("ok")));
        ToolRun run = ToolRun.run(env, "", "test-models", "--model", model, "--out", "-");
        assertThat(run.exit()).as(run.printed()).isZero();
        assertThat(upstream.requests()).hasSize(2);
        assertThat(upstream.requests().get(1).bodyJson().path("max_completion_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void anUnknownUpstreamIsAUsageErrorNamingTheKnownOnes() {
        ToolRun run = ToolRun.run(env, "", "test-models", "--upstream", "nope", "--out", "-");
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).isEqualTo("llm-proxy test-models: --upstream: nope (expected: one of default)\n");
        assertThat(upstream.requests()).isEmpty();
    }
}
