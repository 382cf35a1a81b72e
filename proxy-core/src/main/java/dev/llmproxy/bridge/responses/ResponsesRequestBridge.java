package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.bridge.ChatMessages;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyErrorException;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.llmproxy.bridge.RequestFields.absent;
import static dev.llmproxy.bridge.RequestFields.array;
import static dev.llmproxy.bridge.RequestFields.bool;
import static dev.llmproxy.bridge.RequestFields.integer;
import static dev.llmproxy.bridge.RequestFields.invalidValue;
import static dev.llmproxy.bridge.RequestFields.missing;
import static dev.llmproxy.bridge.RequestFields.number;
import static dev.llmproxy.bridge.RequestFields.object;
import static dev.llmproxy.bridge.RequestFields.string;
import static dev.llmproxy.bridge.RequestFields.unknown;
import static dev.llmproxy.bridge.RequestFields.unsupported;

/**
 * Turns a Responses API request ({@code POST /v1/responses}) into a chat completions request, field by field. What
 * chat can express is translated; what the proxy cannot honour is refused with a 400 naming the field, never
 * dropped in silence: built-in tools, {@code previous_response_id} and {@code conversation} (nothing is stored),
 * {@code background: true}, stored prompts, {@code truncation: auto}, {@code top_logprobs}, {@code max_tool_calls},
 * input items other than messages and function calls. Accepted without effect, because the proxy never stores and
 * has nothing to add: {@code store}, {@code include}, {@code stream_options}, {@code reasoning.summary}, and
 * {@code reasoning} items sent back from an earlier answer. {@code metadata} is echoed in the answer, not sent
 * upstream (chat ties it to stored completions).
 *
 * <p>Use: a route calls {@link #toChat} on the parsed body (a {@link ProxyErrorException} is the client's 400),
 * sends {@link ResponsesCall#chatRequest()} upstream as a chat request, and answers through
 * {@link ResponsesConverter} built from the same {@link ResponsesCall}. Stateless and thread-safe.
 */
public final class ResponsesRequestBridge {
    static final String API = "Responses API";
    private static final Set<String> EFFORTS = Set.of("none", "minimal", "low", "medium", "high", "xhigh");

    private final ChatDialect dialect;

    public ResponsesRequestBridge(ChatDialect dialect) {
        this.dialect = dialect;
    }

