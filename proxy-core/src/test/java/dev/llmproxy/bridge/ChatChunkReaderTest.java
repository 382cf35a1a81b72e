package dev.llmproxy.bridge;

import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the shared reader hears in chat chunks and completions, in the order the bridges rely on. */
class ChatChunkReaderTest {

    /** Records every call as one line. */
    private static final class Recorder implements ChatStreamListener {
        final List<String> calls = new ArrayList<>();

        @Override
        public void onText(String text) {
            calls.add("text " + text);
        }

        @Override
        public void onReasoning(String text) {
            calls.add("reasoning " + text);
        }

        @Override
        public void onToolCall(int index, String id, String name, String arguments) {
            calls.add("tool " + index + " " + id + " " + name + " " + arguments);
        }

        @Override
        public void onFinish(String finishReason, String stopSequence) {
            calls.add("finish " + finishReason + " " + stopSequence);
        }

        @Override
        public void onUsage(ChatUsage usage) {
            calls.add("usage " + usage);
        }

        @Override
        public void onError(ChatError error) {
            calls.add("error " + error);
        }
    }

    private static List<String> chunks(String... chunks) throws IOException {
        Recorder recorder = new Recorder();
        ChatChunkReader reader = new ChatChunkReader(recorder);
        for (String chunk : chunks) {
            reader.readChunk(Json.MAPPER.readTree(chunk));
        }
        return recorder.calls;
    }

    @Test
    void readsTheFirstChoiceInReasoningTextToolsFinishOrder() throws IOException {
        assertThat(chunks("""
                {"choices":[{"index":1,"delta":{"content":"other choice"}},
                            {"index":0,"delta":{"content":"text","reasoning":"why","refusal":"no",
                              "tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}"}}]},
                             "finish_reason":"stop","stop_reason":"END"}],
                 "usage":{"prompt_tokens":3,"completion_tokens":2}}"""))
                .containsExactly("reasoning why", "text text", "text no", "tool 0 c f {}", "finish stop END",
                        "usage ChatUsage[promptTokens=3, completionTokens=2, totalTokens=5, cachedTokens=0, "
                                + "reasoningTokens=0]");
    }

    @Test
    void emptyAndNullDeltasSayNothing() throws IOException {
        assertThat(chunks("""
                {"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning_content":null},
                             "finish_reason":null}]}""", "{\"choices\":[]}")).isEmpty();
    }

    @Test
    void toolFragmentsWithoutIndexContinueTheCallOrStartTheNextByTheirId() throws IOException {
        assertThat(chunks(
                "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}",
                "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"}\"}}]}}]}",
                "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":{\"x\":1}}}]}}]}"))
                .containsExactly("tool 0 a f {", "tool 0 null null }", "tool 1 b g {\"x\":1}");
    }

    @Test
    void aWholeCompletionNumbersItsToolCallsByPosition() throws IOException {
        Recorder recorder = new Recorder();
        new ChatChunkReader(recorder).readCompletion(Json.MAPPER.readTree("""
                {"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
                  {"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},
                  {"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"""));
        assertThat(recorder.calls).containsExactly("tool 0 a f {}", "tool 1 b g {}", "finish tool_calls null");
    }

    @Test
    void anErrorObjectIsAnErrorWhateverElseTheChunkHolds() throws IOException {
        assertThat(chunks("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":503},"
                + "\"choices\":[{\"delta\":{\"content\":\"x\"}}]}", "{\"error\":\"plain words\"}"))
                .containsExactly("error ChatError[message=overloaded, type=server_error, code=503]",
                        "error ChatError[message=plain words, type=null, code=null]");
    }

    @Test
    void usageDetailsAndAMissingTotal() {
        ChatUsage usage = ChatUsage.from(Json.object().put("prompt_tokens", 10).put("completion_tokens", 4)
                .set("prompt_tokens_details", Json.object().put("cached_tokens", 6)));
        assertThat(usage.totalTokens()).isEqualTo(14);
        assertThat(usage.cachedTokens()).isEqualTo(6);
        assertThat(usage.uncachedPromptTokens()).isEqualTo(4);
    }

    @Test
    void anImplausibleToolIndexIsRefused() {
        assertThatThrownBy(() -> chunks("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":5000}]}}]}"))
                .isInstanceOf(IllegalStateException.class);
    }
}
