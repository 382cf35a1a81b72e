package dev.llmproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The official OpenAI Java SDK, pointed at the proxy, against a TLS fake upstream: every OpenAI endpoint the proxy
 * serves works unchanged, and the upstream sees what it should (resolved model id, the server's token, no client key).
 */
class OpenAiSdkIT {
    private static final String CHAT_JSON = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"openai/gpt-4o-mini",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hello from upstream"},\
            "finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8},\
            "extra_upstream_field":{"kept":true}}""";

    private static FakeUpstream upstream;
    private static ProxyUnderTest proxy;
    private static OpenAIClient sdk;

    @BeforeAll
    static void start() {
        upstream = FakeUpstream.start(true);
        proxy = ProxyUnderTest.start(upstream, Map.of());
        sdk = OpenAIOkHttpClient.builder()
                .baseUrl(proxy.openAiBaseUrl())
                .apiKey("client-key-not-for-upstream")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    @AfterAll
    static void stop() {
        sdk.close();
        proxy.close();
        upstream.close();
    }

    @Test
    void nonStreamingChatReturnsTheUpstreamAnswerUnchanged() {
        upstream.handler(FakeUpstream.json(200, CHAT_JSON));
        ChatCompletion completion = sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o-mini")
                .addUserMessage("Hi there")
                .build());

        assertThat(completion.choices().get(0).message().content()).hasValue("Hello from upstream");
        assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(8);
        assertThat(completion._additionalProperties()).containsKey("extra_upstream_field");

        RecordedRequest seen = lastRequest();
        assertThat(seen.method()).isEqualTo("POST");
        assertThat(seen.uri()).isEqualTo("/chat/completions");
        assertThat(seen.bodyJson().path("model").asText()).as("an OpenAI-compatible upstream gets the id as sent").isEqualTo("gpt-4o-mini");
        assertThat(seen.header("authorization")).isEqualTo("Bearer " + ProxyUnderTest.SERVER_TOKEN);
        assertThat(seen.header("host")).isEqualTo("localhost:" + upstream.port());
        assertThat(seen.headers().toString()).doesNotContain("client-key-not-for-upstream");
    }

    @Test
    void streamingChatDeliversEveryChunkInOrder() {
        List<byte[]> events = new ArrayList<>();
        String[] words = {"Hel", "lo", " wor", "ld", "!"};
        events.add(FakeUpstream.sseEvent(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)));
        for (String w : words) {
            events.add(FakeUpstream.sseEvent(chunk("{\"content\":\"" + w + "\"}", null)));
        }
        events.add(FakeUpstream.sseEvent(chunk("{}", "\"stop\"")));
        events.add(FakeUpstream.sseEvent("[DONE]"));
        upstream.handler(FakeUpstream.sse(events, Duration.ofMillis(5)));

        StringBuilder text = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("openai/gpt-4o-mini").addUserMessage("Say hello").build())) {
            stream.stream().forEach(c -> c.choices().forEach(choice -> {
                choice.delta().content().ifPresent(text::append);
                choice.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
            }));
        }
        assertThat(text).hasToString("Hello world!");
        assertThat(finishReasons).containsExactly("stop");
        assertThat(lastRequest().bodyJson().path("stream").asBoolean()).isTrue();
    }

    @Test
    void embeddingsPassThrough() {
        upstream.handler(FakeUpstream.json(200, """
                {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5,1.0]}],\
                "model":"openai/text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}"""));
        CreateEmbeddingResponse response = sdk.embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-3-small")
                .input("hello")
                .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
                .build());
        assertThat(response.data().get(0).embedding()).containsExactly(0.25f, -0.5f, 1.0f);
        RecordedRequest seen = lastRequest();
        assertThat(seen.uri()).isEqualTo("/embeddings");
        assertThat(seen.bodyJson().path("model").asText()).isEqualTo("text-embedding-3-small");
    }

    @Test
    void modelsComeFromTheCatalogWithoutCallingUpstream() {
        List<Model> models = sdk.models().list().data();
        assertThat(models).hasSize(58);
        assertThat(models.stream().map(Model::id).collect(Collectors.toList()))
                .contains("openai/gpt-4o-mini", "meta/meta-llama-3.1-405b-instruct", "xai/grok-3-mini");
        assertThat(models.get(0).ownedBy()).isEqualTo("ai21-labs");
        Model one = sdk.models().retrieve("OpenAI/GPT-4o-mini");
        assertThat(one.id()).isEqualTo("openai/gpt-4o-mini");
        assertThatThrownBy(() -> sdk.models().retrieve("no-such-model")).isInstanceOf(NotFoundException.class);
        assertThat(upstream.requests()).noneMatch(r -> r.uri().contains("models"));
    }

    @Test
    void legacyCompletionsAreServedThroughChatAndConvertedBack() {
        upstream.handler(FakeUpstream.json(200, CHAT_JSON));
        Completion completion = sdk.completions().create(CompletionCreateParams.builder()
                .model("gpt-4o-mini")
                .prompt("Say hello")
                .maxTokens(5)
                .build());
        assertThat(completion.choices().get(0).text()).isEqualTo("Hello from upstream");
        assertThat(completion.model()).isEqualTo("gpt-4o-mini");
        assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(8);

        JsonNode sent = lastRequest().bodyJson();
        assertThat(sent.path("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("user");
        assertThat(sent.path("messages").get(0).path("content").asText()).isEqualTo("Say hello");
        assertThat(sent.has("prompt")).isFalse();
    }

    @Test
    void streamingLegacyCompletionsAreConvertedEventByEvent() {
        List<byte[]> events = List.of(
                FakeUpstream.sseEvent(chunk("{\"role\":\"assistant\",\"content\":\"Hi\"}", null)),
                FakeUpstream.sseEvent(chunk("{\"content\":\" you\"}", null)),
                FakeUpstream.sseEvent(chunk("{}", "\"stop\"")),
                FakeUpstream.sseEvent("[DONE]"));
        upstream.handler(FakeUpstream.sse(events, Duration.ofMillis(2)));
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> stream = sdk.completions().createStreaming(CompletionCreateParams.builder()
                .model("gpt-4o-mini").prompt("Greet").build())) {
            stream.stream().forEach(c -> c.choices().forEach(choice -> text.append(choice.text())));
        }
        assertThat(text).hasToString("Hi you");
    }

    @Test
    void upstreamErrorsReachTheSdkWithTheirStatus() {
        upstream.handler(FakeUpstream.json(404,
                "{\"error\":{\"code\":\"unknown_model\",\"message\":\"Unknown model: nope\",\"details\":\"x\"}}"));
        assertThatThrownBy(() -> sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("nope").addUserMessage("x").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.code()).hasValue("unknown_model");
                });
    }

    /** The request behind the call that just returned (the fake records it before answering). */
    private static RecordedRequest lastRequest() {
        List<RecordedRequest> all = upstream.requests();
        assertThat(all).isNotEmpty();
        return all.get(all.size() - 1);
    }

    private static String chunk(String delta, String finishReason) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"openai/gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":" + delta
                + ",\"finish_reason\":" + (finishReason == null ? "null" : finishReason) + "}]}";
    }
}
