package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ModelRecommender.Recommendation;
import dev.llmproxy.openai.ModelRecommender.Requirements;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRecommenderTest {
    private final LiveCatalog live = LiveCatalog.bundled();
    private final ModelRecommender recommender = new ModelRecommender(live);

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private List<String> top(String body) {
        return recommender.recommend(Requirements.parse(json(body)), ModelRecommender.TOP).stream()
                .map(Recommendation::name).toList();
    }

    private ProxyError rejection(String body) {
        try {
            recommender.recommend(json(body));
        } catch (ProxyErrorException e) {
            return e.error();
        }
        throw new AssertionError("accepted: " + body);
    }

    /** A catalog of three made-up models whose traits are easy to compute by hand. */
    private static ModelRecommender handMade() {
        String catalog = """
                [{"id":"x/fast-mini","name":"Fast mini","publisher":"X","rate_limit_tier":"low",
                  "limits":{"max_input_tokens":131072,"max_output_tokens":4096},
                  "supported_input_modalities":["text"],"supported_output_modalities":["text"],
                  "tags":["multipurpose"],"capabilities":["streaming"]},
                 {"id":"x/deep-thinker","name":"Deep thinker","publisher":"X","rate_limit_tier":"custom",
                  "limits":{"max_input_tokens":200000,"max_output_tokens":100000},
                  "supported_input_modalities":["text"],"supported_output_modalities":["text"],
                  "tags":["coding"],"capabilities":["reasoning"]},
                 {"id":"x/long-reader-large","name":"Long reader large","publisher":"X","rate_limit_tier":"high",
                  "limits":{"max_input_tokens":1048576,"max_output_tokens":4096},
                  "supported_input_modalities":["text","image"],"supported_output_modalities":["text"],
                  "tags":["multipurpose"],"capabilities":[]},
                 {"id":"x/embed","name":"Embed","publisher":"X","rate_limit_tier":"embeddings",
                  "limits":{"max_input_tokens":8191,"max_output_tokens":null},
                  "supported_input_modalities":["text"],"supported_output_modalities":["embeddings"],
                  "tags":[],"capabilities":[]}]""";
        return new ModelRecommender(new LiveCatalog(ModelCatalog.parse(catalog.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void scoresWithTheReferenceFormula() {
        // fast-mini: SMALL, low tier → speed 4, quality 2, cost 5, context 3, suits general
        // deep-thinker: LARGE custom, reasoning → speed 1, quality 5, cost 1, context 4, suits coding
        // long-reader-large: LARGE high → speed 2, quality 4, cost 2, context 5, suits general and vision
        ModelRecommender hand = handMade();
        List<Recommendation> defaults = hand.recommend(Requirements.DEFAULTS, 3);
        // defaults: speed·2 + quality·2 + context·1 + cost·2 + 5 for general
        assertThat(defaults).extracting(Recommendation::name, Recommendation::score).containsExactly(
                org.assertj.core.groups.Tuple.tuple("x/fast-mini", 4 * 2 + 2 * 2 + 3 + 5 * 2 + 5),
                org.assertj.core.groups.Tuple.tuple("x/long-reader-large", 2 * 2 + 4 * 2 + 5 + 2 * 2 + 5),
                org.assertj.core.groups.Tuple.tuple("x/deep-thinker", 2 + 5 * 2 + 4 + 2));

        List<Recommendation> quality = hand.recommend(Requirements.parse(json(
                "{\"quality\":\"high\",\"speed\":\"low\",\"cost\":\"high\",\"contextSize\":\"large\",\"task\":\"coding\"}")), 3);
        // quality·3 + speed·1 + context·3 + cost·1 (+5 coding): deep 15+1+12+1+5 = 34, long 12+2+15+2 = 31, mini 6+4+9+5 = 24
        assertThat(quality).extracting(Recommendation::name).containsExactly("x/deep-thinker", "x/long-reader-large",
                "x/fast-mini");
        assertThat(quality).extracting(Recommendation::score).containsExactly(34, 31, 24);

        assertThat(hand.recommend(Requirements.parse(json("{\"task\":\"embeddings\"}")), 3))
                .extracting(Recommendation::name).as("embeddings models compete only for embeddings")
                .containsExactly("x/embed");
    }

    @Test
    void answersTheReferenceShapeWithTopThreeAndTheRequirementsEchoed() {
        JsonNode answer = recommender.recommend(json("{\"speed\":\"HIGH\",\"task\":\"quick\",\"extra\":1}"));
        assertThat(answer.path("recommendations")).hasSize(3);
        for (JsonNode r : answer.path("recommendations")) {
            List<String> keys = iterable(r.fieldNames());
            assertThat(keys).containsExactly("name", "speed", "quality", "context", "cost", "tasks", "score", "reason");
            assertThat(live.current().find(r.path("name").asText())).isPresent();
            assertThat(r.path("reason").asText()).endsWith("; suits 'quick'.");
        }
        assertThat(answer.path("requirements")).isEqualTo(json("{\"speed\":\"HIGH\",\"task\":\"quick\",\"extra\":1}"));
        assertThat(answer.path("applied")).isEqualTo(json(
                "{\"speed\":\"high\",\"quality\":\"medium\",\"contextSize\":\"small\",\"cost\":\"medium\",\"task\":\"quick\"}"));

        JsonNode none = recommender.recommend(MissingNode.getInstance());
        assertThat(none.path("requirements")).isEqualTo(Json.object());
        assertThat(none.path("recommendations")).hasSize(3);
        assertThat(recommender.recommend(json("{}")).path("recommendations"))
                .isEqualTo(none.path("recommendations"));
    }

    @Test
    void orderingFollowsTheRequirementsOverTheRealCatalog() {
        // the reference's own examples: {} and {speed: high, contextSize: large, task: general}
        assertThat(top("{}")).containsExactly("microsoft/phi-3-mini-128k-instruct",
                "microsoft/phi-3.5-mini-instruct", "openai/gpt-4.1-mini");
        assertThat(top("{\"speed\":\"high\",\"contextSize\":\"large\",\"task\":\"general\"}"))
                .containsExactly("openai/gpt-4.1-nano", "openai/gpt-4.1-mini", "microsoft/phi-3-mini-128k-instruct");
        // quality first and cost no object: the premium, large models
        assertThat(top("{\"quality\":\"high\",\"speed\":\"low\",\"cost\":\"high\",\"task\":\"complex\"}"))
                .containsExactly("openai/gpt-5", "openai/gpt-5-chat", "openai/o1");
        assertThat(top("{\"task\":\"vision\",\"cost\":\"low\"}"))
                .allSatisfy(id -> assertThat(live.current().find(id).orElseThrow().inputModalities()).contains("image"));
        assertThat(top("{\"task\":\"long-context\",\"contextSize\":\"large\"}"))
                .allSatisfy(id -> assertThat(live.current().find(id).orElseThrow().maxInputTokens())
                        .isGreaterThanOrEqualTo(200_000));
        assertThat(top("{\"task\":\"embeddings\"}")).allSatisfy(id -> assertThat(
                live.current().find(id).orElseThrow().outputModalities()).containsExactly("embeddings"));
        assertThat(top("{\"task\":\"coding\"}")).first().isEqualTo("mistral-ai/codestral-2501");
    }

    @Test
    void scoresAreTheFormulaAppliedToEachModelsTraits() {
        Requirements requirements = Requirements.parse(json("{\"speed\":\"low\",\"quality\":\"high\",\"task\":\"reasoning\"}"));
        for (Recommendation r : recommender.recommend(requirements, 100)) {
            ModelTraits t = ModelTraits.of(live.current().find(r.name()).orElseThrow());
            int expected = t.speed() + t.quality() * 3 + t.context() + t.cost() * 2 + (t.suits("reasoning") ? 5 : 0);
            assertThat(r.score()).as(r.name()).isEqualTo(expected);
        }
        assertThat(recommender.recommend(requirements, 100)).hasSize(54);
    }

    @Test
    void reasonsNameTheTraitsInTheOrderOfTheClientsWeights() {
        ModelTraits gpt4o = ModelTraits.of(live.current().find("openai/gpt-4o").orElseThrow());
        assertThat(ModelRecommender.reason(gpt4o, Requirements.DEFAULTS, true))
                .isEqualTo("High quality, slow, heavy on quota, 131K-token input; suits 'general'.");
        Requirements contextFirst = Requirements.parse(json("{\"contextSize\":\"large\",\"speed\":\"low\",\"task\":\"coding\"}"));
        assertThat(ModelRecommender.reason(gpt4o, contextFirst, false))
                .isEqualTo("131K-token input, high quality, heavy on quota, slow; not listed for 'coding'.");
        ModelTraits gpt41 = ModelTraits.of(live.current().find("openai/gpt-4.1").orElseThrow());
        assertThat(ModelRecommender.reason(gpt41, Requirements.DEFAULTS, true)).contains("1M-token input");
    }

    @Test
    void invalidRequirementsAreA400NamingTheField() {
        ProxyError speed = rejection("{\"speed\":\"ludicrous\"}");
        assertThat(speed.status()).isEqualTo(400);
        assertThat(speed.param()).isEqualTo("speed");
        assertThat(speed.kind()).isEqualTo(ErrorKind.INVALID_VALUE);
        assertThat(speed.message()).isEqualTo("speed: \"ludicrous\" (expected: one of low, medium, high)");

        assertThat(rejection("{\"contextSize\":\"high\"}").param()).isEqualTo("contextSize");
        assertThat(rejection("{\"contextSize\":\"high\"}").message()).contains("small, medium, large");
        assertThat(rejection("{\"cost\":\"free\"}").param()).isEqualTo("cost");
        assertThat(rejection("{\"quality\":\"\"}").param()).isEqualTo("quality");
        ProxyError task = rejection("{\"task\":\"juggling\"}");
        assertThat(task.param()).isEqualTo("task");
        assertThat(task.message()).contains("general", "embeddings");

        ProxyError type = rejection("{\"quality\":5}");
        assertThat(type.kind()).isEqualTo(ErrorKind.INVALID_PARAMETER);
        assertThat(type.param()).isEqualTo("quality");
        assertThat(type.toJsonNode().path("error").path("code").asText()).isEqualTo("invalid_type");
        assertThat(rejection("{\"task\":[\"general\"]}").param()).isEqualTo("task");

        for (String body : new String[]{"[]", "\"fast\"", "42", "true"}) {
            ProxyError notAnObject = rejection(body);
            assertThat(notAnObject.status()).as(body).isEqualTo(400);
            assertThat(notAnObject.message()).as(body).startsWith("request body: ");
        }
        // JSON null means "the default"
        assertThat(recommender.recommend(json("{\"speed\":null,\"task\":null}")).path("applied"))
                .isEqualTo(Requirements.DEFAULTS.toJson());
    }

    @Test
    void rankingFollowsARefreshedCatalog() {
        LiveCatalog changing = LiveCatalog.bundled();
        ModelRecommender r = new ModelRecommender(changing);
        assertThat(r.recommend(Requirements.DEFAULTS, 1).get(0).name()).isEqualTo("microsoft/phi-3-mini-128k-instruct");
        ObjectNode only = (ObjectNode) json("""
                {"id":"new/speedy-nano","name":"Speedy nano","publisher":"New","rate_limit_tier":"low",
                 "limits":{"max_input_tokens":2000000,"max_output_tokens":4096},
                 "supported_input_modalities":["text"],"supported_output_modalities":["text"],
                 "tags":["multipurpose","low latency"],"capabilities":[]}""");
        changing.replace(ModelCatalog.parse(Json.bytes(Json.MAPPER.createArrayNode().add(only))), Instant.now());
        assertThat(r.recommend(Requirements.DEFAULTS, 3)).extracting(Recommendation::name)
                .containsExactly("new/speedy-nano");
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> list = new java.util.ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }
}
