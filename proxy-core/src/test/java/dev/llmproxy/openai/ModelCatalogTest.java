package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelCatalogTest {
    /** REFERENCE.md §6b: the ids /v1/models serves, in response order. */
    private static final List<String> IDS = List.of(
            "ai21-labs/ai21-jamba-1.5-large", "ai21-labs/ai21-jamba-1.5-mini",
            "cohere/cohere-command-a", "cohere/cohere-command-r-08-2024", "cohere/cohere-command-r-plus-08-2024",
            "cohere/cohere-embed-v3-english", "cohere/cohere-embed-v3-multilingual",
            "core42/jais-30b-chat",
            "deepseek/deepseek-r1", "deepseek/deepseek-r1-0528", "deepseek/deepseek-v3-0324",
            "meta/llama-3.2-11b-vision-instruct", "meta/llama-3.2-90b-vision-instruct", "meta/llama-3.3-70b-instruct",
            "meta/llama-4-maverick-17b-128e-instruct-fp8", "meta/llama-4-scout-17b-16e-instruct",
            "meta/meta-llama-3.1-405b-instruct", "meta/meta-llama-3.1-8b-instruct",
            "microsoft/mai-ds-r1", "microsoft/phi-3-medium-128k-instruct", "microsoft/phi-3-medium-4k-instruct",
            "microsoft/phi-3-mini-128k-instruct", "microsoft/phi-3-mini-4k-instruct",
            "microsoft/phi-3-small-128k-instruct", "microsoft/phi-3-small-8k-instruct",
            "microsoft/phi-3.5-mini-instruct", "microsoft/phi-3.5-moe-instruct", "microsoft/phi-3.5-vision-instruct",
            "microsoft/phi-4", "microsoft/phi-4-mini-instruct", "microsoft/phi-4-mini-reasoning",
            "microsoft/phi-4-multimodal-instruct", "microsoft/phi-4-reasoning",
            "mistral-ai/codestral-2501", "mistral-ai/ministral-3b", "mistral-ai/mistral-large-2411",
            "mistral-ai/mistral-medium-2505", "mistral-ai/mistral-nemo", "mistral-ai/mistral-small-2503",
            "openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/gpt-4.1-nano", "openai/gpt-4o", "openai/gpt-4o-mini",
            "openai/gpt-5", "openai/gpt-5-chat", "openai/gpt-5-mini", "openai/gpt-5-nano",
            "openai/o1", "openai/o1-mini", "openai/o1-preview", "openai/o3", "openai/o3-mini", "openai/o4-mini",
            "openai/text-embedding-3-large", "openai/text-embedding-3-small",
            "xai/grok-3", "xai/grok-3-mini");

    private final ModelCatalog catalog = ModelCatalog.bundled();

    @Test
    void bundledCatalogServesThe58IdsInReferenceOrder() {
        assertThat(catalog.size()).isEqualTo(58);
        assertThat(catalog.models()).extracting(CatalogModel::id).containsExactlyElementsOf(IDS);
    }

    @Test
    void bundledCatalogKeepsTheCatalogsFactsIncludingNulls() {
        CatalogModel jamba = catalog.find("ai21-labs/ai21-jamba-1.5-large").orElseThrow();
        assertThat(jamba).isEqualTo(CatalogModel.gitHubCatalog("ai21-labs/ai21-jamba-1.5-large", "AI21 Jamba 1.5 Large",
                "AI21 Labs", "high", 262144, 4096, List.of("text"), List.of("text"),
                List.of("streaming", "tool-calling"), List.of("rag", "multilingual", "large context")));
        assertThat(jamba.ownedBy()).isEqualTo("ai21-labs");

        CatalogModel embedding = catalog.find("openai/text-embedding-3-small").orElseThrow();
        assertThat(embedding.maxInputTokens()).isEqualTo(8191);
        assertThat(embedding.maxOutputTokens()).isNull();
        assertThat(embedding.outputModalities()).containsExactly("embeddings");
        assertThat(catalog.find("microsoft/phi-3.5-vision-instruct").orElseThrow().outputModalities()).isEmpty();
    }

    @Test
    void findsIdsIgnoringCaseButNotShortNames() {
        assertThat(catalog.find("OpenAI/GPT-4o")).map(CatalogModel::id).hasValue("openai/gpt-4o");
        assertThat(catalog.find("gpt-4o")).isEmpty();
    }

    @Test
    void resolvesShortNameCaseInsensitively() {
        assertThat(catalog.resolve("gpt-4o-mini")).isEqualTo("openai/gpt-4o-mini");
        assertThat(catalog.resolve("Meta-Llama-3.1-405B-Instruct")).isEqualTo("meta/meta-llama-3.1-405b-instruct");
        assertThat(catalog.resolve("AI21-Jamba-1.5-Large")).isEqualTo("ai21-labs/ai21-jamba-1.5-large");
        assertThat(catalog.resolve("Mistral-Nemo")).isEqualTo("mistral-ai/mistral-nemo");
        assertThat(catalog.resolve("Phi-3.5-mini-instruct")).isEqualTo("microsoft/phi-3.5-mini-instruct");
        assertThat(catalog.resolve("DeepSeek-R1")).isEqualTo("deepseek/deepseek-r1");
    }

    @Test
    void resolvesFullIdIgnoringCase() {
        assertThat(catalog.resolve("OpenAI/GPT-4o")).isEqualTo("openai/gpt-4o");
        assertThat(catalog.resolve("openai/gpt-4o")).isEqualTo("openai/gpt-4o");
    }

    @Test
    void returnsUnknownNamesUnchanged() {
        assertThat(catalog.resolve("gpt-9-ultra")).isEqualTo("gpt-9-ultra");
        assertThat(catalog.resolve("Azure/GPT-4o")).isEqualTo("Azure/GPT-4o");
        assertThat(catalog.resolve("")).isEqualTo("");
        assertThat(catalog.resolve("openai/")).isEqualTo("openai/");
    }

    @Test
    void returnsAmbiguousShortNameUnchanged() {
        ModelCatalog twoPublishers = ModelCatalog.parse(utf8("["
                + flat("acme/chat-large") + "," + flat("globex/Chat-Large") + "," + flat("acme/solo") + "]"));

        assertThat(twoPublishers.resolve("CHAT-LARGE")).isEqualTo("CHAT-LARGE");
        assertThat(twoPublishers.resolve("globex/chat-large")).isEqualTo("globex/Chat-Large");
        assertThat(twoPublishers.resolve("Solo")).isEqualTo("acme/solo");
    }

    @Test
    void parsesTheRealCatalogShapeWithLimitsObject() {
        String entry = """
                {
                  "id": "openai/text-embedding-3-small",
                  "name": "OpenAI Text Embedding 3 (small)",
                  "publisher": "OpenAI",
                  "summary": "Text-embedding-3 series models are the latest and most capable embedding model.",
                  "rate_limit_tier": "embeddings",
                  "supported_input_modalities": ["text"],
                  "supported_output_modalities": ["embeddings"],
                  "tags": ["rag", "multilingual"],
                  "registry": "azure-openai",
                  "version": "1",
                  "capabilities": [],
                  "limits": { "max_input_tokens": 8191, "max_output_tokens": null },
                  "html_url": "https://github.com/marketplace/models/azure-openai/text-embedding-3-small"
                }""";
        ModelCatalog parsed = ModelCatalog.parse(utf8("[" + entry + "]"));

        assertThat(parsed.models()).containsExactly(CatalogModel.gitHubCatalog("openai/text-embedding-3-small",
                "OpenAI Text Embedding 3 (small)", "OpenAI", "embeddings", 8191, null,
                List.of("text"), List.of("embeddings"), List.of(), List.of("rag", "multilingual")));
    }

    @Test
    void parsesTheOlderShapeWithoutCapabilitiesOrLimits() {
        String entry = """
                {"id": "openai/gpt-4o", "name": "OpenAI GPT-4o", "publisher": "OpenAI", "summary": "s",
                 "rate_limit_tier": "high", "supported_input_modalities": ["text", "image"],
                 "supported_output_modalities": ["text"], "tags": ["multimodal"]}""";
        CatalogModel model = ModelCatalog.parse(utf8("[" + entry + "]")).models().get(0);

        assertThat(model.maxInputTokens()).isNull();
        assertThat(model.maxOutputTokens()).isNull();
        assertThat(model.capabilities()).isEmpty();
        assertThat(model.inputModalities()).containsExactly("text", "image");
    }

    @Test
    void rejectsInputThatIsNotABareArray() {
        assertRejected("not json", "not valid JSON");
        assertRejected("{\"data\": [" + flat("a/b") + "]}", "expected: a bare JSON array");
        assertRejected("[]", "empty array");
        assertRejected("[42]", "catalog[0]: 42 (expected: a model object)");
    }

    @Test
    void rejectsEntriesWithMissingOrMistypedFields() {
        assertRejected("[" + flat("a/b") + ", {\"name\": \"x\"}]", "catalog[1].id: missing");
        assertRejected("[{\"id\": 7, \"name\": \"n\", \"publisher\": \"p\", \"rate_limit_tier\": \"low\"}]",
                "catalog[0].id: 7 (expected: a non-empty string)");
        assertRejected("[{\"id\": \"a/b\", \"publisher\": \"p\", \"rate_limit_tier\": \"low\"}]",
                "catalog[0].name: missing");
        assertRejected("[{\"id\": \"a/b\", \"name\": \"n\", \"publisher\": \"p\", \"rate_limit_tier\": \"low\","
                + " \"limits\": {\"max_input_tokens\": \"lots\"}}]", "catalog[0].limits.max_input_tokens");
        assertRejected("[{\"id\": \"a/b\", \"name\": \"n\", \"publisher\": \"p\", \"rate_limit_tier\": \"low\","
                + " \"max_output_tokens\": 1.5}]", "catalog[0].max_output_tokens: 1.5");
        assertRejected("[{\"id\": \"a/b\", \"name\": \"n\", \"publisher\": \"p\", \"rate_limit_tier\": \"low\","
                + " \"tags\": [\"ok\", 3]}]", "catalog[0].tags");
        assertRejected("[" + flat("a/b") + "," + flat("A/B") + "]", "duplicate id A/B");
    }

    private static void assertRejected(String json, String messagePart) {
        assertThatThrownBy(() -> ModelCatalog.parse(utf8(json)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(messagePart);
    }

    /** A minimal entry in the bundled file's flat shape. */
    private static String flat(String id) {
        return "{\"id\": \"" + id + "\", \"name\": \"n\", \"publisher\": \"p\", \"rate_limit_tier\": \"low\","
                + " \"max_input_tokens\": 1000, \"max_output_tokens\": 100}";
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