    public ResponsesCall toChat(ObjectNode request) {
        ObjectNode chat = Json.object();
        ObjectNode echo = new ResponseTemplate().values;
        JsonNode model = request.get("model");
        if (absent(model)) {
            throw missing("model", "a model id");
        }
        chat.put("model", string("model", model));
        echo.put("model", model.textValue());
        JsonNode input = request.get("input");
        if (absent(input)) {
            throw missing("input", "a string or an array of input items");
        }
        boolean stream = false;
        for (Map.Entry<String, JsonNode> field : request.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (name) {
                case "model", "input", "instructions", "tools", "parallel_tool_calls" -> {
                    // read below, where their order in the chat request matters
                }
                case "stream" -> stream = bool(name, value);
                case "max_output_tokens" -> {
                    integer(name, value, 1);
                    chat.set(dialect.maxTokensField(), value);
                    echo.set(name, value);
                }
                case "temperature", "top_p" -> {
                    chat.set(name, number(name, value));
                    echo.set(name, value);
                }
                case "tool_choice" -> {
                    chat.set(name, ResponsesTools.toolChoice(value));
                    echo.set(name, value);
                }
                case "text" -> {
                    readText(object(name, value), chat);
                    echo.set(name, value);
                }
                case "reasoning" -> {
                    readReasoning(object(name, value), chat);
                    echo.set(name, value);
                }
                case "user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "service_tier" -> {
                    chat.put(name, string(name, value));
                    if ("user".equals(name)) {
                        echo.set(name, value);
                    }
                }
                case "metadata" -> echo.set(name, object(name, value));
                case "store" -> bool(name, value); // accepted: the proxy never stores a response
                case "include" -> array(name, value); // accepted: nothing stored or encrypted to include
                case "stream_options" -> object(name, value); // only include_obfuscation, which has no chat meaning
                case "background" -> {
                    if (bool(name, value)) {
                        throw unsupported(name, value, "false; background responses need storage");
                    }
                }
                case "truncation" -> {
                    if (!"disabled".equals(string(name, value))) {
                        throw unsupported(name, value, "disabled; the proxy does not drop input to fit");
                    }
                }
                case "previous_response_id", "conversation" ->
                        throw unsupported(name, value, "absent; the proxy stores no responses, send the whole input");
                case "prompt", "max_tool_calls", "top_logprobs", "context_management", "moderation" ->
                        throw unsupported(name, value, "absent; not supported when bridging to chat completions");
                default -> throw unknown(name, API);
            }
        }
        ArrayNode tools = ResponsesTools.tools(request.get("tools"));
        if (tools != null) {
            echo.set("tools", request.get("tools"));
        }
        JsonNode parallel = request.get("parallel_tool_calls");
        if (!absent(parallel)) {
            echo.put("parallel_tool_calls", bool("parallel_tool_calls", parallel));
        }
        JsonNode instructions = request.get("instructions");
        if (!absent(instructions)) {
            echo.put("instructions", string("instructions", instructions));
        }
        chat.set("messages", messages(instructions, input));
        if (tools != null && !tools.isEmpty()) {
            chat.set("tools", tools);
            if (!absent(parallel)) {
                chat.set("parallel_tool_calls", parallel); // chat refuses it without tools
            }
        }
        if (stream) {
            chat.put("stream", true);
            chat.putObject("stream_options").put("include_usage", true);
        }
        return new ResponsesCall(chat, stream, echo);
    }

    private static ArrayNode messages(JsonNode instructions, JsonNode input) {
        ChatMessages messages = new ChatMessages();
        if (!absent(instructions)) {
            messages.message("system", List.of(ChatMessages.textPart(instructions.textValue())));
        }
        if (input.isTextual()) {
            messages.message("user", List.of(ChatMessages.textPart(input.textValue())));
        } else {
            array("input", input);
            int i = 0;
            for (JsonNode item : input) {
                ResponsesInput.item("input[" + i + "]", item, messages);
                i++;
            }
        }
        return messages.build();
    }

    private static void readText(JsonNode text, ObjectNode chat) {
        for (Map.Entry<String, JsonNode> field : text.properties()) {
            String name = "text." + field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (field.getKey()) {
                case "format" -> {
                    JsonNode format = ResponsesTools.responseFormat(name, object(name, value));
                    if (format != null) {
                        chat.set("response_format", format);
                    }
                }
                case "verbosity" -> chat.put("verbosity", string(name, value));
                default -> throw unknown(name, API);
            }
        }
    }

    private void readReasoning(JsonNode reasoning, ObjectNode chat) {
        for (Map.Entry<String, JsonNode> field : reasoning.properties()) {
            String name = "reasoning." + field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (field.getKey()) {
                case "effort" -> {
                    String effort = string(name, value);
                    if (!EFFORTS.contains(effort)) {
                        throw invalidValue(name, value, "none, minimal, low, medium, high or xhigh");
                    }
                    if (dialect.reasoningEffort()) {
                        chat.put("reasoning_effort", effort);
                    }
                }
                case "summary", "generate_summary" -> string(name, value); // no summaries: reasoning is streamed whole
                default -> throw unknown(name, API);
            }
        }
    }

    /** The response object's fields in the API's order, with the defaults the API reports. */
    private static final class ResponseTemplate {
        final ObjectNode values = Json.object();

        ResponseTemplate() {
            values.putNull("id");
            values.put("object", "response");
            values.putNull("created_at");
            values.putNull("status");
            values.put("background", false);
            values.putNull("error");
            values.putNull("incomplete_details");
            values.putNull("instructions");
            values.putNull("max_output_tokens");
            values.putNull("max_tool_calls");
            values.putNull("model");
            values.putArray("output");
            values.put("parallel_tool_calls", true);
            values.putNull("previous_response_id");
            ObjectNode reasoning = values.putObject("reasoning");
            reasoning.putNull("effort");
            reasoning.putNull("summary");
            values.putNull("temperature");
            values.putObject("text").putObject("format").put("type", "text");
            values.put("tool_choice", "auto");
            values.putArray("tools");
            values.putNull("top_p");
            values.put("truncation", "disabled");
            values.putNull("usage");
            values.putNull("user");
            values.putObject("metadata");
        }
    }
}
