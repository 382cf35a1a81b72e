package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.ProxyUnderTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator tools against the real proxy in process, fronting its embedded demo upstream: model ids come from
 * the proxy's own {@code /v1/models}, and the answers the tools show are checked against direct calls.
 */
class DemoProxyToolsIT {
    private static ProxyUnderTest proxy;
    private static Map<String, String> env;
    private static List<String> ids;
    private static List<String> chatIds;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        proxy = ProxyUnderTest.start(ProxyUnderTest.settings("DEMO_TOKEN_DELAY_MS", "0"));
        env = Map.of("PROXY_URL", proxy.baseUrl().toString());
        JsonNode data = Json.MAPPER.readTree(proxy.get("/v1/models").body()).path("data");
        ids = new ArrayList<>();
        chatIds = new ArrayList<>();
        for (JsonNode model : data) {
            ids.add(model.path("id").asText());
            if (!model.path("supported_output_modalities").toString().contains("embeddings")) {
                chatIds.add(model.path("id").asText());
            }
        }
        assertThat(chatIds).hasSizeGreaterThan(2);
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    /** The demo's answer to these messages, asked directly: its reply is a function of the messages. */
    private static JsonNode directAnswer(String model, String system, String prompt, int maxTokens) throws Exception {
        String body = new ChatRequest(model, system, prompt, maxTokens).body(false, false).toString();
        HttpResponse<String> response = proxy.postJson("/v1/chat/completions", body);
        assertThat(response.statusCode()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    @Test
    void modelsListsEveryModelOfTheProxyGroupedByUpstream() throws IOException {
        ToolRun json = ToolRun.run(env, "", "models", "--json");
        assertThat(json.exit()).as(json.printed()).isZero();
        JsonNode upstreams = Json.MAPPER.readTree(json.out()).path("upstreams");
        assertThat(upstreams).hasSize(1);
        assertThat(upstreams.at("/0/name").asText()).as("the embedded demo upstream's name").isEqualTo("demo");
        List<String> listed = new ArrayList<>();
        upstreams.at("/0/models").forEach(model -> listed.add(model.path("id").asText()));
        assertThat(listed).isEqualTo(ids);
        assertThat(upstreams.at("/0/models/0/max_input_tokens").asLong()).isPositive();

        ToolRun text = ToolRun.run(env, "", "models");
        assertThat(text.out()).startsWith("upstream demo: " + ids.size() + " models\nID ")
                .contains(ids.get(0), ids.get(ids.size() - 1));
    }

    @Test
    void healthShowsTheDemoUpstreamAndExitsZero() {
        ToolRun run = ToolRun.run(env, "", "health");
        assertThat(run.exit()).as(run.printed()).isZero();
        assertThat(run.out()).contains("status ok", "demo      openai-compatible", "client key: not required")
                .endsWith("healthy\n");
    }

    @Test
    void aProxyThatDoesNotAnswerIsAFailureNotAStackTrace() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        for (String tool : List.of("health", "models", "test-models", "benchmark-models")) {
            List<String> args = new ArrayList<>(List.of(tool, "--url", "http://127.0.0.1:" + closedPort));
            if (tool.equals("test-models")) {
                args.addAll(List.of("--out", "-"));
            }
            ToolRun run = ToolRun.run(Map.of(), "", args.toArray(String[]::new));
            assertThat(run.exit()).as(run.printed()).isEqualTo(ExitCodes.FAILED);
            assertThat(run.err()).as(tool).isEqualTo("llm-proxy " + tool + ": cannot reach the proxy at"
                    + " http://127.0.0.1:" + closedPort + ": connection refused (is it running? see --url)\n");
        }
    }

    @Test
    void quickTestPrintsTheStreamedAnswerThenItsTimingsAndUsage() throws Exception {
        String model = chatIds.get(0);
        ToolRun run = ToolRun.run(env, "", "quick-test", "--model", model, "--prompt", "Tell me about proxies",
                "--max-tokens", "40");
        assertThat(run.exit()).as(run.printed()).isZero();
        JsonNode direct = directAnswer(model, QuickTestCommand.DEFAULT_SYSTEM, "Tell me about proxies", 40);
        String answer = direct.at("/choices/0/message/content").asText();
        assertThat(answer).isNotBlank();
        assertThat(run.out()).startsWith(answer + "\n[");
        assertThat(run.out()).containsPattern("\\[\\d+(\\.\\d+)? m?s, first token \\d+(\\.\\d+)? m?s, [\\d.]+ tokens/s,"
                + " tokens " + direct.at("/usage/prompt_tokens").asLong() + " prompt \\+ "
                + direct.at("/usage/completion_tokens").asLong() + " completion = "
                + direct.at("/usage/total_tokens").asLong() + ", upstream demo]\n$");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void quickTestJsonCarriesTheAnswerAndUsage() throws Exception {
        String model = chatIds.get(1);
        ToolRun run = ToolRun.run(env, "", "quick-test", "--model", model, "--prompt", "Hi", "--system", "",
                "--json");
        assertThat(run.exit()).as(run.printed()).isZero();
        JsonNode report = Json.MAPPER.readTree(run.out());
        JsonNode direct = directAnswer(model, null, "Hi", 500);
        assertThat(report.path("ok").asBoolean()).isTrue();
        assertThat(report.path("model").asText()).isEqualTo(model);
        assertThat(report.path("answer").asText()).isEqualTo(direct.at("/choices/0/message/content").asText());
        assertThat(report.path("usage")).isEqualTo(direct.path("usage"));
        assertThat(report.path("ttft_ms").asLong()).isLessThanOrEqualTo(report.path("duration_ms").asLong());
    }

    @Test
    void quickTestExitsOneWhenTheRequestFailsAndTwoWhenMisused() {
        ToolRun unknown = ToolRun.run(env, "", "quick-test", "--model", "no-such/model", "--prompt", "Hi");
        assertThat(unknown.exit()).as(unknown.printed()).isEqualTo(ExitCodes.FAILED);
        assertThat(unknown.err()).startsWith("error: HTTP 404 ");

        ToolRun noModel = ToolRun.run(env, "", "quick-test", "--prompt", "Hi");
        assertThat(noModel.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(noModel.err()).startsWith("llm-proxy quick-test: --model: missing (expected: ");
        assertThat(ToolRun.run(env, "", "quick-test", "--max-tokens", "x").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void interactiveQuickTestPicksAModelAndPromptsFromItsInput() throws Exception {
        String first = chatIds.get(0);
        String second = chatIds.get(1);
        String input = String.join("\n", first, "1", "my own question", "/model", "", "2", "/quit", "");
        // long enough for the demo's reply to quote the prompt, so the two answers differ
        ToolRun run = ToolRun.run(env, input, "quick-test", "--max-tokens", "80");
        assertThat(run.exit()).as(run.printed()).isZero();
        String canned = directAnswer(first, QuickTestCommand.DEFAULT_SYSTEM, QuickTestSession.PROMPTS.get(0), 80)
                .at("/choices/0/message/content").asText();
        String own = directAnswer(first, QuickTestCommand.DEFAULT_SYSTEM, "my own question", 80)
                .at("/choices/0/message/content").asText();
        assertThat(canned).isNotEqualTo(own);
        String out = run.out();
        assertThat(out).contains("model: " + first + "\n", "Assistant: " + canned + "\n[",
                "Assistant: " + own + "\n[", "model: " + second + "\n");
        assertThat(out.indexOf("Assistant: " + canned)).isLessThan(out.indexOf("Assistant: " + own));
        assertThat(out.indexOf("model: " + second)).as("/model, an empty line for the whole list, then 2")
                .isGreaterThan(out.indexOf("Assistant: " + own));
    }

    @Test
    void interactiveQuickTestFiltersTheListAndEndsAtTheEndOfInput() {
        String model = chatIds.get(2);
        String filter = model.substring(model.indexOf('/') + 1);
        ToolRun run = ToolRun.run(env, filter + "\n", "quick-test");
        assertThat(run.exit()).as(run.printed()).isZero();
        assertThat(run.out()).contains("model: ");
        assertThat(run.out()).as("no answer was asked for").doesNotContain("Assistant:");
    }

    @Test
    void benchmarkTimesTheDefaultSetPacedAndSortedByTotalTime() throws IOException {
        ToolRun run = ToolRun.run(env, "", "benchmark-models", "--per-upstream", "3", "--interval", "0.5",
                "--max-tokens", "10", "--json");
        assertThat(run.exit()).as(run.printed()).isZero();
        JsonNode results = Json.MAPPER.readTree(run.out()).path("results");
        assertThat(results).hasSize(3);
        List<String> timed = new ArrayList<>();
        long previous = -1;
        for (JsonNode result : results) {
            assertThat(result.path("ok").asBoolean()).isTrue();
            assertThat(result.at("/usage/completion_tokens").asLong()).isEqualTo(10);
            assertThat(result.path("duration_ms").asLong()).isGreaterThanOrEqualTo(previous);
            previous = result.path("duration_ms").asLong();
            timed.add(result.path("model").asText());
        }
        assertThat(timed).containsExactlyInAnyOrderElementsOf(chatIds.subList(0, 3));
        assertThat(run.sleeps()).as("between requests, not before the first")
                .containsExactly(Duration.ofMillis(500), Duration.ofMillis(500));
        assertThat(run.err()).as("no progress bar when stderr is not a terminal").isEmpty();
    }

    @Test
    void benchmarkPrintsATableAndAProgressBarOnATerminal() {
        ToolRun run = ToolRun.run(env, "", true, "benchmark-models", "--model", chatIds.get(1) + ",no-such/model",
                "--interval", "0");
        assertThat(run.exit()).as("a model failed").isEqualTo(ExitCodes.FAILED);
        String[] lines = run.out().split("\n");
        assertThat(lines[0]).startsWith("#  MODEL").contains("TTFT", "TOTAL", "TOK/S");
        assertThat(lines[1]).contains(chatIds.get(1), " ok ");
        assertThat(lines[2]).as("failures last").contains("no-such/model", "404");
        assertThat(run.err()).contains("\r[", "] 0/2 " + chatIds.get(1), "] 2/2 done");
    }

    @Test
    void testModelsProbesEveryModelIncludingEmbeddings() throws IOException {
        Path report = dir.resolve("report.json");
        ToolRun run = ToolRun.run(env, "", "test-models", "--interval", "0", "--out", report.toString());
        JsonNode json = Json.MAPPER.readTree(Files.readString(report));
        assertThat(json.path("models")).hasSize(ids.size());
        List<String> probed = new ArrayList<>();
        json.path("models").forEach(model -> probed.add(model.path("id").asText()));
        assertThat(probed).isEqualTo(ids);
        json.path("models").forEach(model -> {
            if (model.path("kind").asText().equals("embeddings")) {
                assertThat(model.path("result").asText()).as(model.toString()).isEqualTo("WORKING");
            }
        });
        int working = json.at("/summary/WORKING").asInt();
        assertThat(run.exit()).as(run.printed()).isEqualTo(working == ids.size() ? ExitCodes.OK : ExitCodes.FAILED);
        assertThat(run.out()).contains(ids.size() + " models: " + working + " WORKING");
    }

    @Test
    void generateAsksTheProxyForAModelWhenNoneIsGiven() throws IOException {
        ToolRun run = ToolRun.run(env, "", "generate", "--out", dir.toString(), "--language", "python",
                "--type", "basic");
        assertThat(run.exit()).as(run.printed()).isZero();
        String code = Files.readString(dir.resolve("python/basic_chat.py"));
        assertThat(code).contains("model=\"" + chatIds.get(0) + "\"", "base_url=\"" + proxy.openAiBaseUrl() + "\"");
    }
}
