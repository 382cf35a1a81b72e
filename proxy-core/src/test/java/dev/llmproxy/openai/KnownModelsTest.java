package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KnownModelsTest {
    private final KnownModels known = KnownModels.bundled();

    /**
     * Real ids as providers list them (OpenAI, Azure deployments, OpenRouter, Hugging Face / vLLM, Ollama, llama.cpp
     * GGUF files, LM Studio, GitHub), each with the input and output limit its family's documentation states.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
            // OpenAI, with provider prefixes, date suffixes and Azure's spelling
            "gpt-4o,                                          128000,   16384",
            "gpt-4o-2024-08-06,                               128000,   16384",
            "gpt-4o-2024-05-13,                               128000,    4096",
            "chatgpt-4o-latest,                               128000,   16384",
            "gpt-4o-mini,                                     128000,   16384",
            "gpt-4o-mini-2024-07-18,                          128000,   16384",
            "openai/gpt-4o-mini,                              128000,   16384",
            "openai/gpt-4o-mini-2024-07-18,                   128000,   16384",
            "gpt-4.1,                                        1047576,   32768",
            "gpt-4.1-mini-2025-04-14,                        1047576,   32768",
            "openai/gpt-4.1-nano,                            1047576,   32768",
            "gpt-5,                                           272000,  128000",
            "gpt-5-mini-2025-08-07,                           272000,  128000",
            "gpt-5-chat-latest,                               128000,   16384",
            "gpt-5.1,                                         272000,  128000",
            "o1,                                              200000,  100000",
            "o1-mini-2024-09-12,                              128000,   65536",
            "o1-preview,                                      128000,   32768",
            "o3-mini,                                         200000,  100000",
            "o4-mini-2025-04-16,                              200000,  100000",
            "gpt-4-turbo-2024-04-09,                          128000,    4096",
            "gpt-4-0125-preview,                              128000,    4096",
            "gpt-4-0613,                                        8192,    8192",
            "gpt-3.5-turbo-0125,                               16385,    4096",
            "gpt-35-turbo,                                     16385,    4096",
            "gpt-3.5-turbo-instruct,                            4096,    4096",
            "text-embedding-3-small,                            8191,       -",
            "text-embedding-ada-002,                            8191,       -",
            "openai/gpt-oss-120b,                             131072,  131072",
            "gpt-oss:20b,                                     131072,  131072",
            // Llama 3.x by size, as Hugging Face, Ollama, OpenRouter, GitHub and GGUF files name them
            "meta-llama/Llama-3.1-8B-Instruct,                131072,       -",
            "meta-llama/Meta-Llama-3.1-405B-Instruct-FP8,     131072,       -",
            "meta/meta-llama-3.1-8b-instruct,                 131072,       -",
            "llama3.1:8b,                                     131072,       -",
            "llama3.1:70b-instruct-q4_K_M,                    131072,       -",
            "llama3.2:3b,                                     131072,       -",
            "llama3.2:1b,                                     131072,       -",
            "meta-llama/llama-3.2-11b-vision-instruct:free,   131072,       -",
            "Llama-3.2-3B-Instruct-Q4_K_M.gguf,               131072,       -",
            "llama3.3:70b,                                    131072,       -",
            "meta-llama/Meta-Llama-3-8B-Instruct,               8192,       -",
            "llama3:70b,                                        8192,       -",
            "meta-llama/Llama-4-Scout-17B-16E-Instruct,     10000000,       -",
            // Mistral
            "mistral-large-latest,                            131072,       -",
            "mistral-large-2411,                              131072,       -",
            "mistralai/Mistral-Large-Instruct-2407,           131072,       -",
            "mistral-large-2402,                               32768,       -",
            "mistral-small-latest,                            131072,       -",
            "mistralai/Mistral-Small-3.1-24B-Instruct-2503,   131072,       -",
            "mistral-small3.2:24b,                            131072,       -",
            "mistralai/Mistral-Small-24B-Instruct-2501,        32768,       -",
            "mistral-small:22b,                                32768,       -",
            "open-mistral-nemo,                               131072,       -",
            "mistral-nemo:12b,                                131072,       -",
            "mistralai/Mistral-Nemo-Instruct-2407,            131072,       -",
            "codestral-latest,                                262144,       -",
            "codestral:22b,                                    32768,       -",
            "mixtral:8x7b,                                     32768,       -",
            "open-mixtral-8x22b,                               65536,       -",
            "mistralai/Mistral-7B-Instruct-v0.3,               32768,       -",
            // Qwen 2.5 and 3, sizes with their own windows
            "Qwen/Qwen2.5-7B-Instruct,                        131072,    8192",
            "qwen2.5:7b,                                      131072,    8192",
            "qwen/qwen-2.5-72b-instruct,                      131072,    8192",
            "Qwen/Qwen2.5-Coder-32B-Instruct,                 131072,    8192",
            "Qwen/Qwen2.5-1.5B-Instruct,                       32768,    8192",
            "qwen2.5-coder:1.5b,                               32768,    8192",
            "Qwen/Qwen2.5-7B-Instruct-1M,                    1010000,    8192",
            "qwen3:8b,                                        131072,       -",
            "Qwen/Qwen3-0.6B,                                  32768,       -",
            "qwen3:30b-a3b,                                   131072,       -",
            "Qwen/Qwen3-30B-A3B-Instruct-2507,                262144,       -",
            "qwen/qwen3-coder,                                262144,       -",
            // DeepSeek
            "deepseek-ai/DeepSeek-V3,                         131072,       -",
            "deepseek/deepseek-chat-v3-0324,                  131072,       -",
            "deepseek-ai/DeepSeek-R1,                         131072,       -",
            "deepseek-r1:7b,                                  131072,       -",
            "deepseek-ai/DeepSeek-R1-Distill-Llama-8B,        131072,       -",
            "deepseek-chat,                                  1048576,       -",
            "deepseek-reasoner,                              1048576,       -",
            // Phi
            "phi4:14b,                                         16384,       -",
            "microsoft/phi-4,                                  16384,       -",
            "microsoft/Phi-4-mini-instruct,                   131072,       -",
            "microsoft/Phi-4-mini-reasoning,                  131072,       -",
            "phi4-reasoning:14b,                               32768,       -",
            "microsoft/Phi-3-mini-4k-instruct,                  4096,       -",
            "microsoft/Phi-3-mini-128k-instruct,              131072,       -",
            "phi3:14b,                                          4096,       -",
            "phi3:14b-medium-128k-instruct-q4_0,              131072,       -",
            "microsoft/Phi-3-small-8k-instruct,                 8192,       -",
            "phi3.5:3.8b,                                     131072,       -",
            "microsoft/Phi-3.5-MoE-instruct,                  131072,       -",
            // Gemma
            "google/gemma-2-9b-it,                              8192,       -",
            "gemma2:27b,                                        8192,       -",
            "google/gemma-3-27b-it,                           131072,    8192",
            "gemma3:4b,                                       131072,    8192",
            "gemma3:1b,                                        32768,    8192",
            "gemma3n:e4b,                                      32768,       -",
            // embeddings on local servers
            "nomic-embed-text:latest,                           8192,       -",
    })
    void matchesRealIdsToTheirFamilyLimits(String id, int input, Integer output) {
        KnownModels.Family family = known.find(id).orElseThrow(() -> new AssertionError("no family for " + id));
        assertThat(family.inputLimit()).as("input of %s (%s)", id, family.family()).isEqualTo(input);
        assertThat(family.maxOutputTokens()).as("output of %s (%s)", id, family.family()).isEqualTo(output);
    }

    @ParameterizedTest
    @ValueSource(strings = {"my-finetune", "claude-3-5-sonnet", "gpt-5.5", "llama-2-7b-chat", "codellama:7b",
            "tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf", "gemini-2.5-pro", "grok-3", ""})
    void leavesModelsOutsideTheTableUnknown(String id) {
        assertThat(known.find(id)).as(id).isEmpty();
    }

    @Test
    void theMoreSpecificPatternWinsWhatEverTheFileOrder() {
        // gpt-4o-mini is listed after gpt-4o; gpt-4o-2024-05-13 after gpt-4o: both still win for their ids
        assertThat(known.find("gpt-4o-mini-2024-07-18").orElseThrow().family()).isEqualTo("OpenAI GPT-4o mini");
        assertThat(known.find("gpt-4o-2024-05-13").orElseThrow().family())
                .isEqualTo("OpenAI GPT-4o (2024-05-13 snapshot)");
        // equal length: the pattern whose words sit together wins (3.1 next to small, 24b one word away)
        assertThat(known.find("Mistral-Small-3.1-24B-Instruct-2503").orElseThrow().family())
                .startsWith("Mistral Small 3.1");
        assertThat(known.find("mistral-small:24b").orElseThrow().family()).startsWith("Mistral Small 2402");
    }

    @Test
    void splitsIdsSoProviderSpellingsMeet() {
        assertThat(ModelIdTokens.of("meta-llama/Llama-3.1-8B-Instruct")).containsExactly("llama", "3.1", "8b", "instruct");
        assertThat(ModelIdTokens.of("llama3.1:8b")).containsExactly("llama", "3.1", "8b");
        assertThat(ModelIdTokens.of("gpt-4o-mini-2024-07-18")).containsExactly("gpt", "4o", "mini", "2024", "07", "18");
        assertThat(ModelIdTokens.of("o3-mini")).containsExactly("o", "3", "mini");
        assertThat(ModelIdTokens.of("Qwen2.5-1.5B.gguf")).containsExactly("qwen", "2.5", "1.5b", "gguf");
        assertThat(ModelIdTokens.of("v0.1.")).containsExactly("v", "0.1");
    }

    @Test
    void countsTheGapsOfTheTightestPlacement() {
        List<String> id = List.of("a", "x", "b", "a", "b");
        assertThat(KnownModels.gaps(List.of("a", "b"), id)).isZero();
        assertThat(KnownModels.gaps(List.of("x", "a"), id)).isEqualTo(1);
        assertThat(KnownModels.gaps(List.of("b", "x"), id)).isEqualTo(-1);
        assertThat(KnownModels.gaps(List.of("a"), List.of())).isEqualTo(-1);
    }

    @Test
    void everyFamilyNamesItsSourceAndHasSaneNumbers() {
        Set<String> names = new HashSet<>();
        assertThat(known.families()).hasSizeGreaterThanOrEqualTo(40).allSatisfy(family -> {
            assertThat(names.add(family.family())).as("unique name %s", family.family()).isTrue();
            assertThat(family.source()).as(family.family()).startsWith("https://");
            assertThat(family.inputLimit()).as(family.family()).isBetween(2048, 10_000_000);
            if (family.maxOutputTokens() != null) {
                assertThat(family.maxOutputTokens()).as(family.family()).isLessThanOrEqualTo(family.contextWindow());
            }
            if (family.embeddings()) {
                assertThat(family.maxOutputTokens()).as("embeddings write no text: %s", family.family()).isNull();
            }
        });
    }

    @Test
    void completesOnlyWhatTheListingLeftUnknown() {
        CatalogModel bare = CatalogModel.listed("llama3.1:8b", "library");
        CatalogModel fromTable = known.complete(bare, bare.id());
        assertThat(fromTable.limits()).isEqualTo(new ModelLimits(131072, null, null, LimitSource.KNOWN_MODELS,
                LimitSource.UNKNOWN));

        // vLLM's max_model_len wins over the table; the output side the listing lacks comes from the table
        CatalogModel vllm = bare.withLimits(ModelLimits.of(32768, null, LimitSource.LISTING));
        CatalogModel qwen = CatalogModel.listed("Qwen/Qwen2.5-7B-Instruct", "vllm")
                .withLimits(ModelLimits.of(32768, null, LimitSource.LISTING));
        assertThat(known.complete(vllm, vllm.id()).limits().input()).isEqualTo(32768);
        assertThat(known.complete(qwen, qwen.id()).limits()).isEqualTo(new ModelLimits(32768, 8192, null,
                LimitSource.LISTING, LimitSource.KNOWN_MODELS));

        // an alias the table does not know falls back to the next id (vLLM's root)
        CatalogModel alias = CatalogModel.listed("team-assistant", "vllm");
        assertThat(known.complete(alias, alias.id(), "meta-llama/Llama-3.3-70B-Instruct").limits().input())
                .isEqualTo(131072);
        assertThat(known.complete(alias, alias.id(), null)).isSameAs(alias);
    }

    @Test
    void marksEmbeddingsFamiliesAsEmbeddingsModels() {
        CatalogModel embedding = known.complete(CatalogModel.listed("text-embedding-3-small", "system"),
                "text-embedding-3-small");
        assertThat(embedding.outputModalities()).containsExactly("embeddings");
        assertThat(ModelTraits.of(embedding).outputsEmbeddings()).isTrue();
        assertThat(known.complete(CatalogModel.listed("gpt-4o", "system"), "gpt-4o").outputModalities()).isEmpty();
    }

    @Test
    void refusesATableWithABadEntryNamingIt() {
        assertThatThrownBy(() -> KnownModels.parse(bytes("{\"families\":[{\"family\":\"x\",\"match\":[\"x\"],"
                + "\"context_window\":0,\"source\":\"s\"}]}")))
                .hasMessage("families[0].context_window: 0 (expected: a positive integer)");
        assertThatThrownBy(() -> KnownModels.parse(bytes("{\"families\":[{\"family\":\"x\",\"match\":[\"--\"],"
                + "\"context_window\":1,\"source\":\"s\"}]}")))
                .hasMessage("families[0].match: -- (expected: a model id pattern)");
        assertThatThrownBy(() -> KnownModels.parse(bytes("[]")))
                .hasMessage("known models: families missing (expected: an array of families)");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
