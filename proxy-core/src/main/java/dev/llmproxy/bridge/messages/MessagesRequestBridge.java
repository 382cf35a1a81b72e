package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.bridge.ChatMessages;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyErrorException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 * Turns an Anthropic Messages request ({@code POST /v1/messages}, or the body of
 * {@code POST /v1/messages/count_tokens}) into a chat completions request, field by field. Translated:
 * {@code system}, {@code messages} (see {@link MessagesContent}), {@code tools} with {@code input_schema},
 * {@code tool_choice} ({@code any} is chat's {@code required}; {@code disable_parallel_tool_use} is
 * {@code parallel_tool_calls: false}), {@code max_tokens} (required), {@code stop_sequences} ({@code stop}),
 * {@code temperature}, {@code top_p}, {@code top_k} and reasoning effort (both only where the {@link ChatDialect}
 * says the upstream takes them), {@code output_config.format} ({@code response_format}), {@code metadata.user_id}
 * ({@code user}), {@code stream}. Accepted without effect: {@code cache_control} anywhere (prompt caching is the
 * upstream's business), {@code service_tier}, {@code inference_geo}, {@code speed}. Refused with a 400 naming the
 * field: server and Anthropic-defined tools, {@code container}, {@code mcp_servers}, {@code context_management},
 * documents and other blocks chat cannot carry, unknown fields.
 *
 * <p>Reasoning effort: {@code output_config.effort} as given ({@code xhigh} and {@code max} become {@code high});
 * otherwise {@code thinking: {type: enabled}} by its budget — under 4096 tokens {@code low}, under 16384
 * {@code medium}, else {@code high}.
 *
 * <p>Use: a route calls {@link #toChat} (or {@link #toChatForCount} for count_tokens) on the parsed body — a
 * {@link ProxyErrorException} is the client's 400, answered through {@link AnthropicError#of} — sends
 * {@link MessagesCall#chatRequest()} upstream, and answers through {@link MessagesConverter}. Stateless and
 * thread-safe.
 */
public final class MessagesRequestBridge {
    static final String API = "Messages API";

    private final ChatDialect dialect;

    public MessagesRequestBridge(ChatDialect dialect) {
        this.dialect = dialect;
    }

    /** A {@code POST /v1/messages} body; {@code max_tokens} is required, as the API requires it. */
    public MessagesCall toChat(ObjectNode request) {
        return bridge(request, true);
    }

    /** A {@code POST /v1/messages/count_tokens} body: the same fields, {@code max_tokens} not needed. */
    public MessagesCall toChatForCount(ObjectNode request) {
        return bridge(request, false);
    }

    private MessagesCall bridge(ObjectNode request, boolean maxTokensRequired) {
        ObjectNode chat = Json.object();
        JsonNode model = request.get("model");
        if (absent(model)) {
            throw missing("model", "a model id");
        }
        chat.put("model", string("model", model));
        JsonNode messages = request.get("messages");
        if (absent(messages)) {
            throw missing("messages", "an array of messages");
        }
        if (maxTokensRequired && absent(request.get("max_tokens"))) {
            throw missing("max_tokens", "an integer >= 1");
        }
        chat.set("messages", messages(request.get("system"), array("messages", messages)));
        boolean stream = false;
        List<String> stopSequences = List.of();
        String effort = null;
        for (Map.Entry<String, JsonNode> field : request.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (name) {
                case "model", "messages", "system", "tools", "tool_choice" -> {
                    // read above or below, where their order in the chat request matters
                }
                case "max_tokens" -> {
                    integer(name, value, 1);
                    chat.set(dialect.maxTokensField(), value);
                }
                case "stream" -> stream = bool(name, value);
                case "stop_sequences" -> {
                    stopSequences = strings(name, value);
                    if (!stopSequences.isEmpty()) {
                        chat.set("stop", value);
                    }
                }
                case "temperature", "top_p" -> chat.set(name, number(name, value));
                case "top_k" -> {
                    integer(name, value, 0);
                    if (dialect.topK()) {
                        chat.set(name, value);
                    }
                }
                case "thinking" -> effort = effort == null ? thinkingEffort(object(name, value)) : effort;
                case "output_config" -> effort = outputConfig(object(name, value), chat, effort);
                case "metadata" -> metadata(object(name, value), chat);
                case "cache_control", "service_tier", "inference_geo", "speed" -> {
                    // hints for Anthropic's own serving; nothing for a chat upstream to do
                }
                case "container", "mcp_servers", "context_management" ->
                        throw unsupported(name, value, "absent; not supported when bridging to chat completions");
                default -> throw unknown(name, API);
            }
        }
        if (effort != null && dialect.reasoningEffort()) {
            chat.put("reasoning_effort", effort);
        }
        ArrayNode tools = MessagesTools.tools(request.get("tools"));
        if (tools != null && !tools.isEmpty()) {
            chat.set("tools", tools);
            JsonNode choice = request.get("tool_choice");
            if (!absent(choice)) {
                MessagesTools.toolChoice(object("tool_choice", choice), chat);
            }
        } else if (!absent(request.get("tool_choice"))) {
            object("tool_choice", request.get("tool_choice")); // checked, but chat refuses a choice without tools
        }
        if (stream) {
            chat.put("stream", true);
            chat.putObject("stream_options").put("include_usage", true);
        }
        return new MessagesCall(chat, stream, model.textValue(), stopSequences);
    }

    private static ArrayNode messages(JsonNode system, JsonNode messages) {
        ChatMessages chat = new ChatMessages();
        if (!absent(system)) {
            chat.message("system", MessagesContent.system(system));
        }
        int i = 0;
        for (JsonNode message : messages) {
            MessagesContent.message("messages[" + i++ + "]", message, chat);
        }
        return chat.build();
    }

    private static List<String> strings(String field, JsonNode value) {
        array(field, value);
        List<String> strings = new ArrayList<>(value.size());
        int i = 0;
        for (JsonNode element : value) {
            strings.add(string(field + "[" + i++ + "]", element));
        }
        return strings;
    }

    private static String thinkingEffort(JsonNode thinking) {
        JsonNode type = thinking.get("type");
        if (absent(type)) {
            throw missing("thinking.type", "enabled, disabled or adaptive");
        }
        switch (string("thinking.type", type)) {
            case "enabled" -> {
                JsonNode budget = thinking.get("budget_tokens");
                if (absent(budget)) {
                    throw missing("thinking.budget_tokens", "an integer >= 1024");
                }
                long tokens = integer("thinking.budget_tokens", budget, 1);
                return tokens < 4096 ? "low" : tokens < 16384 ? "medium" : "high";
            }
            case "disabled", "adaptive" -> {
                return null;
            }
            default -> throw invalidValue("thinking.type", type, "enabled, disabled or adaptive");
        }
    }

    /** Reads {@code output_config}; returns the effort it sets, else {@code effort}. */
    private static String outputConfig(JsonNode config, ObjectNode chat, String effort) {
        String result = effort;
        for (Map.Entry<String, JsonNode> field : config.properties()) {
            String name = "output_config." + field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (field.getKey()) {
                case "effort" -> result = switch (string(name, value)) {
                    case "low", "medium", "high" -> value.textValue();
                    case "xhigh", "max" -> "high";
                    default -> throw invalidValue(name, value, "low, medium, high, xhigh or max");
                };
                case "format" -> chat.set("response_format", MessagesTools.responseFormat(name, object(name, value)));
                default -> throw unknown(name, API);
            }
        }
        return result;
    }

    private static void metadata(JsonNode metadata, ObjectNode chat) {
        for (Map.Entry<String, JsonNode> field : metadata.properties()) {
            String name = "metadata." + field.getKey();
            if ("user_id".equals(field.getKey())) {
                if (!field.getValue().isNull()) {
                    chat.put("user", string(name, field.getValue()));
                }
            } else {
                throw unknown(name, API);
            }
        }
    }
}
