package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Set;

import static dev.llmproxy.openai.RequestProfile.Kind.CHAT;
import static org.assertj.core.api.Assertions.assertThat;

class ModelAdvisorTest {
    private final LiveCatalog live = LiveCatalog.bundled();
    private final ModelCatalog catalog = live.current();
    private final ModelAdvisor advisor = new ModelAdvisor(live);

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private CatalogModel model(String id) {
        return catalog.find(id).orElseThrow();
    }

    @Test
    void neverSuggestsTheFailingModelWhateverItIsOrHowItIsNamed() {
        List<RequestProfile> profiles = List.of(RequestProfile.chat(), RequestProfile.embeddings(),
                RequestProfile.chat().withPlan(GitHubModelsPlan.FREE).withPromptTokens(100));
        for (CatalogModel failing : catalog.models()) {
            for (RequestProfile profile : profiles) {
                for (String name : List.of(failing.id(), failing.id().toUpperCase(),
                        failing.id().substring(failing.id().indexOf('/') + 1))) {
                    List<String> suggestions = advisor.suggest(profile, name, 100);
                    assertThat(suggestions).as("%s for %s", name, profile)
                            .doesNotContain(failing.id())
                            .doesNotHaveDuplicates();
                }
            }
        }
    }

    @Test
    void chatSuggestionsOutputTextAndEmbeddingsSuggestionsOutputEmbeddings() {
        List<String> chat = advisor.suggest(RequestProfile.chat(), null, 100);
        assertThat(chat).hasSize(54) // 58 minus the 4 embeddings models
                .doesNotContain("openai/text-embedding-3-small", "cohere/cohere-embed-v3-english")
                .contains("microsoft/phi-3.5-vision-instruct"); // empty output list: a catalog quirk, it outputs text
        List<String> embeddings = advisor.suggest(RequestProfile.embeddings(), "openai/text-embedding-3-small", 100);
        // closest quality first: the Cohere models (3) are closer to text-embedding-3-small (2) than -large (4)
        assertThat(embeddings).containsExactly("cohere/cohere-embed-v3-english", "cohere/cohere-embed-v3-multilingual",
                "openai/text-embedding-3-large");
        // ... but they take 512 tokens only
        assertThat(advisor.suggest(RequestProfile.embeddings().withPromptTokens(1000), "openai/text-embedding-3-small",
                100)).containsExactly("openai/text-embedding-3-large");
    }

    @Test
    void respectsInputModalitiesToolsAndStreaming() {
        RequestProfile imageToolsStream = new RequestProfile(CHAT, Set.of("text", "image"), true, true, -1, null);
        List<String> suggestions = advisor.suggest(imageToolsStream, "openai/gpt-4o", 100);
        assertThat(suggestions).isNotEmpty();
        for (String id : suggestions) {
            CatalogModel m = model(id);
            assertThat(m.inputModalities()).as(id).contains("image");
            assertThat(m.capabilities()).as(id).contains("tool-calling", "streaming");
        }
        assertThat(suggestions).doesNotContain("meta/llama-3.2-90b-vision-instruct") // image but no tools
                .doesNotContain("openai/o1") // image and tools, no streaming
                .contains("openai/gpt-4.1", "mistral-ai/mistral-small-2503");

        RequestProfile audio = new RequestProfile(CHAT, Set.of("text", "audio"), false, false, -1, null);
        assertThat(advisor.suggest(audio, null, 100)).containsExactlyInAnyOrder("openai/gpt-4o", "openai/gpt-4o-mini",
                "meta/llama-3.2-11b-vision-instruct", "meta/llama-3.2-90b-vision-instruct",
                "microsoft/phi-4-multimodal-instruct");
    }

