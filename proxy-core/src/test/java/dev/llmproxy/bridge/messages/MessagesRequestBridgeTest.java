package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.openai.ProxyErrorException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Messages API requests in chat's terms: each supported field translated, each unsupported one a 400 naming it. */
class MessagesRequestBridgeTest {
    private static final MessagesRequestBridge OPENAI = new MessagesRequestBridge(ChatDialect.OPENAI);
    private static final MessagesRequestBridge OPEN_WEIGHTS = new MessagesRequestBridge(ChatDialect.OPEN_WEIGHTS);
    private static final String BASE = "{\"model\":\"claude-x\",\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The chat request for {@link #BASE} plus {@code extra} fields. */
    private static ObjectNode chat(MessagesRequestBridge bridge, String extra) {
        return bridge.toChat(json(BASE + (extra.isEmpty() ? "" : "," + extra) + "}")).chatRequest();
    }

    private static ProxyError refused(String request) {
        return catchThrowableOfType(ProxyErrorException.class, () -> OPENAI.toChat(json(request))).error();
    }

    @Test
    void systemStringOrBlocksAndTextMessages() {
        MessagesCall call = OPENAI.toChat(json("""
                {"model":"claude-x","max_tokens":100,"system":"Be brief.",
                 "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"text","text":"Hello"}]},
                             {"role":"user","content":[{"type":"text","text":"Again","cache_control":{"type":"ephemeral"}}]}]}"""));
        assertThat(call.chatRequest()).isEqualTo(json("""
                {"model":"claude-x","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},
                   {"role":"assistant","content":"Hello"},{"role":"user","content":"Again"}],
                 "max_completion_tokens":100}"""));
        assertThat(call.model()).isEqualTo("claude-x");
        assertThat(call.stream()).isFalse();
        ObjectNode blocks = OPENAI.toChat(json("""
                {"model":"claude-x","max_tokens":100,"messages":[{"role":"user","content":"Hi"}],
                 "system":[{"type":"text","text":"One."},{"type":"text","text":"Two.","cache_control":{"type":"ephemeral"}}]}"""))
                .chatRequest();
        assertThat(blocks.at("/messages/0")).isEqualTo(json("""
                {"role":"system","content":[{"type":"text","text":"One."},{"type":"text","text":"Two."}]}"""));
    }

    @Test
    void maxTokensIsRequiredAndGoesWhereTheUpstreamWantsIt() {
        assertThat(chat(OPEN_WEIGHTS, "").path("max_tokens").asInt()).isEqualTo(100);
        assertThat(chat(OPENAI, "").path("max_completion_tokens").asInt()).isEqualTo(100);
        ProxyError missing = refused("{\"model\":\"claude-x\",\"messages\":[]}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.param()).isEqualTo("max_tokens");
        assertThat(OPENAI.toChatForCount(json("{\"model\":\"claude-x\",\"messages\":[]}")).chatRequest()
                .has("max_completion_tokens")).isFalse();
    }

    @Test
    void samplingStopSequencesAndUser() {
        ObjectNode chat = chat(OPENAI, """
                "temperature":0.5,"top_p":0.9,"stop_sequences":["END","STOP"],"metadata":{"user_id":"u-1"}""");
        assertThat(chat.get("temperature").toString()).isEqualTo("0.5");
        assertThat(chat.get("top_p").toString()).isEqualTo("0.9");
        assertThat(chat.get("stop")).isEqualTo(json("{\"s\":[\"END\",\"STOP\"]}").get("s"));
        assertThat(chat.path("user").asText()).isEqualTo("u-1");
        MessagesCall call = OPENAI.toChat(json(BASE + ",\"stop_sequences\":[\"END\"]}"));
        assertThat(call.stopSequences()).containsExactly("END");
    }

    @Test
    void topKGoesOnlyToUpstreamsThatTakeIt() {
        assertThat(chat(OPEN_WEIGHTS, "\"top_k\":40").path("top_k").asInt()).isEqualTo(40);
        assertThat(chat(OPENAI, "\"top_k\":40").has("top_k")).isFalse();
    }

    @ParameterizedTest(name = "budget {0} → {1}")
    @CsvSource({"1024, low", "4095, low", "4096, medium", "16383, medium", "16384, high", "31999, high"})
    void thinkingBudgetBecomesAnEffortForUpstreamsThatTakeIt(int budget, String effort) {
        String thinking = "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":" + budget + "}";
        assertThat(chat(OPENAI, thinking).path("reasoning_effort").asText()).isEqualTo(effort);
        assertThat(chat(OPEN_WEIGHTS, thinking).has("reasoning_effort")).isFalse();
    }

    @Test
    void outputConfigSetsEffortAndJsonSchema() {
        ObjectNode chat = chat(OPENAI, """
                "thinking":{"type":"enabled","budget_tokens":2000},
                "output_config":{"effort":"max","format":{"type":"json_schema","schema":{"type":"object"}}}""");
        assertThat(chat.path("reasoning_effort").asText()).isEqualTo("high");
        assertThat(chat.get("response_format")).isEqualTo(json("""
                {"type":"json_schema","json_schema":{"name":"output","schema":{"type":"object"}}}"""));
        assertThat(chat(OPENAI, "\"thinking\":{\"type\":\"disabled\"}").has("reasoning_effort")).isFalse();
    }

    @Test
    void streamAsksForUsage() {
        MessagesCall call = OPENAI.toChat(json(BASE + ",\"stream\":true}"));
        assertThat(call.stream()).isTrue();
        assertThat(call.chatRequest().at("/stream_options/include_usage").asBoolean()).isTrue();
    }

