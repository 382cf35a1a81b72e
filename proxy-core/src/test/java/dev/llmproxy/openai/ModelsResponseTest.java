package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ModelsResponseTest {
    private static final Instant EVENING = Instant.parse("2025-10-01T18:00:00Z");
    private final ModelCatalog catalog = ModelCatalog.bundled();

    @Test
    void listsEveryCatalogModelInCatalogOrder() {
        ObjectNode body = ModelsResponse.render(catalog, GitHubModelsPlan.FREE, EVENING);

        assertThat(body.get("object").asText()).isEqualTo("list");
        List<String> ids = new ArrayList<>();
        body.get("data").forEach(model -> ids.add(model.get("id").asText()));
        assertThat(ids).hasSize(58).containsExactlyElementsOf(catalog.models().stream().map(CatalogModel::id).toList());
    }

    @Test
    void rendersOneModelInTheOpenAiShapeWithPlanLimits() {
        JsonNode jamba = model(ModelsResponse.render(catalog, GitHubModelsPlan.PRO, EVENING),
                "ai21-labs/ai21-jamba-1.5-large");

        assertThat(jamba.toString()).isEqualTo("{\"id\":\"ai21-labs/ai21-jamba-1.5-large\",\"object\":\"model\","
                + "\"created\":1677610602,\"owned_by\":\"ai21-labs\",\"name\":\"AI21 Jamba 1.5 Large\","
                + "\"publisher\":\"AI21 Labs\",\"limits\":{\"max_input_tokens\":262144,\"max_output_tokens\":4096,"
                + "\"input_source\":\"catalog\",\"output_source\":\"catalog\"},"
                + "\"capabilities\":[\"streaming\",\"tool-calling\"],\"supported_input_modalities\":[\"text\"],"
                + "\"supported_output_modalities\":[\"text\"],\"tags\":[\"rag\",\"multilingual\",\"large context\"],"
                + "\"rate_limit\":{\"per_minute\":10,\"per_day\":50,\"concurrent\":2,\"window_seconds\":60,"
                + "\"tier\":\"high\",\"plan\":\"pro\",\"available\":true,\"hours_until_reset\":6.0,"
                + "\"approximate\":true}}");
    }

    @Test
    void keepsUnknownLimitsAsJsonNull() {
        ObjectNode body = ModelsResponse.render(catalog, GitHubModelsPlan.FREE, EVENING);

        JsonNode embedding = model(body, "openai/text-embedding-3-large");
        assertThat(embedding.get("limits").toString()).isEqualTo("{\"max_input_tokens\":8191,\"max_output_tokens\":null,"
                + "\"input_source\":\"catalog\",\"output_source\":\"unknown\"}");

        JsonNode o1 = model(body, "openai/o1").get("rate_limit");
        assertThat(o1.get("available").asBoolean()).isFalse();
        assertThat(o1.get("per_minute").isNull()).isTrue();
        assertThat(o1.get("per_day").isNull()).isTrue();
        assertThat(o1.get("concurrent").isNull()).isTrue();
        assertThat(o1.get("tier").asText()).isEqualTo("custom");

        JsonNode grok = model(body, "xai/grok-3").get("rate_limit");
        assertThat(grok.get("per_minute").asInt()).isEqualTo(1);
        assertThat(grok.get("concurrent").isNull()).isTrue();
    }

    @Test
    void countsHoursToNextUtcMidnightRoundedToHundredths() {
        assertThat(hoursUntilReset("2025-10-01T18:00:00Z")).isEqualTo(6.0);
        assertThat(hoursUntilReset("2025-10-01T12:20:00Z")).isEqualTo(11.67);
        assertThat(hoursUntilReset("2025-10-01T23:59:30Z")).isEqualTo(0.01);
        assertThat(hoursUntilReset("2025-10-01T00:00:00Z")).isEqualTo(24.0);
    }

    @Test
    void statesThePlanAndTheDisclaimerInMeta() {
        ObjectNode body = ModelsResponse.render(catalog, GitHubModelsPlan.ENTERPRISE, EVENING);

        assertThat(body.get("meta").toString()).isEqualTo("{\"rate_limit_disclaimer\":\"Values are heuristic / "
                + "approximate; real upstream provider limits may vary.\",\"plan\":\"enterprise\"}");
        assertThat(model(body, "openai/gpt-4o-mini").at("/rate_limit/plan").asText()).isEqualTo("enterprise");
    }

    private double hoursUntilReset(String instant) {
        ObjectNode body = ModelsResponse.render(catalog, GitHubModelsPlan.FREE, Instant.parse(instant));
        return body.get("data").get(0).at("/rate_limit/hours_until_reset").asDouble();
    }

    private static JsonNode model(ObjectNode body, String id) {
        for (JsonNode model : body.get("data")) {
            if (model.get("id").asText().equals(id)) {
                return model;
            }
        }
        throw new AssertionError("no model " + id);
    }

    @Test
    void anUpstreamWithoutAPlanListsLimitsAndTheirSourcesButNoRateLimit() {
        ModelCatalog listing = ModelCatalog.of(ModelListing.parse(
                ("{\"data\":[{\"id\":\"gpt-4o-mini\",\"owned_by\":\"system\"},{\"id\":\"whisper-1\","
                        + "\"owned_by\":\"openai-internal\"}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "openai", KnownModels.bundled(), EVENING));

        ObjectNode body = ModelsResponse.render(listing, null, EVENING);

        assertThat(model(body, "gpt-4o-mini").toString()).isEqualTo("{\"id\":\"gpt-4o-mini\",\"object\":\"model\","
                + "\"created\":1677610602,\"owned_by\":\"system\",\"name\":\"gpt-4o-mini\",\"publisher\":\"system\","
                + "\"limits\":{\"max_input_tokens\":128000,\"max_output_tokens\":16384,"
                + "\"input_source\":\"known-models\",\"output_source\":\"known-models\"},"
                + "\"capabilities\":[],\"supported_input_modalities\":[],\"supported_output_modalities\":[],"
                + "\"tags\":[]}");
        assertThat(model(body, "whisper-1").get("limits").toString()).isEqualTo("{\"max_input_tokens\":null,"
                + "\"max_output_tokens\":null,\"input_source\":\"unknown\",\"output_source\":\"unknown\"}");
        assertThat(body.get("meta").has("plan")).isFalse();
    }
}