    @Test
    void respectsTheContextThePromptNeedsAndThePlansCaps() {
        List<String> huge = advisor.suggest(RequestProfile.chat().withPromptTokens(1_500_000), null, 100);
        assertThat(huge).containsExactly("meta/llama-4-scout-17b-16e-instruct"); // the only one over 1.5M tokens

        List<String> long200k = advisor.suggest(RequestProfile.chat().withPromptTokens(200_001), null, 100);
        for (String id : long200k) {
            assertThat(model(id).maxInputTokens()).as(id).isGreaterThanOrEqualTo(200_001);
        }
        assertThat(long200k).contains("openai/gpt-4.1", "ai21-labs/ai21-jamba-1.5-large")
                .doesNotContain("openai/gpt-5"); // exactly 200,000

        // The free plan caps low and high models at 8000 input tokens; the custom ids have no stated cap.
        List<String> free = advisor.suggest(RequestProfile.chat().withPromptTokens(20_000)
                .withPlan(GitHubModelsPlan.FREE), "openai/gpt-4o", 100);
        assertThat(free).containsExactlyInAnyOrder("xai/grok-3", "xai/grok-3-mini", "deepseek/deepseek-r1",
                "deepseek/deepseek-r1-0528", "microsoft/mai-ds-r1");
        // The free plan cannot use OpenAI's reasoning models at all; Pro can.
        assertThat(advisor.suggest(RequestProfile.chat().withPlan(GitHubModelsPlan.FREE), null, 100))
                .doesNotContain("openai/o1", "openai/o3", "openai/gpt-5", "openai/o4-mini");
        assertThat(advisor.suggest(RequestProfile.chat().withPlan(GitHubModelsPlan.PRO), null, 100))
                .contains("openai/o1", "openai/o3", "openai/gpt-5", "openai/o4-mini");
    }

    @Test
    void aKnownFailingModelGetsTheClosestQualityFromItsOwnPublisherFirst() {
        // gpt-4o (quality 4): gpt-4.1 is OpenAI's other quality-4 model
        assertThat(advisor.suggest(RequestProfile.chat(), "openai/gpt-4o", 3)).first().isEqualTo("openai/gpt-4.1");
        // gpt-4o-mini (quality 2): OpenAI's quality-2 models, the better quality+speed, then lighter quota first
        assertThat(advisor.suggest(RequestProfile.chat().withPlan(GitHubModelsPlan.PRO), "gpt-4o-mini", 2))
                .containsExactly("openai/gpt-4.1-mini", "openai/gpt-5-nano");
        // o3 on Pro: the other quality-5 OpenAI reasoning models
        assertThat(advisor.suggest(RequestProfile.chat().withPlan(GitHubModelsPlan.PRO), "openai/o3", 4))
                .containsExactly("openai/gpt-5", "openai/gpt-5-chat", "openai/o1", "openai/o1-preview");
        for (String id : advisor.suggest(RequestProfile.chat(), "meta/llama-3.3-70b-instruct", 5)) {
            assertThat(ModelTraits.of(model(id)).quality()).as(id).isEqualTo(4);
        }
    }

    @Test
    void anUnknownNameGetsItsNearMissesFirst() {
        assertThat(advisor.suggest(RequestProfile.chat(), "gpt-4o-mni", 1)).containsExactly("openai/gpt-4o-mini");
        assertThat(advisor.suggest(RequestProfile.chat(), "openai/gpt4o", 1)).containsExactly("openai/gpt-4o");
        assertThat(advisor.suggest(RequestProfile.chat(), "meta/llama-3.3-70b", 1))
                .containsExactly("meta/llama-3.3-70b-instruct");
        assertThat(ModelAdvisor.nameDistance("gpt-4o-mni", "gpt-4o-mini")).isEqualTo(1);
        assertThat(ModelAdvisor.nameDistance("llama-3.3-70b", "llama-3.3-70b-instruct"))
                .isEqualTo(ModelAdvisor.NEAR_MISS_DISTANCE);
        assertThat(ModelAdvisor.nameDistance("completely-different", "gpt-4o")).isEqualTo(Integer.MAX_VALUE);
        // a huge client-sent name costs a bounded comparison and no exception
        assertThat(advisor.suggest(RequestProfile.chat(), "x".repeat(1_000_000), 3)).hasSize(3);
    }

    @Test
    void withoutAFailingModelTheOrderIsQualityPlusSpeedThenQuotaThenHeadroom() {
        List<String> all = advisor.suggest(RequestProfile.chat(), null, 100);
        for (int i = 1; i < all.size(); i++) {
            ModelTraits before = ModelTraits.of(model(all.get(i - 1)));
            ModelTraits after = ModelTraits.of(model(all.get(i)));
            int sumBefore = before.quality() + before.speed();
            int sumAfter = after.quality() + after.speed();
            assertThat(sumBefore).as("%s before %s", all.get(i - 1), all.get(i)).isGreaterThanOrEqualTo(sumAfter);
            if (sumBefore == sumAfter) {
                assertThat(before.cost()).isGreaterThanOrEqualTo(after.cost());
            }
        }
        assertThat(advisor.suggest(RequestProfile.chat(), null, 100)).as("deterministic").isEqualTo(all);
        assertThat(advisor.suggest(RequestProfile.chat(), null, 0)).isEmpty();
    }

