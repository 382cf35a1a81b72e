package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static dev.llmproxy.openai.LimitSource.KNOWN_MODELS;
import static dev.llmproxy.openai.LimitSource.LISTING;
import static dev.llmproxy.openai.LimitSource.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each provider's listing shape (recorded in {@code src/test/resources/listings}, see its README), then robustness. */
class ModelListingTest {
    private static final Instant NOW = Instant.parse("2026-09-01T00:00:00Z");
    private final KnownModels known = KnownModels.bundled();

    private List<CatalogModel> parse(String resource, String upstream) {
        return ModelListing.parse(resource(resource), upstream, known, NOW);
    }

    private List<CatalogModel> parseJson(String json) {
        return ModelListing.parse(json.getBytes(StandardCharsets.UTF_8), "up", known, NOW);
    }

    private static CatalogModel model(List<CatalogModel> models, String id) {
        return models.stream().filter(m -> m.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError(id + " not in " + models));
    }

    @Test
    void readsOpenAisListingWithLimitsFromTheKnownTable() {
        List<CatalogModel> models = parse("openai.json", "openai");

        assertThat(models).extracting(CatalogModel::id).containsExactly("gpt-4o-mini", "gpt-4o-mini-2024-07-18",
                "gpt-4.1", "o4-mini", "text-embedding-3-small", "dall-e-3", "whisper-1",
                "ft:gpt-4o-mini-2024-07-18:acme::9xKq2LmN");
        CatalogModel mini = model(models, "gpt-4o-mini");
        assertThat(mini.ownedBy()).isEqualTo("system");
        assertThat(mini.name()).isEqualTo("gpt-4o-mini");
        assertThat(mini.rateLimitTier()).isNull();
        assertThat(mini.limits()).isEqualTo(new ModelLimits(128000, 16384, null, KNOWN_MODELS, KNOWN_MODELS));
        assertThat(model(models, "o4-mini").limits().input()).isEqualTo(200000);
        assertThat(model(models, "ft:gpt-4o-mini-2024-07-18:acme::9xKq2LmN").maxInputTokens()).isEqualTo(128000);
        assertThat(model(models, "whisper-1").ownedBy()).isEqualTo("openai-internal");
        assertThat(model(models, "whisper-1").limits()).isEqualTo(ModelLimits.UNKNOWN);
        assertThat(model(models, "dall-e-3").limits()).isEqualTo(ModelLimits.UNKNOWN);
        CatalogModel embedding = model(models, "text-embedding-3-small");
        assertThat(embedding.outputModalities()).containsExactly("embeddings");
        assertThat(embedding.limits()).isEqualTo(new ModelLimits(8191, null, null, KNOWN_MODELS, UNKNOWN));
    }

    @Test
    void readsAzuresListingSkippingRetiredAndNonInferenceModels() {
        List<CatalogModel> models = parse("azure.json", "azure");

        // gpt-35-turbo-0613 retired for inference before NOW; davinci-002 has inference: false
        assertThat(models).extracting(CatalogModel::id).containsExactly("gpt-4o-mini-2024-07-18",
                "gpt-4.1-2025-04-14", "text-embedding-3-small",
                "gpt-4o-mini-2024-07-18.ft-0e20ff0c1fb24aa7a5f04b0c1f0a2e5e");
        assertThat(models).extracting(CatalogModel::ownedBy).containsOnly("azure");
        assertThat(model(models, "gpt-4o-mini-2024-07-18").outputModalities()).containsExactly("text");
        assertThat(model(models, "text-embedding-3-small").outputModalities()).containsExactly("embeddings");
        assertThat(model(models, "gpt-4.1-2025-04-14").limits().input()).isEqualTo(1047576);
        assertThat(model(models, "gpt-4o-mini-2024-07-18.ft-0e20ff0c1fb24aa7a5f04b0c1f0a2e5e").limits())
                .isEqualTo(new ModelLimits(128000, 16384, null, KNOWN_MODELS, KNOWN_MODELS));
    }

    @Test
    void keepsAzureModelsWhoseRetirementIsStillAhead() {
        Instant before = Instant.ofEpochSecond(1740960000L - 1);
        List<CatalogModel> models = ModelListing.parse(resource("azure.json"), "azure", known, before);
        assertThat(models).extracting(CatalogModel::id).contains("gpt-35-turbo-0613").doesNotContain("davinci-002");
    }

