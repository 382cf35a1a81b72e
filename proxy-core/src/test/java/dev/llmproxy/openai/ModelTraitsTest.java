package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.llmproxy.openai.ModelTraits.Size.LARGE;
import static dev.llmproxy.openai.ModelTraits.Size.MEDIUM;
import static dev.llmproxy.openai.ModelTraits.Size.SMALL;
import static dev.llmproxy.openai.ModelTraits.Size.TINY;
import static org.assertj.core.api.Assertions.assertThat;

class ModelTraitsTest {
    private final ModelCatalog catalog = ModelCatalog.bundled();

    private ModelTraits traits(String id) {
        return ModelTraits.of(catalog.find(id).orElseThrow());
    }

    private static CatalogModel model(String id, String name, String tier, Integer maxInput, List<String> capabilities,
                                      List<String> tags) {
        return CatalogModel.gitHubCatalog(id, name, "Someone", tier, maxInput, 4096, List.of("text"), List.of("text"),
                capabilities, tags);
    }

    @Test
    void sizeComesFromSizeWordsThenParameterCountsThenTier() {
        assertThat(traits("openai/gpt-4.1-nano").size()).isEqualTo(TINY);
        assertThat(traits("openai/gpt-4o-mini").size()).isEqualTo(SMALL);
        assertThat(traits("mistral-ai/mistral-small-2503").size()).isEqualTo(SMALL);
        assertThat(traits("mistral-ai/mistral-medium-2505").size()).isEqualTo(MEDIUM);
        assertThat(traits("mistral-ai/mistral-large-2411").size()).isEqualTo(LARGE);
        assertThat(traits("cohere/cohere-command-r-plus-08-2024").size()).isEqualTo(LARGE);
        // parameter counts: ≤4B tiny, ≤12B small, ≤40B medium, above large; MoE ids name their active parameters
        assertThat(traits("mistral-ai/ministral-3b").size()).isEqualTo(TINY);
        assertThat(traits("meta/meta-llama-3.1-8b-instruct").size()).isEqualTo(SMALL);
        assertThat(traits("meta/llama-3.2-11b-vision-instruct").size()).isEqualTo(SMALL);
        assertThat(traits("core42/jais-30b-chat").size()).isEqualTo(MEDIUM);
        assertThat(traits("meta/llama-4-scout-17b-16e-instruct").size()).isEqualTo(MEDIUM);
        assertThat(traits("meta/llama-3.3-70b-instruct").size()).isEqualTo(LARGE);
        assertThat(traits("meta/meta-llama-3.1-405b-instruct").size()).isEqualTo(LARGE);
        // no hint: the tier decides
        assertThat(traits("openai/gpt-4o").size()).as("high tier").isEqualTo(LARGE);
        assertThat(traits("deepseek/deepseek-r1").size()).as("custom tier").isEqualTo(LARGE);
        assertThat(traits("microsoft/phi-4").size()).as("low tier").isEqualTo(MEDIUM);
        // a context hint ("4k", "128k") is not a size
        assertThat(traits("microsoft/phi-3-medium-4k-instruct").size()).isEqualTo(MEDIUM);
    }

