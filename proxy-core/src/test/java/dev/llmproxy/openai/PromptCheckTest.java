package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static dev.llmproxy.openai.GitHubModelsPlan.FREE;
import static org.assertj.core.api.Assertions.assertThat;

class PromptCheckTest {
    private static final TokenCounter TOKENS = new TokenCounter();
    private static final Encoding O200K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    private final LiveCatalog live = LiveCatalog.bundled();
    private final PromptCheck check = new PromptCheck(live, TOKENS, new ModelAdvisor(live));

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ObjectNode chat(String model, String content) {
        ObjectNode body = Json.object();
        body.put("model", model);
        ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        message.put("content", content);
        return body;
    }

    private static long bytes(JsonNode body) {
        return Json.bytes(body).length;
    }

    @Test
    void aPromptThatFitsPasses() {
        ObjectNode body = chat("openai/gpt-4o-mini", "What is the capital of France?");
        assertThat(check.check(body, bytes(body), "openai/gpt-4o-mini", FREE)).isNull();
        assertThat(check.check(body, "openai/gpt-4o-mini", FREE)).isNull();
        assertThat(check.check(body, "openai/gpt-4o-mini", null)).isNull();
    }

    @Test
    void anOversizePromptIsA400WithCountsContextAndSuggestions() {
        String content = "hello ".repeat(9000);
        ObjectNode body = chat("gpt-4o", content);
        body.put("stream", true);
        ProxyError error = check.check(body, bytes(body), "gpt-4o", FREE);
        long expected = 3 + O200K.countTokensOrdinary("user") + O200K.countTokensOrdinary(content) + 3;

        assertThat(error).isNotNull();
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo("messages");
        JsonNode json = error.toJsonNode();
        assertThat(json.path("error").path("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(json.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.message()).contains("8000 tokens per request", "GitHub free plan", "131072",
                expected + " tokens");
        assertThat(json.path("context").toString()).isEqualTo(json("""
                {"prompt_tokens":%d,"limit":8000,"model":"openai/gpt-4o","tokenizer":"o200k_base","exact":true,
                 "limit_source":"plan"}""".formatted(expected)).toString());
        JsonNode suggestions = json.path("suggestions");
        assertThat(suggestions).hasSize(ModelAdvisor.DEFAULT_SUGGESTIONS);
        for (JsonNode id : suggestions) {
            CatalogModel model = live.current().find(id.asText()).orElseThrow();
            TokenLimits limits = TokenLimits.of(model, FREE);
            assertThat(limits.input()).as(id.asText()).isGreaterThanOrEqualTo((int) expected);
            assertThat(model.capabilities()).as("the request streams").contains("streaming");
            assertThat(id.asText()).isNotEqualTo("openai/gpt-4o");
        }
        // without the plan's cap, gpt-4o takes 131072 tokens
        assertThat(check.check(body, bytes(body), "gpt-4o", null)).isNull();
    }

    @Test
    void embeddingsInputIsCheckedAgainstTheEmbeddingsModelsLimit() {
        ObjectNode body = Json.object();
        body.put("model", "openai/text-embedding-3-small");
        ArrayNode input = body.putArray("input");
        input.add("hello ".repeat(5000)).add("world ".repeat(4000)); // about 9000 tokens > 8191
        ProxyError error = check.check(body, bytes(body), "openai/text-embedding-3-small", FREE);
        assertThat(error).isNotNull();
        assertThat(error.param()).isEqualTo("input");
        assertThat(error.message()).contains("your input resulted in").doesNotContain("per request");
        assertThat(error.toJsonNode().path("context").path("limit").asInt()).isEqualTo(8191);
        assertThat(error.toJsonNode().path("suggestions")).as("no embeddings model takes more than 8191").isEmpty();

        ObjectNode small = Json.object();
        small.put("model", "openai/text-embedding-3-small");
        small.putArray("input").add(15339).add(1917); // token ids count one each
        assertThat(check.check(small, "openai/text-embedding-3-small", FREE)).isNull();
    }

    @Test
    void aBodyNoLargerInBytesThanTheLimitIsNotTokenized() {
        ObjectNode body = chat("openai/gpt-4o-mini", "a modest question ".repeat(100));
        PromptCheck.Verdict cheap = check.evaluate(body, bytes(body), "openai/gpt-4o-mini", FREE);
        assertThat(cheap.error()).isNull();
        assertThat(cheap.promptTokens()).as("not counted").isEqualTo(-1);

        PromptCheck.Verdict unknownSize = check.evaluate(body, -1, "openai/gpt-4o-mini", FREE);
        assertThat(unknownSize.error()).isNull();
        assertThat(unknownSize.promptTokens()).isEqualTo(TOKENS.countChat(body.get("messages"), "openai/gpt-4o"));

        // 9000 bytes of a short repeated word: over the 8000 byte bound, so counted, and still fits
        ObjectNode repetitive = chat("openai/gpt-4o-mini", "aaaa".repeat(2250));
        PromptCheck.Verdict counted = check.evaluate(repetitive, bytes(repetitive), "openai/gpt-4o-mini", FREE);
        assertThat(counted.promptTokens()).isPositive().isLessThan(8000);
        assertThat(counted.error()).isNull();

        // messages that are not objects break the byte argument: always counted
        JsonNode odd = json("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[1,2,3]}");
        assertThat(check.evaluate(odd, bytes(odd), "openai/gpt-4o-mini", FREE).promptTokens()).isEqualTo(12);
    }

    @Test
    void tokensNeverOutnumberTheBytesOfTheBodyThatCarriesThem() {
        Random random = new Random(42);
        String[] pieces = {"a", " ", "\n", "é", "世", "🚀", "\"", "\\", "<|endoftext|>", "0", ".", "\u0000", "\t"};
        for (int round = 0; round < 300; round++) {
            ObjectNode body = Json.object();
            body.put("model", "openai/gpt-4o");
            ArrayNode messages = body.putArray("messages");
            int count = random.nextInt(6);
            for (int m = 0; m < count; m++) {
                ObjectNode message = messages.addObject();
                if (random.nextBoolean()) {
                    message.put("role", "user");
                }
                StringBuilder text = new StringBuilder();
                int length = random.nextInt(40);
                for (int i = 0; i < length; i++) {
                    text.append(pieces[random.nextInt(pieces.length)]);
                }
                if (random.nextBoolean()) {
                    message.put("content", text.toString());
                }
                if (random.nextInt(4) == 0) {
                    message.put("name", "n");
                }
            }
            for (String model : List.of("openai/gpt-4o", "meta/llama-3.3-70b-instruct")) {
                assertThat((long) TOKENS.countChat(messages, model)).as(body.toString())
                        .isLessThanOrEqualTo(bytes(body));
            }
            ObjectNode embeddings = Json.object();
            embeddings.put("model", "openai/text-embedding-3-small");
            embeddings.set("input", Json.MAPPER.createArrayNode().add(body.toString()).add(7).add(1234));
            assertThat((long) TOKENS.countInput(embeddings.get("input"), "openai/text-embedding-3-small"))
                    .isLessThanOrEqualTo(bytes(embeddings));
        }
        assertThat((long) TOKENS.countChat(json("[{},{},{}]"), "openai/gpt-4o"))
                .isLessThanOrEqualTo("{\"model\":\"m\",\"messages\":[{},{},{}]}".getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void estimatesForOtherPublishersGetAMarginBeforeRefusal() {
        String model = "meta/llama-3.3-70b-instruct";
        // The free plan caps this high-tier model at 8000 tokens; cl100k is only an estimate of Llama's tokenizer.
        ObjectNode slightlyOver = chat(model, "hello ".repeat(8300));
        long estimate = TOKENS.countChat(slightlyOver.get("messages"), model);
        assertThat(estimate).isBetween(8001L, 8800L);
        assertThat(check.check(slightlyOver, bytes(slightlyOver), model, FREE)).as("within the 10%% margin").isNull();

        ObjectNode clearlyOver = chat(model, "hello ".repeat(9000));
        ProxyError error = check.check(clearlyOver, bytes(clearlyOver), model, FREE);
        assertThat(error).isNotNull();
        assertThat(error.message()).contains("estimated with cl100k_base");
        assertThat(error.toJsonNode().path("context").path("exact").asBoolean()).isFalse();

        // an OpenAI model's exact count is refused one token over
        ObjectNode exactOver = chat("openai/gpt-4o-mini", "hello ".repeat(8300));
        assertThat(check.check(exactOver, bytes(exactOver), "openai/gpt-4o-mini", FREE)).isNotNull();
    }

    @Test
    void whatThisCheckCannotJudgeGoesUpstream() {
        ObjectNode huge = chat("nobody/unknown", "hello ".repeat(20000));
        assertThat(check.check(huge, "nobody/unknown", FREE)).as("unknown model").isNull();
        // custom-tier models have no plan cap; o3 takes 200000 tokens
        ObjectNode o3 = chat("openai/o3", "hello ".repeat(20000));
        assertThat(check.check(o3, "openai/o3", GitHubModelsPlan.PRO)).isNull();
        assertThat(check.check(json("{\"model\":\"gpt-4o\",\"prompt\":\"x\"}"), "gpt-4o", FREE))
                .as("neither messages nor input").isNull();
        assertThat(check.check(json("[1]"), "gpt-4o", FREE)).isNull();
        assertThat(check.check(null, "gpt-4o", FREE)).isNull();
        assertThat(check.check(chat("gpt-4o", "x"), null, FREE)).isNull();
    }

    @Test
    void anUnknownLimitIsNeverGuessedAndAKnownFamilysLimitIsEnforced() {
        List<CatalogModel> listed = ModelListing.parse(("{\"object\":\"list\",\"data\":["
                + "{\"id\":\"my-assistant:latest\",\"owned_by\":\"library\"},"
                + "{\"id\":\"phi3:mini\",\"owned_by\":\"library\"}]}").getBytes(StandardCharsets.UTF_8),
                "ollama", KnownModels.bundled(), java.time.Instant.now());
        LiveCatalog ollama = new LiveCatalog(ModelCatalog.of(listed));
        PromptCheck local = new PromptCheck(ollama, TOKENS, new ModelAdvisor(ollama));

        ObjectNode huge = chat("my-assistant:latest", "hello ".repeat(20000));
        assertThat(local.check(huge, bytes(huge), "my-assistant:latest", null)).as("no limit known: no guess").isNull();

        ObjectNode over = chat("phi3:mini", "hello ".repeat(6000));
        ProxyError error = local.check(over, bytes(over), "phi3:mini", null);
        assertThat(error).isNotNull();
        assertThat(error.message()).startsWith("This model's maximum input is 4096 tokens.");
        JsonNode context = error.toJsonNode().path("context");
        assertThat(context.path("limit").asInt()).isEqualTo(4096);
        assertThat(context.path("limit_source").asText()).isEqualTo("known-models");
        assertThat(context.path("exact").asBoolean()).isFalse();
    }
}