    @Test
    void toolsAndEachToolChoice() {
        String tools = """
                "tools":[{"name":"get_weather","description":"Weather.","cache_control":{"type":"ephemeral"},
                          "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]""";
        ObjectNode chat = chat(OPENAI, tools);
        assertThat(chat.get("tools")).isEqualTo(json("""
                {"t":[{"type":"function","function":{"name":"get_weather","description":"Weather.",
                       "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}""").get("t"));
        assertThat(chat(OPENAI, tools + ",\"tool_choice\":{\"type\":\"auto\"}").path("tool_choice").asText())
                .isEqualTo("auto");
        assertThat(chat(OPENAI, tools + ",\"tool_choice\":{\"type\":\"any\"}").path("tool_choice").asText())
                .isEqualTo("required");
        assertThat(chat(OPENAI, tools + ",\"tool_choice\":{\"type\":\"none\"}").path("tool_choice").asText())
                .isEqualTo("none");
        ObjectNode named = chat(OPENAI, tools
                + ",\"tool_choice\":{\"type\":\"tool\",\"name\":\"get_weather\",\"disable_parallel_tool_use\":true}");
        assertThat(named.get("tool_choice")).isEqualTo(json("""
                {"type":"function","function":{"name":"get_weather"}}"""));
        assertThat(named.path("parallel_tool_calls").asBoolean(true)).isFalse();
    }

    @Test
    void multiTurnWithToolUseAndToolResults() {
        ObjectNode chat = OPENAI.toChat(json("""
                {"model":"claude-x","max_tokens":100,"messages":[
                  {"role":"user","content":"Weather and time?"},
                  {"role":"assistant","content":[
                    {"type":"thinking","thinking":"Two tools.","signature":"sig"},
                    {"type":"text","text":"Checking."},
                    {"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}},
                    {"type":"tool_use","id":"toolu_2","name":"time","input":{}}]},
                  {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
                    {"type":"tool_result","tool_use_id":"toolu_2","is_error":true,
                     "content":[{"type":"text","text":"clock"},{"type":"text","text":"unavailable"}]},
                    {"type":"text","text":"And tomorrow?"}]}]}""")).chatRequest();
        assertThat(chat.get("messages")).isEqualTo(json("""
                {"m":[{"role":"user","content":"Weather and time?"},
                      {"role":"assistant","content":"Checking.","tool_calls":[
                        {"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                        {"id":"toolu_2","type":"function","function":{"name":"time","arguments":"{}"}}]},
                      {"role":"tool","tool_call_id":"toolu_1","content":"sunny"},
                      {"role":"tool","tool_call_id":"toolu_2","content":"Error: clock\\nunavailable"},
                      {"role":"user","content":"And tomorrow?"}]}""").get("m"));
    }

    @Test
    void imagesBecomeDataOrPlainUrlsAndToolResultImagesFollowTheToolMessage() {
        ObjectNode chat = OPENAI.toChat(json("""
                {"model":"claude-x","max_tokens":100,"messages":[
                  {"role":"user","content":[
                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                    {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},
                    {"type":"text","text":"Compare."}]},
                  {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"read","input":{"path":"a.png"}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[
                    {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}]}]}]}"""))
                .chatRequest();
        assertThat(chat.get("messages")).isEqualTo(json("""
                {"m":[{"role":"user","content":[
                        {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
                        {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}},
                        {"type":"text","text":"Compare."}]},
                      {"role":"assistant","content":null,"tool_calls":[
                        {"id":"t1","type":"function","function":{"name":"read","arguments":"{\\"path\\":\\"a.png\\"}"}}]},
                      {"role":"tool","tool_call_id":"t1","content":""},
                      {"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/"}}]}
                     ]}""").get("m"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            tools[0].type                 | "tools":[{"type":"web_search_20250305","name":"web_search"}]
            tools[0].type                 | "tools":[{"type":"bash_20250124","name":"bash"}]
            tools[0].input_schema         | "tools":[{"name":"f"}]
            container                     | "container":"cntr_1"
            mcp_servers                   | "mcp_servers":[{"type":"url","url":"https://x","name":"x"}]
            context_management            | "context_management":{"edits":[]}
            stop                          | "stop":["END"]
            metadata.session              | "metadata":{"session":"s"}
            thinking.type                 | "thinking":{"type":"sometimes"}
            """)
    void unsupportedParametersAreRefusedByName(String field, String extra) {
        ProxyError error = refused(BASE + "," + extra + "}");
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo(field);
        assertThat(error.message()).startsWith(field + ": ").contains("(expected: ");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            messages[0].content[0].type        | [{"role":"user","content":[{"type":"document","source":{"type":"text","data":"x"}}]}]
            messages[0].content[0].type        | [{"role":"user","content":[{"type":"search_result","source":"s"}]}]
            messages[0].content[0].source.type | [{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]
            messages[0].content[0].type        | [{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]}]
            messages[0].role                   | [{"role":"system","content":"x"}]
            messages[0].content[0].content[0].type | [{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"document"}]}]}]
            """)
    void unsupportedBlocksAreRefusedByPath(String field, String messages) {
        ProxyError error = refused("{\"model\":\"claude-x\",\"max_tokens\":10,\"messages\":" + messages + "}");
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo(field);
        assertThat(error.message()).startsWith(field + ": ");
    }

    @Test
    void anthropicOnlyHintsAreAcceptedWithoutEffect() {
        ObjectNode plain = chat(OPENAI, "");
        assertThat(chat(OPENAI, """
                "cache_control":{"type":"ephemeral"},"service_tier":"auto","inference_geo":"us","speed":"fast\"""")
        ).isEqualTo(plain);
    }
}
