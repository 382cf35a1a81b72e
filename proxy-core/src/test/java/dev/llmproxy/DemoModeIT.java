package dev.llmproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.ProxyUnderTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With no token and no base URL the proxy fronts its embedded demo upstream through the same pool and pipelines,
 * and says so: what a newcomer gets from {@code scripts/start}.
 */
class DemoModeIT {
    private static ProxyUnderTest proxy;
    private static OpenAIClient sdk;

    @BeforeAll
    static void start() {
        proxy = ProxyUnderTest.start(Map.of("DEMO_TOKEN_DELAY_MS", "2"));
        sdk = OpenAIOkHttpClient.builder().baseUrl(proxy.openAiBaseUrl()).apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stop() {
        sdk.close();
        proxy.close();
    }

    @Test
    void healthSaysDemoUpstreamPlainly() throws Exception {
        var response = proxy.get("/health");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode health = Json.MAPPER.readTree(response.body());
        assertThat(health.path("status").asText()).isEqualTo("ok");
        assertThat(health.path("models").asInt()).isEqualTo(dev.llmproxy.demo.DemoUpstream.modelIds().size());
        assertThat(health.path("upstream").path("mode").asText()).isEqualTo("demo upstream");
        assertThat(proxy.server().config().upstream().demo()).isTrue();
    }

    @Test
    void chatStreamsTheSameReplyAsTheNonStreamCall() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model("gpt-4o-mini").addUserMessage("Tell me about proxies").build();
        ChatCompletion whole = sdk.chat().completions().create(params);
        String expected = whole.choices().get(0).message().content().orElseThrow();
        assertThat(expected).contains("demo upstream");

        StringBuilder streamed = new StringBuilder();
        int[] chunks = {0};
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(params)) {
            stream.stream().forEach(c -> c.choices().forEach(choice -> choice.delta().content().ifPresent(t -> {
                streamed.append(t);
                chunks[0]++;
            })));
        }
        assertThat(streamed).hasToString(expected);
        assertThat(chunks[0]).isGreaterThan(10);
    }

    @Test
    void embeddingsAreDeterministic() {
        EmbeddingCreateParams params = EmbeddingCreateParams.builder().model("text-embedding-3-small")
                .input("same text").build();
        CreateEmbeddingResponse a = sdk.embeddings().create(params);
        CreateEmbeddingResponse b = sdk.embeddings().create(params);
        assertThat(a.data().get(0).embedding()).hasSize(1536).isEqualTo(b.data().get(0).embedding());
    }
}
