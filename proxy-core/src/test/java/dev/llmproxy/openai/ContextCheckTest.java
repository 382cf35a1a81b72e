package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.llmproxy.openai.ContextCheck.Result;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static dev.llmproxy.openai.GitHubModelsPlan.ENTERPRISE;
import static dev.llmproxy.openai.GitHubModelsPlan.FREE;
import static dev.llmproxy.openai.GitHubModelsPlan.PRO;
import static org.assertj.core.api.Assertions.assertThat;

class ContextCheckTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    /** Expectations straight from jtokkit, not through the class under test. */
    private static final EncodingRegistry REGISTRY = Encodings.newDefaultEncodingRegistry();
    private static final Encoding O200K = REGISTRY.getEncoding(EncodingType.O200K_BASE);
    private static final Encoding CL100K = REGISTRY.getEncoding(EncodingType.CL100K_BASE);

    private final LiveCatalog live = LiveCatalog.bundled();
    private final ContextCheck check = new ContextCheck(live, TOKENS, new ModelAdvisor(live));

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ObjectNode text(String text, String model) {
        ObjectNode body = Json.object();
        body.put("text", text);
        body.put("model", model);
        return body;
    }

    private ProxyError rejection(JsonNode body) {
        try {
            check.check(body, null);
        } catch (ProxyErrorException e) {
            return e.error();
        }
        throw new AssertionError("accepted: " + body);
    }

    @Test
    void countsTextWithTheModelsTokenizerAsJtokkitDoes() {
        String sentence = "hello world, this is a test";
        Result gpt4o = check.check(text(sentence, "gpt-4o"), null);
        assertThat(gpt4o.estimatedTokens()).isEqualTo(O200K.countTokensOrdinary(sentence)).isEqualTo(7);
        assertThat(gpt4o.tokenizer()).isEqualTo("o200k_base");
        assertThat(gpt4o.exact()).isTrue();
        assertThat(gpt4o.model()).isEqualTo("openai/gpt-4o");

        String mixed = "Grüße aus München – 世界 🚀";
        Result llama = check.check(text(mixed, "meta/llama-3.3-70b-instruct"), null);
        assertThat(llama.estimatedTokens()).isEqualTo(CL100K.countTokensOrdinary(mixed)).isEqualTo(13);
        assertThat(llama.tokenizer()).isEqualTo("cl100k_base");
        assertThat(llama.exact()).isFalse();

        String code = "public static void main(String[] args) { System.out.println(\"hi\"); }\n".repeat(50);
        assertThat(check.check(text(code, "openai/gpt-4.1-mini"), null).estimatedTokens())
                .isEqualTo(O200K.countTokensOrdinary(code));
        assertThat(check.check(text("", "openai/gpt-4o"), null).estimatedTokens()).isZero();
    }

    @Test
    void countsMessagesWithTheChatOverheadTheApiBills() {
        // The OpenAI cookbook's example conversation: the API itself reported 124 prompt tokens on gpt-4o.
        JsonNode body = json("""
                {"model": "gpt-4o", "messages": [
                  {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
                  {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
                  {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
                  {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
                  {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
                  {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
                ]}""");
        assertThat(check.check(body, null).estimatedTokens()).isEqualTo(124);

        JsonNode one = json("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}");
        assertThat(check.check(one, null).estimatedTokens())
                .isEqualTo(3 + O200K.countTokensOrdinary("user") + O200K.countTokensOrdinary("hello world") + 3);
    }

    @Test
    void limitsAreTheCatalogsInputLimitLoweredByThePlansCap() {
        record Case(String model, GitHubModelsPlan plan, Integer limit, Integer maxOutput, String source,
                    Integer modelLimit) {
        }
        List<Case> cases = List.of(
                new Case("openai/gpt-4o", null, 131072, 16384, "catalog", 131072),
                new Case("openai/gpt-4o", FREE, 8000, 4000, "plan", 131072),
                new Case("openai/gpt-4o", ENTERPRISE, 16000, 8000, "plan", 131072), // high tier, Enterprise
                new Case("gpt-4o-mini", ENTERPRISE, 8000, 4096, "plan", 131072),    // low tier: 8000 in, 8000 out
                new Case("openai/gpt-4.1", null, 1048576, 32768, "catalog", 1048576),
                new Case("ai21-labs/ai21-jamba-1.5-large", null, 262144, 4096, "catalog", 262144),
                new Case("microsoft/phi-3-mini-4k-instruct", FREE, 4096, 4000, "catalog", 4096),
                new Case("microsoft/phi-4", PRO, 8000, 4000, "plan", 16384),
                new Case("meta/llama-4-scout-17b-16e-instruct", null, 10000000, 4096, "catalog", 10000000),
                new Case("openai/o3", PRO, 200000, 100000, "catalog", 200000),      // custom tier: no stated caps
                new Case("openai/text-embedding-3-small", FREE, 8191, null, "catalog", 8191),
                new Case("cohere/cohere-embed-v3-english", null, 512, null, "catalog", 512),
                new Case("Mistral-Nemo", FREE, 8000, 4000, "plan", 131072));
        for (Case c : cases) {
            Result result = check.check(text("hello world", c.model()), c.plan());
            assertThat(result.limit()).as("%s on %s", c.model(), c.plan()).isEqualTo(c.limit());
            assertThat(result.maxOutputTokens()).as("%s on %s", c.model(), c.plan()).isEqualTo(c.maxOutput());
            assertThat(result.limitSource()).as("%s on %s", c.model(), c.plan()).isEqualTo(c.source());
            assertThat(result.modelInputLimit()).as(c.model()).isEqualTo(c.modelLimit());
            assertThat(result.fits()).isTrue();
            assertThat(result.remaining()).isEqualTo(c.limit() - result.estimatedTokens());
        }
        assertThat(check.check(text("hello", "Mistral-Nemo"), null).model()).isEqualTo("mistral-ai/mistral-nemo");
    }

    @Test
    void anOversizePromptDoesNotFitAndRemainingSaysByHowMuch() {
        String big = "hello ".repeat(5000); // 5001 o200k tokens ("hello" + 4999 " hello" + " ")
        int tokens = O200K.countTokensOrdinary(big);
        Result free = check.check(text(big, "openai/gpt-4o-mini"), FREE);
        assertThat(free.estimatedTokens()).isEqualTo(tokens);
        assertThat(free.limit()).isEqualTo(8000);
        assertThat(free.fits()).isTrue();
        assertThat(free.suggestions()).as("nothing to suggest when it fits").isNull();
        assertThat(free.toJson().has("suggestions")).isFalse();

        String bigger = big + big;
        Result over = check.check(text(bigger, "openai/gpt-4o-mini"), FREE);
        assertThat(over.estimatedTokens()).isEqualTo(O200K.countTokensOrdinary(bigger));
        assertThat(over.fits()).isFalse();
        assertThat(over.suggestions()).isNotEmpty().hasSizeLessThanOrEqualTo(3).doesNotContain("openai/gpt-4o-mini");
        for (String id : over.suggestions()) {
            assertThat(check.check(text(bigger, id), FREE).fits()).as(id + " takes the prompt").isTrue();
        }
        assertThat(over.remaining()).isEqualTo(8000 - over.estimatedTokens()).isNegative();
        assertThat(over.usage()).isEqualTo(ContextCheck.percent(over.estimatedTokens(), 8000));
        // without a plan the model's own 131072 applies
        assertThat(check.check(text(bigger, "openai/gpt-4o-mini"), null).fits()).isTrue();
    }

    @Test
    void maxTokensCountsAgainstTheOutputLimitWhenOneIsKnown() {
        ObjectNode body = text("hi", "openai/gpt-4o");
        body.put("max_tokens", 4000);
        assertThat(check.check(body, FREE).fits()).isTrue();
        assertThat(check.check(body, FREE).maxTokens()).isEqualTo(4000);
        body.put("max_tokens", 4001);
        assertThat(check.check(body, FREE).fits()).as("the free plan's output cap is 4000").isFalse();
        assertThat(check.check(body, null).fits()).as("the model's own output limit is 16384").isTrue();
        body.put("max_tokens", 16385);
        assertThat(check.check(body, null).fits()).isFalse();
        assertThat(check.check(body, null).toJson().path("max_tokens").asLong()).isEqualTo(16385);

        ObjectNode embeddings = text("hi", "openai/text-embedding-3-small");
        embeddings.put("max_tokens", 1_000_000);
        assertThat(check.check(embeddings, null).fits()).as("no output limit: nothing to compare").isTrue();

        ObjectNode whole = (ObjectNode) json("{\"text\":\"hi\",\"model\":\"openai/gpt-4o\",\"max_tokens\":100.0}");
        assertThat(check.check(whole, null).maxTokens()).isEqualTo(100);
    }

    @Test
    void usageIsAOneDecimalPercentageStringLikeJavaScriptsToFixed() {
        // expected values printed by node: (a / b * 100).toFixed(1)
        assertThat(ContextCheck.percent(7, 128000)).isEqualTo("0.0");
        assertThat(ContextCheck.percent(7, 4000)).isEqualTo("0.2");
        assertThat(ContextCheck.percent(1, 3)).isEqualTo("33.3");
        assertThat(ContextCheck.percent(2, 3)).isEqualTo("66.7");
        assertThat(ContextCheck.percent(1, 16)).isEqualTo("6.3");
        assertThat(ContextCheck.percent(3, 2000)).isEqualTo("0.1");
        assertThat(ContextCheck.percent(9008, 8000)).isEqualTo("112.6");
        assertThat(ContextCheck.percent(4001, 4000)).isEqualTo("100.0");
        assertThat(ContextCheck.percent(13, 80)).isEqualTo("16.3");
        assertThat(check.check(text("hello world, this is a test", "openai/gpt-4o"), FREE).usage())
                .isEqualTo("0.1"); // 7 of 8000
    }

    @Test
    void answersTheReferenceFieldsFirstThenTheNewOnes() {
        JsonNode json = check.check(text("hello world, this is a test", "gpt-4o"), FREE).toJson();
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("estimatedTokens", "limit", "fits", "usage", "maxOutputTokens", "remaining",
                "tokenizer", "exact", "model", "limitSource", "modelInputLimit");
        assertThat(json.toString()).isEqualTo(json("""
                {"estimatedTokens":7,"limit":8000,"fits":true,"usage":"0.1","maxOutputTokens":4000,"remaining":7993,
                 "tokenizer":"o200k_base","exact":true,"model":"openai/gpt-4o","limitSource":"plan",
                 "modelInputLimit":131072}""").toString());
        assertThat(json.path("usage").isTextual()).isTrue();
    }

    @Test
    void anUnknownModelIsA404WithSuggestionsThatCanTakeThePrompt() {
        ProxyError typo = rejection(text("hello", "gpt-4o-mni"));
        assertThat(typo.status()).isEqualTo(404);
        assertThat(typo.kind()).isEqualTo(ErrorKind.MODEL_NOT_FOUND);
        assertThat(typo.message()).contains("'gpt-4o-mni'");
        JsonNode body = typo.toJsonNode();
        assertThat(body.path("error").path("code").asText()).isEqualTo("model_not_found");
        assertThat(body.path("suggestions").get(0).asText()).isEqualTo("openai/gpt-4o-mini");

        String big = "hello ".repeat(150_000); // about 150K tokens
        ProxyError longPrompt = rejection(text(big, "nobody/unknown-model"));
        JsonNode suggestions = longPrompt.toJsonNode().path("suggestions");
        assertThat(suggestions).isNotEmpty();
        for (JsonNode id : suggestions) {
            assertThat(live.current().find(id.asText()).orElseThrow().maxInputTokens()).as(id.asText())
                    .isGreaterThanOrEqualTo(150_000);
        }
    }

    @Test
    void malformedRequestsAreA400NamingTheField() {
        ProxyError both = rejection(json("{\"text\":\"a\",\"messages\":[],\"model\":\"gpt-4o\"}"));
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.param()).isEqualTo("text");
        assertThat(both.message()).contains("exactly one");

        ProxyError neither = rejection(json("{\"model\":\"gpt-4o\"}"));
        assertThat(neither.kind()).isEqualTo(ErrorKind.MISSING_PARAMETER);
        assertThat(neither.toJsonNode().path("error").path("code").asText()).isEqualTo("missing_required_parameter");

        assertThat(rejection(json("{\"text\":\"a\"}")).kind()).isEqualTo(ErrorKind.MISSING_MODEL);
        assertThat(rejection(json("{\"text\":\"a\",\"model\":\"\"}")).kind()).isEqualTo(ErrorKind.MISSING_MODEL);
        assertThat(rejection(json("{\"text\":\"a\",\"model\":7}")).param()).isEqualTo("model");
        // the reference answered a numeric text with estimatedTokens:null and usage "NaN"
        ProxyError numericText = rejection(json("{\"text\":42,\"model\":\"gpt-4o\"}"));
        assertThat(numericText.param()).isEqualTo("text");
        assertThat(numericText.kind()).isEqualTo(ErrorKind.INVALID_PARAMETER);
        assertThat(rejection(json("{\"text\":[\"a\"],\"model\":\"gpt-4o\"}")).param()).isEqualTo("text");
        assertThat(rejection(json("{\"messages\":\"hi\",\"model\":\"gpt-4o\"}")).param()).isEqualTo("messages");
        assertThat(rejection(json("{\"messages\":[1],\"model\":\"gpt-4o\"}")).message()).startsWith("messages[0]");
        assertThat(rejection(json("{\"text\":\"a\",\"model\":\"gpt-4o\",\"max_tokens\":-1}")).param())
                .isEqualTo("max_tokens");
        assertThat(rejection(json("{\"text\":\"a\",\"model\":\"gpt-4o\",\"max_tokens\":\"10\"}")).param())
                .isEqualTo("max_tokens");
        assertThat(rejection(json("{\"text\":\"a\",\"model\":\"gpt-4o\",\"max_tokens\":1.5}")).param())
                .isEqualTo("max_tokens");
        assertThat(rejection(json("[\"a\"]")).message()).startsWith("request body: array");
        assertThat(rejection(null).status()).isEqualTo(400);
    }

    @Test
    void anUnknownLimitLeavesFitsAndUsageNull() {
        LiveCatalog noLimits = new LiveCatalog(ModelCatalog.parse("""
                [{"id":"old/model","name":"Old","publisher":"Old","rate_limit_tier":"low",
                  "supported_input_modalities":["text"],"supported_output_modalities":["text"]}]"""
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        ContextCheck old = new ContextCheck(noLimits, TOKENS, new ModelAdvisor(noLimits));
        Result result = old.check(text("hello world", "old/model"), null);
        assertThat(result.limit()).isNull();
        assertThat(result.fits()).isNull();
        assertThat(result.usage()).isNull();
        assertThat(result.remaining()).isNull();
        assertThat(result.estimatedTokens()).isEqualTo(2);
        // the plan's cap alone is a limit
        assertThat(old.check(text("hello world", "old/model"), FREE).limit()).isEqualTo(8000);
    }

    @Test
    void namesWhereTheLimitCameFrom() {
        List<CatalogModel> listed = ModelListing.parse(("{\"data\":["
                + "{\"id\":\"llama3.2:3b\"},{\"id\":\"my-model\"},"
                + "{\"id\":\"served\",\"max_model_len\":4096}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "local", KnownModels.bundled(), java.time.Instant.now());
        LiveCatalog local = new LiveCatalog(ModelCatalog.of(listed));
        ContextCheck check = new ContextCheck(local, TOKENS, new ModelAdvisor(local));

        Result known = check.check(text("hello world", "llama3.2:3b"), null);
        assertThat(known.limit()).isEqualTo(131072);
        assertThat(known.limitSource()).isEqualTo("known-models");
        assertThat(known.fits()).isTrue();
        Result listing = check.check(text("hello world", "served"), null);
        assertThat(listing.limit()).isEqualTo(4096);
        assertThat(listing.limitSource()).isEqualTo("listing");
        Result unknown = check.check(text("hello world", "my-model"), null);
        assertThat(unknown.limit()).isNull();
        assertThat(unknown.fits()).isNull();
        assertThat(unknown.limitSource()).isEqualTo("unknown");
    }
}
