package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.TokenCounter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * count_tokens counts what an upstream would see: the bridged chat request, by the upstream model's tokenizer. The
 * expectations count hand-written chat requests, so a bridge that sent something else would count differently.
 */
class MessagesTokenCounterTest {
    private static final TokenCounter COUNTER = new TokenCounter();
    private static final MessagesTokenCounter TOKENS = new MessagesTokenCounter(COUNTER);
    private static final MessagesRequestBridge BRIDGE = new MessagesRequestBridge(ChatDialect.OPENAI);

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int count(String request, String model) {
        return TOKENS.count(BRIDGE.toChatForCount(json(request)), model);
    }

    @Test
    void theCookbookToolExampleCountsWhatTheApiCounted() {
        // the OpenAI cookbook's tool example as a count_tokens request: the API counted 101 on gpt-4o, 105 on gpt-4
        String request = """
                {"model":"claude-x",
                 "system":"You are a helpful assistant that can answer to questions about the weather.",
                 "messages":[{"role":"user","content":"What's the weather like in San Francisco?"}],
                 "tools":[{"name":"get_current_weather","description":"Get the current weather in a given location",
                   "input_schema":{"type":"object","properties":{
                     "location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
                     "unit":{"type":"string","description":"The unit of temperature to return",
                             "enum":["celsius","fahrenheit"]}},
                   "required":["location"]}}]}""";
        assertThat(count(request, "gpt-4o")).isEqualTo(101);
        assertThat(count(request, "openai/gpt-4o-mini")).isEqualTo(101);
        assertThat(count(request, "gpt-4")).isEqualTo(105);
    }

    @Test
    void systemAndTextCountAsTheChatMessagesTheyBecome() {
        String request = """
                {"model":"claude-x","system":[{"type":"text","text":"Be brief."}],
                 "messages":[{"role":"user","content":[{"type":"text","text":"Hello there"}]},
                             {"role":"assistant","content":"Hi!"},{"role":"user","content":"Erzähl mir einen Witz über Größenwahn und Schildkröten."}]}""";
        JsonNode chat = json("""
                {"m":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"},
                      {"role":"assistant","content":"Hi!"},{"role":"user","content":"Erzähl mir einen Witz über Größenwahn und Schildkröten."}]}""").get("m");
        assertThat(count(request, "gpt-4o")).isEqualTo(COUNTER.countChat(chat, "gpt-4o"));
        assertThat(count(request, "meta/llama-3.3-70b-instruct"))
                .isEqualTo(COUNTER.countChat(chat, "meta/llama-3.3-70b-instruct"))
                .isNotEqualTo(COUNTER.countChat(chat, "gpt-4o")); // the model's tokenizer, not a fixed one
    }

    @Test
    void toolTurnsCountAsToolCallsAndToolMessagesAndThinkingIsNotSent() {
        String request = """
                {"model":"claude-x","messages":[
                  {"role":"user","content":"Weather?"},
                  {"role":"assistant","content":[{"type":"thinking","thinking":"A long private thought.","signature":"s"},
                    {"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny, 21 C"}]}],
                 "tools":[{"name":"weather","description":"Weather in a city.",
                           "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}""";
        JsonNode chat = json("""
                {"m":[{"role":"user","content":"Weather?"},
                      {"role":"assistant","content":null,"tool_calls":[{"id":"toolu_1","type":"function",
                        "function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
                      {"role":"tool","tool_call_id":"toolu_1","content":"sunny, 21 C"}],
                 "t":[{"type":"function","function":{"name":"weather","description":"Weather in a city.",
                       "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}""");
        assertThat(count(request, "gpt-4o"))
                .isEqualTo(COUNTER.countChat(chat.get("m"), "gpt-4o") + COUNTER.countTools(chat.get("t"), "gpt-4o"));
    }

    @Test
    void theAnswerIsTheApisShape() {
        assertThat(new String(MessagesTokenCounter.responseBody(42), StandardCharsets.UTF_8))
                .isEqualTo("{\"input_tokens\":42}");
    }
}
