package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

import java.util.Map;

import static dev.llmproxy.bridge.RequestFields.absent;
import static dev.llmproxy.bridge.RequestFields.array;
import static dev.llmproxy.bridge.RequestFields.bool;
import static dev.llmproxy.bridge.RequestFields.invalidValue;
import static dev.llmproxy.bridge.RequestFields.missing;
import static dev.llmproxy.bridge.RequestFields.object;
import static dev.llmproxy.bridge.RequestFields.string;
import static dev.llmproxy.bridge.RequestFields.unknown;
import static dev.llmproxy.bridge.RequestFields.unsupported;

/**
 * The Messages API's tool-shaped parameters in chat's terms: client tools ({@code input_schema} becomes the
 * function's {@code parameters}; Anthropic's server tools and schema-less built-in client tools have no chat
 * equivalent), {@code tool_choice}, and {@code output_config.format}. Stateless.
 */
final class MessagesTools {
    private MessagesTools() {
    }

    /** Chat's {@code tools}, or null when the request has none. */
    static ArrayNode tools(JsonNode tools) {
        if (absent(tools)) {
            return null;
        }
        array("tools", tools);
        ArrayNode chat = Json.MAPPER.createArrayNode();
        int i = 0;
        for (JsonNode tool : tools) {
            String path = "tools[" + i++ + "]";
            object(path, tool);
            JsonNode type = tool.get("type");
            if (!absent(type) && !"custom".equals(string(path + ".type", type))) {
                throw unsupported(path + ".type", type, "custom (a tool with input_schema); server tools and "
                        + "Anthropic-defined tools are not supported when bridging to chat completions");
            }
            chat.add(function(path, tool));
        }
        return chat;
    }

    private static ObjectNode function(String path, JsonNode tool) {
        ObjectNode chat = Json.object();
        chat.put("type", "function");
        ObjectNode function = chat.putObject("function");
        JsonNode name = tool.get("name");
        if (absent(name)) {
            throw missing(path + ".name", "the tool's name");
        }
        function.put("name", string(path + ".name", name));
        JsonNode schema = tool.get("input_schema");
        if (absent(schema)) {
            throw missing(path + ".input_schema", "a JSON schema object");
        }
        for (Map.Entry<String, JsonNode> field : tool.properties()) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (key) {
                case "type", "name", "input_schema", "cache_control", "eager_input_streaming" -> {
                }
                case "description" -> function.put(key, string(path + "." + key, value));
                case "strict" -> function.put(key, bool(path + "." + key, value));
                default -> throw unknown(path + "." + key, MessagesRequestBridge.API);
            }
        }
        function.set("parameters", object(path + ".input_schema", schema));
        return chat;
    }

    /** Sets chat's {@code tool_choice} (and {@code parallel_tool_calls}) from the Messages {@code tool_choice}. */
    static void toolChoice(JsonNode choice, ObjectNode chat) {
        JsonNode type = choice.get("type");
        if (absent(type)) {
            throw missing("tool_choice.type", "auto, any, tool or none");
        }
        switch (string("tool_choice.type", type)) {
            case "auto" -> chat.put("tool_choice", "auto");
            case "any" -> chat.put("tool_choice", "required");
            case "none" -> chat.put("tool_choice", "none");
            case "tool" -> {
                JsonNode name = choice.get("name");
                if (absent(name)) {
                    throw missing("tool_choice.name", "the tool's name");
                }
                ObjectNode named = chat.putObject("tool_choice");
                named.put("type", "function");
                named.putObject("function").put("name", string("tool_choice.name", name));
            }
            default -> throw invalidValue("tool_choice.type", type, "auto, any, tool or none");
        }
        JsonNode disable = choice.get("disable_parallel_tool_use");
        if (!absent(disable) && bool("tool_choice.disable_parallel_tool_use", disable)) {
            chat.put("parallel_tool_calls", false);
        }
    }

    /** Chat's {@code response_format} for {@code output_config.format} ({@code json_schema} only, as the API has). */
    static JsonNode responseFormat(String path, JsonNode format) {
        JsonNode type = format.get("type");
        if (absent(type) || !"json_schema".equals(string(path + ".type", type))) {
            throw invalidValue(path + ".type", type, "json_schema");
        }
        JsonNode schema = format.get("schema");
        if (absent(schema)) {
            throw missing(path + ".schema", "a JSON schema object");
        }
        ObjectNode chat = Json.object();
        chat.put("type", "json_schema");
        ObjectNode jsonSchema = chat.putObject("json_schema");
        jsonSchema.put("name", "output");
        jsonSchema.set("schema", object(path + ".schema", schema));
        return chat;
    }
}
