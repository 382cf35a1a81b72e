package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.JsonNode;
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

/** Responses API requests in chat's terms: each supported field translated, each unsupported one a 400 naming it. */
class ResponsesRequestBridgeTest {
    private static final ResponsesRequestBridge OPENAI = new ResponsesRequestBridge(ChatDialect.OPENAI);
    private static final ResponsesRequestBridge OPEN_WEIGHTS = new ResponsesRequestBridge(ChatDialect.OPEN_WEIGHTS);

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ObjectNode chat(ResponsesRequestBridge bridge, String request) {
        return bridge.toChat(json(request)).chatRequest();
    }

    private static ProxyError refused(String request) {
        return catchThrowableOfType(ProxyErrorException.class, () -> OPENAI.toChat(json(request))).error();
    }

    @Test
    void stringInputAndInstructionsBecomeSystemAndUserMessages() {
        ResponsesCall call = OPENAI.toChat(json("""
                {"model":"gpt-4o-mini","instructions":"Be brief.","input":"Hi"}"""));
        assertThat(call.chatRequest()).isEqualTo(json("""
                {"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},
                                                   {"role":"user","content":"Hi"}]}"""));
        assertThat(call.stream()).isFalse();
        assertThat(call.responseTemplate().path("instructions").asText()).isEqualTo("Be brief.");
        assertThat(call.responseTemplate().path("model").asText()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void samplingAndLimitsAreCopiedExactlyAndTheLimitGoesWhereTheUpstreamWantsIt() {
        String request = """
                {"model":"m","input":"Hi","temperature":0.70,"top_p":1e-1,"max_output_tokens":300}""";
        ObjectNode openai = chat(OPENAI, request);
        assertThat(openai.path("max_completion_tokens").asInt()).isEqualTo(300);
        assertThat(openai.has("max_tokens")).isFalse();
        assertThat(openai.get("temperature").toString()).isEqualTo("0.70");
        assertThat(openai.get("top_p").toString()).isEqualTo("0.1");
        ObjectNode openWeights = chat(OPEN_WEIGHTS, request);
        assertThat(openWeights.path("max_tokens").asInt()).isEqualTo(300);
        assertThat(openWeights.has("max_completion_tokens")).isFalse();
    }

    @Test
    void streamAsksForUsageSoTheFinalEventCanCarryIt() {
        ResponsesCall call = OPENAI.toChat(json("""
                {"model":"m","input":"Hi","stream":true}"""));
        assertThat(call.stream()).isTrue();
        assertThat(call.chatRequest().path("stream").asBoolean()).isTrue();
        assertThat(call.chatRequest().at("/stream_options/include_usage").asBoolean()).isTrue();
    }

    @Test
    void functionToolsChoiceAndParallelCallsAreTranslated() {
        ObjectNode chat = chat(OPENAI, """
                {"model":"m","input":"Hi","parallel_tool_calls":false,
                 "tool_choice":{"type":"function","name":"lookup"},
                 "tools":[{"type":"function","name":"lookup","description":"Looks up.","strict":true,
                           "parameters":{"type":"object","properties":{"q":{"type":"string"}}}}]}""");
        assertThat(chat.get("tools")).isEqualTo(json("""
                {"t":[{"type":"function","function":{"name":"lookup","description":"Looks up.","strict":true,
                       "parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]}""").get("t"));
        assertThat(chat.get("tool_choice")).isEqualTo(json("""
                {"type":"function","function":{"name":"lookup"}}"""));
        assertThat(chat.path("parallel_tool_calls").asBoolean(true)).isFalse();
        assertThat(chat(OPENAI, """
                {"model":"m","input":"Hi","tool_choice":"required","tools":[{"type":"function","name":"f"}]}""")
                .path("tool_choice").asText()).isEqualTo("required");
    }

    @Test
    void parallelToolCallsWithoutToolsIsNotSentBecauseChatRefusesIt() {
        ObjectNode chat = chat(OPENAI, """
                {"model":"m","input":"Hi","parallel_tool_calls":false}""");
        assertThat(chat.has("parallel_tool_calls")).isFalse();
    }

    @Test
    void textFormatBecomesResponseFormat() {
        ObjectNode chat = chat(OPENAI, """
                {"model":"m","input":"Hi","text":{"format":{"type":"json_schema","name":"answer","strict":true,
                 "schema":{"type":"object","properties":{"a":{"type":"string"}}}},"verbosity":"low"}}""");
        assertThat(chat.get("response_format")).isEqualTo(json("""
                {"type":"json_schema","json_schema":{"name":"answer","strict":true,
                 "schema":{"type":"object","properties":{"a":{"type":"string"}}}}}"""));
        assertThat(chat.path("verbosity").asText()).isEqualTo("low");
        assertThat(chat(OPENAI, """
                {"model":"m","input":"Hi","text":{"format":{"type":"json_object"}}}""").get("response_format"))
                .isEqualTo(json("{\"type\":\"json_object\"}"));
        assertThat(chat(OPENAI, """
                {"model":"m","input":"Hi","text":{"format":{"type":"text"}}}""").has("response_format")).isFalse();
    }

    @Test
    void reasoningEffortGoesOnlyToUpstreamsThatTakeIt() {
        String request = """
                {"model":"m","input":"Hi","reasoning":{"effort":"high","summary":"auto"}}""";
        assertThat(chat(OPENAI, request).path("reasoning_effort").asText()).isEqualTo("high");
        assertThat(chat(OPEN_WEIGHTS, request).has("reasoning_effort")).isFalse();
    }

    @Test
    void identityFieldsPassAndMetadataIsEchoedNotForwarded() {
        ResponsesCall call = OPENAI.toChat(json("""
                {"model":"m","input":"Hi","user":"u-1","safety_identifier":"s-1","prompt_cache_key":"k-1",
                 "metadata":{"trace":"t"},"store":true,"include":["reasoning.encrypted_content"]}"""));
        assertThat(call.chatRequest().path("user").asText()).isEqualTo("u-1");
        assertThat(call.chatRequest().path("safety_identifier").asText()).isEqualTo("s-1");
        assertThat(call.chatRequest().path("prompt_cache_key").asText()).isEqualTo("k-1");
        assertThat(call.chatRequest().has("metadata")).isFalse();
        assertThat(call.chatRequest().has("store")).isFalse();
        assertThat(call.responseTemplate().at("/metadata/trace").asText()).isEqualTo("t");
        assertThat(call.responseTemplate().path("user").asText()).isEqualTo("u-1");
    }

    @Test
    void multiTurnWithParallelToolCallsAndTheirResults() {
        ObjectNode chat = chat(OPENAI, """
                {"model":"m","instructions":"Use tools.","input":[
                  {"role":"developer","content":"Answer in French."},
                  {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather and time?"}]},
                  {"type":"reasoning","id":"rs_1","summary":[]},
                  {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
                  {"type":"function_call","call_id":"c1","name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"},
                  {"type":"function_call","call_id":"c2","name":"time","arguments":"{}"},
                  {"type":"function_call_output","call_id":"c1","output":"sunny"},
                  {"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"12:00"}]},
                  {"role":"user","content":"Thanks"}]}""");
        assertThat(chat.get("messages")).isEqualTo(json("""
                {"m":[{"role":"system","content":"Use tools."},
                      {"role":"system","content":"Answer in French."},
                      {"role":"user","content":"Weather and time?"},
                      {"role":"assistant","content":"Checking.","tool_calls":[
                        {"id":"c1","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                        {"id":"c2","type":"function","function":{"name":"time","arguments":"{}"}}]},
                      {"role":"tool","tool_call_id":"c1","content":"sunny"},
                      {"role":"tool","tool_call_id":"c2","content":"12:00"},
                      {"role":"user","content":"Thanks"}]}""").get("m"));
    }

    @Test
    void imageInputsBecomeImageUrlPartsAndToolImagesFollowTheToolMessages() {
        ObjectNode chat = chat(OPENAI, """
                {"model":"m","input":[
                  {"role":"user","content":[{"type":"input_text","text":"What is this?"},
                    {"type":"input_image","image_url":"https://example.com/cat.png","detail":"low"},
                    {"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]},
                  {"type":"function_call","call_id":"c1","name":"screenshot","arguments":"{}"},
                  {"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"done"},
                    {"type":"input_image","image_url":"data:image/png;base64,AAAA"}]}]}""");
        assertThat(chat.get("messages")).isEqualTo(json("""
                {"m":[{"role":"user","content":[{"type":"text","text":"What is this?"},
                        {"type":"image_url","image_url":{"url":"https://example.com/cat.png","detail":"low"}},
                        {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
                      {"role":"assistant","content":null,"tool_calls":[
                        {"id":"c1","type":"function","function":{"name":"screenshot","arguments":"{}"}}]},
                      {"role":"tool","tool_call_id":"c1","content":"done"},
                      {"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}
                     ]}""").get("m"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            tools[1].type               | {"tools":[{"type":"function","name":"f"},{"type":"web_search"}]}
            tools[0].type               | {"tools":[{"type":"file_search","vector_store_ids":["v"]}]}
            tools[0].type               | {"tools":[{"type":"computer_use_preview"}]}
            tools[0].type               | {"tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}
            tools[0].type               | {"tools":[{"type":"image_generation"}]}
            tools[0].type               | {"tools":[{"type":"mcp","server_label":"x"}]}
            tools[0].type               | {"tools":[{"type":"custom","name":"apply_patch"}]}
            tool_choice.type            | {"tool_choice":{"type":"web_search_preview"}}
            previous_response_id        | {"previous_response_id":"resp_1"}
            conversation                | {"conversation":"conv_1"}
            background                  | {"background":true}
            prompt                      | {"prompt":{"id":"pmpt_1"}}
            truncation                  | {"truncation":"auto"}
            top_logprobs                | {"top_logprobs":3}
            max_tool_calls              | {"max_tool_calls":2}
            stop                        | {"stop":["END"]}
            """)
    void unsupportedParametersAreRefusedByName(String field, String extra) {
        ObjectNode request = json("{\"model\":\"m\",\"input\":\"Hi\"}");
        request.setAll(json(extra));
        ProxyError error = refused(request.toString());
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo(field);
        assertThat(error.message()).startsWith(field + ": ").contains("(expected: ");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            input[0].type               | [{"type":"web_search_call","id":"ws_1"}]
            input[0].type               | [{"type":"item_reference","id":"msg_1"}]
            input[0].content[0].type    | [{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]
            input[0].content[0].file_id | [{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]
            input[0].content[0].type    | [{"role":"system","content":[{"type":"input_image","image_url":"u"}]}]
            input[0].role               | [{"role":"tool","content":"x"}]
            input[1].call_id            | [{"role":"user","content":"x"},{"type":"function_call_output","output":"x"}]
            """)
    void unsupportedInputItemsAreRefusedByPath(String field, String input) {
        ProxyError error = refused("{\"model\":\"m\",\"input\":" + input + "}");
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.param()).isEqualTo(field);
        assertThat(error.message()).startsWith(field + ": ");
    }

    @Test
    void missingAndMistypedFieldsAreNamed() {
        assertThat(refused("{\"input\":\"Hi\"}").param()).isEqualTo("model");
        assertThat(refused("{\"model\":\"m\"}").param()).isEqualTo("input");
        ProxyError mistyped = refused("{\"model\":\"m\",\"input\":\"Hi\",\"temperature\":\"hot\"}");
        assertThat(mistyped.param()).isEqualTo("temperature");
        assertThat(mistyped.kind().code()).isEqualTo("invalid_type");
        assertThat(refused("{\"model\":\"m\",\"input\":\"Hi\",\"max_output_tokens\":0}").kind().code())
                .isEqualTo("invalid_value");
        assertThat(refused("{\"model\":\"m\",\"input\":\"Hi\",\"reasoning\":{\"effort\":\"huge\"}}").param())
                .isEqualTo("reasoning.effort");
    }

    @Test
    void nullFieldsCountAsAbsentAsTheSdksSendThem() {
        JsonNode chat = chat(OPENAI, """
                {"model":"m","input":"Hi","temperature":null,"tools":null,"previous_response_id":null}""");
        assertThat(chat.has("temperature")).isFalse();
        assertThat(chat.has("tools")).isFalse();
    }
}