    @Test
    void withSuggestionsAddsATopLevelArrayOfThree() {
        ProxyError error = advisor.withSuggestions(ProxyError.of(ErrorKind.MODEL_NOT_FOUND), RequestProfile.chat(),
                "gpt-4o-mni");
        JsonNode body = error.toJsonNode();
        assertThat(body.path("error").path("code").asText()).isEqualTo("model_not_found");
        assertThat(body.path("suggestions")).hasSize(ModelAdvisor.DEFAULT_SUGGESTIONS);
        assertThat(body.path("suggestions").get(0).asText()).isEqualTo("openai/gpt-4o-mini");

        RequestProfile impossible = RequestProfile.embeddings().withPromptTokens(100_000);
        assertThat(advisor.withSuggestions(ProxyError.of(ErrorKind.MODEL_NOT_FOUND), impossible, null)
                .toJsonNode().path("suggestions").isArray()).isTrue();
        assertThat(advisor.withSuggestions(ProxyError.of(ErrorKind.MODEL_NOT_FOUND), impossible, null)
                .toJsonNode().path("suggestions")).isEmpty();
    }

    @Test
    void readsTheProfileOfARequestBody() {
        RequestProfile plain = RequestProfile.of(json("""
                {"model":"x","messages":[{"role":"user","content":"hi"}]}"""));
        assertThat(plain).isEqualTo(RequestProfile.chat());

        RequestProfile rich = RequestProfile.of(json("""
                {"model":"x","stream":true,
                 "tools":[{"type":"function","function":{"name":"f"}}],
                 "messages":[{"role":"user","content":[
                    {"type":"text","text":"what is this?"},
                    {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
                    {"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}"""));
        assertThat(rich.kind()).isEqualTo(CHAT);
        assertThat(rich.inputModalities()).containsExactly("audio", "image", "text");
        assertThat(rich.needsTools()).isTrue();
        assertThat(rich.needsStreaming()).isTrue();
        assertThat(rich.promptTokens()).isEqualTo(-1);
        assertThat(rich.plan()).isNull();

        assertThat(RequestProfile.of(json("{\"model\":\"x\",\"input\":[\"a\",\"b\"]}")))
                .isEqualTo(RequestProfile.embeddings());
        assertThat(RequestProfile.of(json("{\"messages\":[],\"tools\":[],\"stream\":\"yes\"}")))
                .as("empty tools and a non-boolean stream are no needs").isEqualTo(RequestProfile.chat());
        assertThat(RequestProfile.of(json("[1,2]"))).isEqualTo(RequestProfile.chat());
        assertThat(RequestProfile.of(null)).isEqualTo(RequestProfile.chat());
    }

    @Test
    void followsTheLiveCatalogWhenItIsReplaced() {
        LiveCatalog small = new LiveCatalog(ModelCatalog.parse("""
                [{"id":"a/one","name":"One","publisher":"A","rate_limit_tier":"low",
                  "limits":{"max_input_tokens":1000,"max_output_tokens":100},
                  "supported_input_modalities":["text"],"supported_output_modalities":["text"]}]"""
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        ModelAdvisor smallAdvisor = new ModelAdvisor(small);
        assertThat(smallAdvisor.suggest(RequestProfile.chat(), null, 5)).containsExactly("a/one");
        small.replace(ModelCatalog.bundled(), java.time.Instant.now());
        assertThat(smallAdvisor.suggest(RequestProfile.chat(), null, 100)).hasSize(54);
    }

    @Test
    void modelsListedWithoutModalitiesOrCapabilitiesServeTextRequests() {
        // What a plain OpenAI-compatible GET /models gives: ids and owners, nothing about modalities or capabilities.
        LiveCatalog listed = new LiveCatalog(ModelCatalog.of(List.of(CatalogModel.listed("gpt-4o-mini", "openai"),
                CatalogModel.listed("llama3.2:3b", "meta"))), java.time.Instant.now());
        ModelAdvisor listedAdvisor = new ModelAdvisor(listed);
        RequestProfile streamWithTools = RequestProfile.of(json("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"stream\":true,\"tools\":[{\"type\":\"function\"}]}"));
        assertThat(listedAdvisor.suggest(streamWithTools, "gpt-4o-mni", 5)).containsExactly("gpt-4o-mini", "llama3.2:3b");
        RequestProfile image = RequestProfile.of(json("{\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,\"}}]}]}"));
        assertThat(listedAdvisor.suggest(image, null, 5)).as("an image needs a model known to take one").isEmpty();
    }
}