    @Test
    void readsOpenRoutersLimitsModalitiesAndToolSupportFromTheListing() {
        List<CatalogModel> models = parse("openrouter.json", "openrouter");

        CatalogModel mini = model(models, "openai/gpt-4o-mini");
        assertThat(mini.name()).isEqualTo("OpenAI: GPT-4o-mini");
        assertThat(mini.ownedBy()).isEqualTo("openai");
        assertThat(mini.limits()).isEqualTo(new ModelLimits(128000, 16384, null, LISTING, LISTING));
        assertThat(mini.inputModalities()).containsExactly("text", "image", "file");
        assertThat(mini.outputModalities()).containsExactly("text");
        assertThat(mini.capabilities()).containsExactly("streaming", "tool-calling");

        // max_completion_tokens null: the table has no output limit for Llama either, so it stays unknown
        CatalogModel llama = model(models, "meta-llama/llama-3.2-3b-instruct:free");
        assertThat(llama.limits()).isEqualTo(new ModelLimits(131072, null, null, LISTING, UNKNOWN));
        assertThat(llama.capabilities()).containsExactly("streaming");

        // the listing's 163840 wins over the table's 131072 for DeepSeek-R1
        CatalogModel r1 = model(models, "deepseek/deepseek-r1");
        assertThat(r1.limits()).isEqualTo(new ModelLimits(163840, 163840, null, LISTING, LISTING));
        assertThat(r1.capabilities()).containsExactly("streaming", "tool-calling", "reasoning");
    }

    @Test
    void readsVllmsServedContextAndGivesAnAdapterItsBaseModelsLimits() {
        List<CatalogModel> models = parse("vllm-lora.json", "local");

        CatalogModel base = model(models, "meta-llama/Llama-3.1-8B-Instruct");
        assertThat(base.ownedBy()).isEqualTo("vllm");
        // --max-model-len 32768 on a 128K model: the served limit is what the upstream enforces
        assertThat(base.limits()).isEqualTo(new ModelLimits(32768, null, null, LISTING, UNKNOWN));
        assertThat(model(models, "sql-lora").limits()).isEqualTo(base.limits());
    }

    @Test
    void findsTheFamilyOfAServedNameThroughVllmsRoot() {
        CatalogModel alias = model(parse("vllm-served-name.json", "local"), "assistant");
        assertThat(alias.limits()).isEqualTo(new ModelLimits(16384, 8192, null, LISTING, KNOWN_MODELS));
    }

    @Test
    void readsOllamasTagsThroughTheKnownTable() {
        List<CatalogModel> models = parse("ollama.json", "ollama");

        assertThat(model(models, "llama3.2:3b").ownedBy()).isEqualTo("library");
        assertThat(model(models, "llama3.2:3b").limits()).isEqualTo(new ModelLimits(131072, null, null,
                KNOWN_MODELS, UNKNOWN));
        assertThat(model(models, "qwen2.5-coder:7b").limits().output()).isEqualTo(8192);
        assertThat(model(models, "phi4:14b").maxInputTokens()).isEqualTo(16384);
        assertThat(model(models, "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M").maxInputTokens())
                .isEqualTo(131072);
        assertThat(model(models, "nomic-embed-text:latest").outputModalities()).containsExactly("embeddings");
        assertThat(model(models, "my-assistant:latest").limits()).isEqualTo(ModelLimits.UNKNOWN);
    }

    @Test
    void readsLlamaCppsTrainedContextAndIgnoresItsOllamaStyleModelsArray() {
        List<CatalogModel> models = parse("llamacpp.json", "llamacpp");

        assertThat(models).extracting(CatalogModel::id).containsExactly("models/Llama-3.2-3B-Instruct-Q4_K_M.gguf");
        assertThat(models.get(0).ownedBy()).isEqualTo("llamacpp");
        assertThat(models.get(0).limits()).isEqualTo(new ModelLimits(131072, null, null, LISTING, UNKNOWN));
    }