    @Test
    void scoresFollowSizeReasoningLatencyTierAndContext() {
        ModelTraits gpt4o = traits("openai/gpt-4o");
        assertThat(List.of(gpt4o.speed(), gpt4o.quality(), gpt4o.cost(), gpt4o.context())).containsExactly(2, 4, 2, 3);
        ModelTraits mini = traits("openai/gpt-4o-mini");
        assertThat(List.of(mini.speed(), mini.quality(), mini.cost(), mini.context())).containsExactly(4, 2, 5, 3);
        ModelTraits o3 = traits("openai/o3");
        assertThat(List.of(o3.speed(), o3.quality(), o3.cost(), o3.context()))
                .as("reasoning: +1 quality, -1 speed; custom tier and large: cost floor").containsExactly(1, 5, 1, 4);
        ModelTraits phi3Mini = traits("microsoft/phi-3-mini-4k-instruct");
        assertThat(List.of(phi3Mini.speed(), phi3Mini.quality(), phi3Mini.cost(), phi3Mini.context()))
                .as("low latency tag: +1 speed; 4096 input tokens: context 1").containsExactly(5, 2, 5, 1);
        assertThat(traits("openai/gpt-4.1").context()).isEqualTo(5);
        assertThat(traits("ai21-labs/ai21-jamba-1.5-large").context()).isEqualTo(4);
        assertThat(traits("microsoft/phi-4-reasoning").context()).isEqualTo(2);

        for (ModelTraits t : LiveCatalog.bundled().snapshot().traits()) {
            assertThat(List.of(t.speed(), t.quality(), t.cost(), t.context())).as(t.model().id())
                    .allSatisfy(score -> assertThat(score).isBetween(1, 5));
        }
    }

    @Test
    void contextScoreBoundaries() {
        assertThat(ModelTraits.contextScore(null)).isEqualTo(1);
        assertThat(ModelTraits.contextScore(8_192)).isEqualTo(1);
        assertThat(ModelTraits.contextScore(8_193)).isEqualTo(2);
        assertThat(ModelTraits.contextScore(32_768)).isEqualTo(2);
        assertThat(ModelTraits.contextScore(131_072)).isEqualTo(3);
        assertThat(ModelTraits.contextScore(262_144)).isEqualTo(4);
        assertThat(ModelTraits.contextScore(262_145)).isEqualTo(5);
    }

    @Test
    void tasksComeFromCapabilitiesTagsModalitiesAndScores() {
        assertThat(traits("openai/gpt-4o").tasks())
                .contains("general", "complex", "vision", "audio", "tools", "agents", "multilingual")
                .doesNotContain("embeddings", "quick", "budget", "coding");
        assertThat(traits("mistral-ai/codestral-2501").tasks()).contains("coding", "long-context", "documents")
                .doesNotContain("general", "vision");
        assertThat(traits("openai/gpt-4o-mini").tasks()).contains("quick", "simple", "budget")
                .doesNotContain("complex");
        assertThat(traits("openai/text-embedding-3-small").tasks()).containsExactly("rag", "embeddings");
        assertThat(traits("microsoft/phi-4-multimodal-instruct").tasks()).contains("vision", "audio", "summarization");
        assertThat(ModelTraits.TASKS).containsAll(traits("openai/gpt-5").tasks());
    }

    @Test
    void anEmptyOutputListIsTextButEmbeddingsModelsAreNot() {
        assertThat(traits("microsoft/phi-3.5-vision-instruct").outputsText()).isTrue();
        assertThat(traits("openai/text-embedding-3-large").outputsText()).isFalse();
        assertThat(traits("openai/text-embedding-3-large").outputsEmbeddings()).isTrue();
    }

    @Test
    void aModelTheCatalogGainsLaterIsRankedFromItsOwnData() {
        ModelTraits future = ModelTraits.of(model("acme/acme-giant-120b", "Acme Giant", "high", 2_000_000,
                List.of("reasoning", "streaming"), List.of("coding")));
        assertThat(future.size()).isEqualTo(LARGE);
        assertThat(future.quality()).isEqualTo(5);
        assertThat(future.speed()).isEqualTo(1);
        assertThat(future.context()).isEqualTo(5);
        assertThat(future.tasks()).contains("coding", "reasoning", "long-context").doesNotContain("general");

        ModelTraits unknownTier = ModelTraits.of(model("acme/helper", "Acme Helper", "premium-2026", null,
                List.of(), List.of()));
        assertThat(unknownTier.size()).isEqualTo(MEDIUM);
        assertThat(unknownTier.cost()).isEqualTo(3);
        assertThat(unknownTier.context()).isEqualTo(1);
    }
}
