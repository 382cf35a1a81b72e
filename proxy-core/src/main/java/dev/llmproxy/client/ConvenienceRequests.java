package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;

import java.util.Map;

/**
 * The chat request behind each convenience endpoint (REFERENCE §2.7–§2.9), built from what the client sent; every
 * input a client can get wrong is a 400 envelope (the reference answered bare {@code {"error":"…"}} strings).
 */
final class ConvenienceRequests {
    static final String SIMPLE_CHAT_SYSTEM_PROMPT = "You are a helpful assistant.";

    /** Either the chat body to send, or the error to answer. */
    record Built(ObjectNode chat, ProxyError error, String clientModel) {
        static Built failed(String message, String param) {
            return new Built(null, ProxyError.of(ErrorKind.INVALID_PARAMETER, message, param), null);
        }
    }

    private ConvenienceRequests() {
    }

    /** {@code POST /v1/simple-chat {model, message}}: a system prompt, the message, temperature 0.7. */
    static Built simpleChat(JsonNode body) {
        String model = text(body, "model");
        String message = text(body, "message");
        if (model == null || message == null) {
            return Built.failed("model and message are required (strings)", model == null ? "model" : "message");
        }
        ObjectNode chat = Json.object();
        chat.put("model", model);
        ArrayNode messages = chat.putArray("messages");
        messages.addObject().put("role", "system").put("content", SIMPLE_CHAT_SYSTEM_PROMPT);
        messages.addObject().put("role", "user").put("content", message);
        chat.put("temperature", 0.7);
        return new Built(chat, null, model);
    }

    /** {@code /v1/test-model}: "Hello" with 10 tokens at temperature 0 — enough to see whether the model answers. */
    static Built testModel(String model) {
        if (model == null || model.isBlank()) {
            return Built.failed("model is required", "model");
        }
        ObjectNode chat = Json.object();
        chat.put("model", model);
        chat.putArray("messages").addObject().put("role", "user").put("content", "Hello");
        chat.put("max_tokens", 10);
        chat.put("temperature", 0);
        return new Built(chat, null, model);
    }

    /**
     * {@code POST /v1/proxy {model, input, type, options}}: the reference's "universal proxy", chat type only (its
     * other types always failed: the Responses API was never there).
     */
    static Built universal(JsonNode body) {
        String model = text(body, "model");
        if (model == null) {
            return Built.failed("model is required", "model");
        }
        String type = body.has("type") ? text(body, "type") : "chat";
        if (!"chat".equals(type)) {
            return Built.failed("type must be \"chat\" (the only type this proxy serves)", "type");
        }
        JsonNode input = body.get("input");
        JsonNode options = body.get("options");
        if (options != null && !options.isNull() && !options.isObject()) {
            return Built.failed("options must be an object", "options");
        }
        ObjectNode chat = Json.object();
        chat.put("model", model);
        if (input != null && input.isArray()) {
            chat.set("messages", input);
        } else if (input != null && input.isTextual()) {
            chat.putArray("messages").addObject().put("role", "user").put("content", input.textValue());
        } else {
            return Built.failed("input must be a string or an array of messages", "input");
        }
        if (options != null && options.isObject()) {
            for (Map.Entry<String, JsonNode> option : options.properties()) {
                if (!option.getKey().equals("model") && !option.getKey().equals("messages")) {
                    chat.set(option.getKey(), option.getValue());
                }
            }
        }
        return new Built(chat, null, model);
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body == null ? null : body.get(field);
        return v != null && v.isTextual() && !v.textValue().isBlank() ? v.textValue() : null;
    }
}