    @Test
    void readsLmStudiosMinimalListing() {
        List<CatalogModel> models = parse("lmstudio.json", "lmstudio");

        assertThat(model(models, "qwen2.5-7b-instruct").limits())
                .isEqualTo(new ModelLimits(131072, 8192, null, KNOWN_MODELS, KNOWN_MODELS));
        CatalogModel embedding = model(models, "text-embedding-nomic-embed-text-v1.5");
        assertThat(embedding.maxInputTokens()).isEqualTo(8192);
        assertThat(embedding.outputModalities()).containsExactly("embeddings");
    }

    @Test
    void ignoresUnknownKeysAndOptionalFieldsOfTheWrongType() {
        List<CatalogModel> models = parseJson("""
                {"object":"list","data":[
                  {"id":"a","owned_by":5,"context_length":"128000","architecture":[],"top_provider":"x",
                   "supported_parameters":"tools","max_model_len":-1,"meta":{"n_ctx_train":1.5},"name":"",
                   "capabilities":["inference"],"deprecation":"soon","brand_new_field":{"x":[1,2]}},
                  {"id":"b","owned_by":"acme","max_model_len":4096.0,"top_provider":{"max_completion_tokens":9999999999}}
                ]}""");

        assertThat(models).hasSize(2);
        CatalogModel a = models.get(0);
        assertThat(a).isEqualTo(CatalogModel.listed("a", "up"));
        assertThat(models.get(1)).isEqualTo(CatalogModel.listed("b", "acme"));
    }

    @Test
    void skipsEntriesWithoutAStringIdAndLaterDuplicates() {
        List<CatalogModel> models = parseJson("""
                {"data":[
                  {"object":"model","owned_by":"x"}, {"id":42}, {"id":"  "}, "gpt-4o", null,
                  {"id":"Llama3.2:3B","owned_by":"library"}, {"id":"llama3.2:3b","owned_by":"other"},
                  {"id":"mistral-small","owned_by":"library"}
                ]}""");

        assertThat(models).extracting(CatalogModel::id).containsExactly("Llama3.2:3B", "mistral-small");
        assertThat(models.get(0).ownedBy()).isEqualTo("library");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"object\":\"list\",\"data\":[]}",
            "[{\"id\":\"gpt-4o\"}]",
            "{\"object\":\"list\"}",
            "{\"data\":{\"id\":\"gpt-4o\"}}",
            "{\"data\":[{\"object\":\"model\"},{\"id\":7}]}",
            "{\"data\":[{\"id\":\"gpt-4o\"}",
            "",
            "null",
            "<html>Bad gateway</html>"})
    void refusesAListingThatIsNotOneAsAWhole(String body) {
        assertThatThrownBy(() -> parseJson(body))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("listing: ");
    }

    @Test
    void saysWhatTheAnswerWasInsteadOfAListing() {
        assertThatThrownBy(() -> parseJson("[{\"id\":\"x\"}]"))
                .hasMessage("listing: a bare array (expected: an object {\"object\":\"list\",\"data\":[…]})");
        assertThatThrownBy(() -> parseJson("{\"data\":[]}"))
                .hasMessage("listing: data is empty (expected: at least one model)");
        assertThatThrownBy(() -> parseJson("{\"data\":\"x\"}"))
                .hasMessage("listing: data is string (expected: an object {\"object\":\"list\",\"data\":[…]})");
    }

    @Test
    void refusesABodyOverTheCapUnread() {
        byte[] big = new byte[ModelListing.MAX_BODY_BYTES + 1];
        assertThatThrownBy(() -> ModelListing.parse(big, "up", known, NOW))
                .hasMessage("listing: " + big.length + " bytes (expected: at most " + ModelListing.MAX_BODY_BYTES + ")");
    }

    @Test
    void takesAtMostMaxModels() {
        StringBuilder json = new StringBuilder("{\"data\":[");
        for (int i = 0; i <= ModelListing.MAX_MODELS; i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\":\"m").append(i).append("\"}");
        }
        List<CatalogModel> models = parseJson(json.append("]}").toString());
        assertThat(models).hasSize(ModelListing.MAX_MODELS);
        assertThat(models.get(ModelListing.MAX_MODELS - 1).id()).isEqualTo("m" + (ModelListing.MAX_MODELS - 1));
    }

    static byte[] resource(String name) {
        try (InputStream in = ModelListingTest.class.getResourceAsStream("/listings/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource /listings/" + name + " missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
