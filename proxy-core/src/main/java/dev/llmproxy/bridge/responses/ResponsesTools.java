package dev.llmproxy.bridge.responses;

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
 * The Responses API's tool-shaped parameters in chat's terms: {@code tools} (function tools only: the built-in ones
 * run on OpenAI's side and have no chat equivalent), {@code tool_choice}, and {@code text.format} (chat's
 * {@code response_format}). Stateless.
 */
final class ResponsesTools {
    private ResponsesTools() {
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
            if (absent(type)) {
                throw missing(path + ".type", "function");
            }
            if (!"function".equals(string(path + ".type", type))) {
                throw unsupported(path + ".type", type, "function; built-in and custom tools are not supported "
                        + "when bridging to chat completions");
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
            throw missing(path + ".name", "the function's name");
        }
        function.put("name", string(path + ".name", name));
        for (Map.Entry<String, JsonNode> field : tool.properties()) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (key) {
                case "type", "name" -> {
                }
                case "description" -> function.put(key, string(path + "." + key, value));
                case "parameters" -> function.set(key, object(path + "." + key, value));
                case "strict" -> function.put(key, bool(path + "." + key, value));
                default -> throw unknown(path + "." + key, ResponsesRequestBridge.API);
            }
        }
        return chat;
    }

    /** Chat's {@code tool_choice}: the same words, or {@code {"type":"function","function":{"name"}}}. */
    static JsonNode toolChoice(JsonNode choice) {
        if (choice.isTextual()) {
            String mode = choice.textValue();
            if (!"none".equals(mode) && !"auto".equals(mode) && !"required".equals(mode)) {
                throw invalidValue("tool_choice", choice, "none, auto, required or a function");
            }
            return choice;
        }
        object("tool_choice", choice);
        JsonNode type = choice.get("type");
        if (absent(type)) {
            throw missing("tool_choice.type", "function");
        }
        if (!"function".equals(string("tool_choice.type", type))) {
            throw unsupported("tool_choice.type", type, "function; only function tools are bridged");
        }
        JsonNode name = choice.get("name");
        if (absent(name)) {
            throw missing("tool_choice.name", "the function's name");
        }
        ObjectNode chat = Json.object();
        chat.put("type", "function");
        chat.putObject("function").put("name", string("tool_choice.name", name));
        return chat;
    }

    /** Chat's {@code response_format} for {@code text.format}; null for plain text (chat's default). */
    static JsonNode responseFormat(String path, JsonNode format) {
        JsonNode type = format.get("type");
        if (absent(type)) {
            throw missing(path + ".type", "text, json_schema or json_object");
        }
        ObjectNode chat = Json.object();
        switch (string(path + ".type", type)) {
            case "text" -> {
                return null;
            }
            case "json_object" -> chat.put("type", "json_object");
            case "json_schema" -> {
                chat.put("type", "json_schema");
                ObjectNode schema = chat.putObject("json_schema");
                JsonNode name = format.get("name");
                if (absent(name)) {
                    throw missing(path + ".name", "the schema's name");
                }
                schema.put("name", string(path + ".name", name));
                for (Map.Entry<String, JsonNode> field : format.properties()) {
                    String key = field.getKey();
                    JsonNode value = field.getValue();
                    if (value.isNull()) {
                        continue;
                    }
                    switch (key) {
                        case "type", "name" -> {
                        }
                        case "description" -> schema.put(key, string(path + "." + key, value));
                        case "schema" -> schema.set(key, object(path + "." + key, value));
                        case "strict" -> schema.put(key, bool(path + "." + key, value));
                        default -> throw unknown(path + "." + key, ResponsesRequestBridge.API);
                    }
                }
            }
            default -> throw invalidValue(path + ".type", type, "text, json_schema or json_object");
        }
        return chat;
    }
}
