package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;

import static org.assertj.core.api.Assertions.assertThat;

class LegacyCompletionsTest {

    @Test
    void replacesStringPromptWithOneUserMessageInPlace() {
        ObjectNode request = object("{\"model\":\"gpt-4o-mini\",\"prompt\":\"Say hi\",\"max_tokens\":5,"
                + "\"temperature\":0.70,\"stream\":true}");

        ObjectNode chat = LegacyCompletions.toChatRequest(request);

        assertThat(chat.toString()).isEqualTo("{\"model\":\"gpt-4o-mini\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}],\"max_tokens\":5,"
                + "\"temperature\":0.70,\"stream\":true}");
        assertThat(request.has("prompt")).as("input left alone").isTrue();
    }

    @Test
    void turnsEachArrayElementIntoAUserMessage() {
        ObjectNode chat = LegacyCompletions.toChatRequest(
                object("{\"model\":\"m\",\"prompt\":[\"one\",\"two\",[1,2],7]}"));

        assertThat(chat.get("messages").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"one\"},"
                + "{\"role\":\"user\",\"content\":\"two\"},{\"role\":\"user\",\"content\":\"[1,2]\"},"
                + "{\"role\":\"user\",\"content\":\"7\"}]");
    }

    @Test
    void dropsFieldsChatDoesNotHave() {
        ObjectNode chat = LegacyCompletions.toChatRequest(object("{\"model\":\"m\",\"prompt\":\"p\",\"echo\":true,"
                + "\"suffix\":\"end\",\"best_of\":3,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}],\"n\":2}"));

        assertThat(chat.toString()).isEqualTo("{\"model\":\"m\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"p\"}],\"n\":2}");
    }

    @Test
    void mapsIntegerLogprobsToTopLogprobs() {
        assertThat(LegacyCompletions.toChatRequest(object("{\"model\":\"m\",\"prompt\":\"p\",\"logprobs\":3}"))
                .toString()).isEqualTo("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"p\"}],"
                + "\"logprobs\":true,\"top_logprobs\":3}");
        assertThat(LegacyCompletions.toChatRequest(object("{\"model\":\"m\",\"prompt\":\"p\",\"logprobs\":0}"))
                .has("logprobs")).isFalse();
        assertThat(LegacyCompletions.toChatRequest(object("{\"model\":\"m\",\"prompt\":\"p\",\"logprobs\":null}"))
                .has("logprobs")).isFalse();
    }

    @Test
    void convertsEveryChoiceOfAChatCompletion() {
        JsonNode upstream = object("""
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"openai/gpt-4o-mini",
                 "system_fingerprint":"fp_1",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"length"},
                            {"index":1,"message":{"role":"assistant","content":null,"tool_calls":[]}}],
                 "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""");

        ObjectNode completion = LegacyCompletions.toCompletionResponse(upstream, "gpt-4o-mini", 1700000000L);

        assertThat(completion.toString()).isEqualTo("{\"id\":\"chatcmpl-1\",\"object\":\"text_completion\","
                + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_1\","
                + "\"choices\":[{\"text\":\"Hi\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"},"
                + "{\"text\":\"\",\"index\":1,\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");
    }

    @Test
    void omitsUsageWhenUpstreamHasNone() {
        ObjectNode completion = LegacyCompletions.toCompletionResponse(
                object("{\"id\":\"c\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"ok\"}}]}"), "m", 1L);

        assertThat(completion.has("usage")).isFalse();
        assertThat(completion.has("system_fingerprint")).isFalse();
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void convertsAStreamChunkKeepingANullFinishReason() {
        ObjectNode chunk = LegacyCompletions.toCompletionChunk(object("""
                {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"x",
                 "choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"""), "gpt-4o-mini", 5L);

        assertThat(chunk.toString()).isEqualTo("{\"id\":\"chatcmpl-2\",\"object\":\"text_completion\","
                + "\"created\":5,\"model\":\"gpt-4o-mini\","
                + "\"choices\":[{\"text\":\"Hel\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}");
    }

    @Test
    void convertsTheLastStreamChunkWithoutContent() {
        ObjectNode chunk = LegacyCompletions.toCompletionChunk(object(
                "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"), "m", 5L);

        assertThat(chunk.at("/choices/0/text").asText()).isEmpty();
        assertThat(chunk.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void keepsAUsageOnlyChunkUsageOnly() {
        ObjectNode chunk = LegacyCompletions.toCompletionChunk(object(
                "{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}"),
                "m", 5L);

        assertThat(chunk.toString()).isEqualTo("{\"id\":\"c\",\"object\":\"text_completion\",\"created\":5,"
                + "\"model\":\"m\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}");
    }

    private static ObjectNode object(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
