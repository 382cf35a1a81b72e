package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.CatalogRefresher;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model intelligence through a running proxy: the context pre-check refuses what cannot fit without an upstream
 * call (inline and off the event loop), errors carry suggestions (unknown model upstream, plan availability), the
 * model tools answer with the right statuses, strict mode removes them, and the catalog refresh swaps in a good
 * catalog and keeps the last good one on a failure.
 */
class ModelIntelligenceIT {
    private static final String ANSWER = FakeUpstream.chatCompletion("Hi");

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;

    /** In front of a fake GitHub Models upstream: its catalog, short names and plan apply. */
    private void start(String... settings) {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, ANSWER));
        proxy = ProxyUnderTest.startGitHubModels(upstream, ProxyUnderTest.settings(settings));
    }

    /** In front of a fake OpenAI-compatible upstream listing GitHub's ids: limits from the known families. */
    private void startOpenAiCompatible(String... settings) {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, ANSWER));
        proxy = ProxyUnderTest.start(upstream, ProxyUnderTest.settings(settings));
    }

    private void startDemo(String... settings) {
        proxy = ProxyUnderTest.start(ProxyUnderTest.settings(settings));
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

    private static String chat(String model, String content) {
        ObjectNode body = Json.object();
        body.put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", content);
        return Json.MAPPER.valueToTree(body).toString();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }

    @Test
    void aPromptThatCannotFitIsRefusedWithoutAnUpstreamCall() throws Exception {
        start();
        // phi-3-mini-4k takes 4096 input tokens; this is about 6000 (an estimate: cl100k_base, not Phi's tokenizer)
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions",
                chat("microsoft/phi-3-mini-4k-instruct", "word ".repeat(6000)));
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(r.body());
        assertThat(error.at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.at("/error/param").asText()).isEqualTo("messages");
        assertThat(error.at("/context/limit").asInt()).isEqualTo(4096);
        assertThat(error.at("/context/prompt_tokens").asLong()).isGreaterThan(6000);
        assertThat(error.at("/context/exact").asBoolean()).isFalse();
        List<String> suggestions = texts(error.path("suggestions"));
        assertThat(suggestions).isNotEmpty().doesNotContain("microsoft/phi-3-mini-4k-instruct");
        assertThat(upstream.requests()).as("no upstream request was spent").isEmpty();

        HttpResponse<String> fits = proxy.postJson("/v1/chat/completions",
                chat("microsoft/phi-3-mini-4k-instruct", "word ".repeat(1000)));
        assertThat(fits.statusCode()).isEqualTo(200);
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void aLargePromptIsCountedOffTheEventLoopAndStillRefused() throws Exception {
        startOpenAiCompatible();
        // about 140 000 tokens against gpt-4o-mini's 128 000 (exact: o200k_base), 700 KB of body
        String huge = chat("openai/gpt-4o-mini", "word ".repeat(140_000));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", huge);
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(r.body());
        assertThat(error.at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.at("/context/exact").asBoolean()).isTrue();
        assertThat(error.at("/context/tokenizer").asText()).isEqualTo("o200k_base");
        assertThat(texts(error.path("suggestions"))).isNotEmpty().doesNotContain("openai/gpt-4o-mini");
        assertThat(upstream.requests()).isEmpty();

        // just under the limit: counted off the loop as well, and forwarded
        HttpResponse<String> fits = proxy.postJson("/v1/chat/completions",
                chat("openai/gpt-4o-mini", "word ".repeat(100_000)));
        assertThat(fits.statusCode()).isEqualTo(200);
        assertThat(upstream.requests()).hasSize(1);
        assertThat(upstream.requests().get(0).bodyJson().path("model").asText()).isEqualTo("openai/gpt-4o-mini");
    }

    @Test
    void embeddingsArePreCheckedAndTheCheckCanBeTurnedOff() throws Exception {
        start("CONTEXT_CHECK_ENABLED", "false");
        String input = "{\"model\":\"cohere/cohere-embed-v3-english\",\"input\":\"" + "word ".repeat(2000) + "\"}";
        assertThat(proxy.postJson("/v1/embeddings", input).statusCode()).as("check off: forwarded").isEqualTo(200);
        assertThat(upstream.requests()).hasSize(1);
        stop();

        start();
        HttpResponse<String> r = proxy.postJson("/v1/embeddings", input);
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(r.body());
        assertThat(error.at("/error/param").asText()).isEqualTo("input");
        assertThat(error.at("/context/limit").asInt()).isEqualTo(512);
        List<String> suggestions = texts(error.path("suggestions"));
        assertThat(suggestions).as("embedding models only").isNotEmpty()
                .allSatisfy(id -> assertThat(id).containsAnyOf("embed"));
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void anUnknownModelUpstreamGetsSuggestionsNearTheName() throws Exception {
        start();
        upstream.handler(FakeUpstream.json(404,
                "{\"error\":{\"code\":\"unknown_model\",\"message\":\"Unknown model: gpt-4o-mnii\"}}"));
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("gpt-4o-mnii", "hi"));
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.at("/error/code").asText()).as("the upstream's error is kept").isEqualTo("unknown_model");
        assertThat(texts(body.path("suggestions"))).first().isEqualTo("openai/gpt-4o-mini");

        // other errors pass through untouched
        upstream.handler(FakeUpstream.json(500, "{\"error\":{\"message\":\"boom\"}}"));
        JsonNode other = Json.MAPPER.readTree(proxy.postJson("/v1/chat/completions", chat("gpt-4o", "hi")).body());
        assertThat(other.has("suggestions")).isFalse();
    }

    @Test
    void onGitHubModelsThePlanCapsTheInputAndRefusesModelsItCannotUse() throws Exception {
        start("GITHUB_MODELS_PLAN", "free");
        // gpt-4o takes 131 072 tokens, but the free plan caps a request at 8000
        HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("gpt-4o", "word ".repeat(9000)));
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(r.body());
        assertThat(error.at("/context/limit").asInt()).isEqualTo(8000);
        assertThat(error.at("/context/limit_source").asText()).isEqualTo("plan");

        HttpResponse<String> na = proxy.postJson("/v1/chat/completions", chat("openai/gpt-5", "hi"));
        assertThat(na.statusCode()).isEqualTo(403);
        JsonNode refused = Json.MAPPER.readTree(na.body());
        assertThat(refused.at("/error/code").asText()).isEqualTo("model_not_available");
        assertThat(texts(refused.path("suggestions"))).isNotEmpty().doesNotContain("openai/gpt-5");

        assertThat(proxy.postJson("/v1/chat/completions", chat("gpt-4o", "hello")).statusCode()).isEqualTo(200);
    }

    @Test
    void checkContextCountsAgainstTheRealLimit() throws Exception {
        startOpenAiCompatible();
        JsonNode listed = Json.MAPPER.readTree(proxy.get("/v1/models/openai/gpt-4o").body());
        HttpResponse<String> r = proxy.postJson("/v1/check-context",
                "{\"text\":\"hello world, this is a test\",\"model\":\"openai/gpt-4o\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.path("estimatedTokens").asLong()).isEqualTo(7);
        assertThat(body.path("limit").asInt()).as("no plan cap on a non-GitHub upstream: the listed limit")
                .isEqualTo(listed.at("/limits/max_input_tokens").asInt()).isGreaterThan(100_000);
        assertThat(body.path("fits").asBoolean()).isTrue();
        assertThat(body.path("usage").asText()).isEqualTo("0.0");
        assertThat(body.path("tokenizer").asText()).isEqualTo("o200k_base");
        assertThat(body.path("exact").asBoolean()).isTrue();

        HttpResponse<String> unknown = proxy.postJson("/v1/check-context", "{\"text\":\"hi\",\"model\":\"gpt-4o-mni\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(texts(Json.MAPPER.readTree(unknown.body()).path("suggestions"))).contains("openai/gpt-4o-mini");
        assertThat(proxy.postJson("/v1/check-context", "{\"model\":\"openai/gpt-4o\"}").statusCode()).isEqualTo(400);
        assertThat(proxy.postJson("/v1/check-context", "not json").statusCode()).isEqualTo(400);
        assertThat(proxy.get("/v1/check-context").statusCode()).isEqualTo(405);
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void recommendAndGenerateCodeAnswerLocally() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/recommend-model", "{\"task\":\"embeddings\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.path("recommendations")).hasSize(3);
        body.path("recommendations").forEach(rec -> assertThat(rec.path("tasks").toString()).contains("embeddings"));
        assertThat(body.at("/requirements/task").asText()).isEqualTo("embeddings");
        assertThat(proxy.postJson("/v1/recommend-model", "{\"speed\":\"warp\"}").statusCode()).isEqualTo(400);

        HttpResponse<String> code = proxy.postJson("/api/generate-code",
                "{\"language\":\"python\",\"type\":\"basic\",\"prompt\":\"say \\\"hi\\\"\"}");
        assertThat(code.statusCode()).isEqualTo(200);
        String snippet = Json.MAPPER.readTree(code.body()).path("code").asText();
        assertThat(snippet).contains("http://127.0.0.1:" + proxy.port() + "/v1").contains("say \\\"hi\\\"");
        assertThat(proxy.postJson("/api/generate-code", "{\"language\":\"cobol\",\"type\":\"basic\"}").statusCode())
                .isEqualTo(400);
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void strictModeRemovesTheModelTools() throws Exception {
        start("STRICT_OPENAI_API", "true");
        for (String path : List.of("/v1/check-context", "/v1/recommend-model", "/api/generate-code")) {
            assertThat(proxy.postJson(path, "{}").statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void theDemoCatalogIsFetchedAtStartUp() throws Exception {
        startDemo();
        CatalogRefresher refresher = proxy.server().catalogRefresher();
        assertThat(refresher).isNotNull();
        CatalogRefresher.Result result = awaitResult(refresher);
        assertThat(result.ok()).as(String.valueOf(result.failure())).isTrue();
        assertThat(result.modelCount()).as("the demo lists its own models").isEqualTo(dev.llmproxy.demo.DemoUpstream.modelIds().size());
    }

    @Test
    void aRefreshedCatalogReplacesTheDataAndAFailedOneKeepsIt() throws Exception {
        upstream = FakeUpstream.start(false);
        ArrayNode catalog = Json.MAPPER.createArrayNode();
        ObjectNode model = catalog.addObject();
        model.put("id", "openai/gpt-4o-mini").put("name", "GPT-4o mini").put("publisher", "OpenAI")
                .put("rate_limit_tier", "low");
        model.putArray("supported_input_modalities").add("text");
        model.putArray("supported_output_modalities").add("text");
        model.putArray("capabilities").add("streaming");
        model.putArray("tags");
        model.putObject("limits").put("max_input_tokens", 1000).put("max_output_tokens", 100);
        String good = Json.MAPPER.writeValueAsString(catalog);
        upstream.handler((request, exchange) -> {
            if (request.uri().startsWith("/catalog/good")) {
                exchange.respondJson(200, good);
            } else if (request.uri().startsWith("/catalog/")) {
                exchange.respondJson(200, "[{\"id\":");
            } else {
                exchange.respondJson(200, ANSWER);
            }
        });
        proxy = ProxyUnderTest.startGitHubModels(upstream, ProxyUnderTest.settings("GITHUB_MODELS_CATALOG_URL",
                upstream.baseUrl().resolve("/catalog/good").toString()));
        CatalogRefresher.Result result = awaitResult(proxy.server().catalogRefresher());
        assertThat(result.ok()).as(String.valueOf(result.failure())).isTrue();
        JsonNode models = Json.MAPPER.readTree(proxy.get("/v1/models").body());
        assertThat(models.path("data")).hasSize(1);
        assertThat(models.at("/data/0/limits/max_input_tokens").asInt()).isEqualTo(1000);
        // the refreshed limit is the one the pre-check applies
        assertThat(proxy.postJson("/v1/chat/completions", chat("gpt-4o-mini", "word ".repeat(1500))).statusCode())
                .isEqualTo(400);
        assertThat(upstream.requests().stream().filter(r -> r.uri().startsWith("/catalog/good")).findFirst()
                .orElseThrow().header("Authorization")).as("the upstream's own host gets its key")
                .isEqualTo("Bearer " + ProxyUnderTest.SERVER_TOKEN);
        proxy.close();

        proxy = ProxyUnderTest.startGitHubModels(upstream, ProxyUnderTest.settings("GITHUB_MODELS_CATALOG_URL",
                upstream.baseUrl().resolve("/catalog/broken").toString()));
        CatalogRefresher.Result failed = awaitResult(proxy.server().catalogRefresher());
        assertThat(failed.ok()).isFalse();
        assertThat(failed.modelCount()).as("the bundled catalog stays").isEqualTo(58);
        assertThat(Json.MAPPER.readTree(proxy.get("/v1/models").body()).path("data")).hasSize(58);
    }

    private static CatalogRefresher.Result awaitResult(CatalogRefresher refresher) {
        return Awaitility.await("a refresh finished").atMost(Duration.ofSeconds(20))
                .until(refresher::lastResult, Objects::nonNull);
    }
}
