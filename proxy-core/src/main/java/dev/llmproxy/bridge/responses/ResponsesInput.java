package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatMessages;

import java.util.ArrayList;
import java.util.List;

import static dev.llmproxy.bridge.RequestFields.absent;
import static dev.llmproxy.bridge.RequestFields.array;
import static dev.llmproxy.bridge.RequestFields.invalidValue;
import static dev.llmproxy.bridge.RequestFields.missing;
import static dev.llmproxy.bridge.RequestFields.object;
import static dev.llmproxy.bridge.RequestFields.string;
import static dev.llmproxy.bridge.RequestFields.unsupported;

/**
 * One Responses {@code input} item into chat messages: {@code message} (roles {@code user}, {@code assistant},
 * {@code system}, and {@code developer}, sent as {@code system} because most OpenAI-compatible servers know no other
 * instruction role), {@code function_call} (an assistant tool call), {@code function_call_output} (a {@code tool}
 * message). {@code reasoning} items — the model's earlier reasoning, sent back by clients that keep no server
 * state — are dropped: chat takes no reasoning as input. Anything else is a 400 naming the item. Stateless.
 */
final class ResponsesInput {
    private ResponsesInput() {
    }

    static void item(String path, JsonNode item, ChatMessages messages) {
        object(path, item);
        JsonNode type = item.get("type");
        String kind = absent(type) ? "message" : string(path + ".type", type);
        switch (kind) {
            case "message" -> message(path, item, messages);
            case "function_call" -> messages.toolCall(required(path, item, "call_id"),
                    required(path, item, "name"), required(path, item, "arguments"));
            case "function_call_output" -> functionOutput(path, item, messages);
            case "reasoning" -> {
            }
            case "item_reference" -> throw unsupported(path + ".type", type,
                    "message, function_call or function_call_output; the proxy stores no items to refer to");
            default -> throw unsupported(path + ".type", type,
                    "message, function_call, function_call_output or reasoning");
        }
    }

    private static void message(String path, JsonNode item, ChatMessages messages) {
        String role = required(path, item, "role");
        String chatRole = switch (role) {
            case "user", "assistant", "system" -> role;
            case "developer" -> "system";
            default -> throw invalidValue(path + ".role", item.get("role"), "user, assistant, system or developer");
        };
        JsonNode content = item.get("content");
        if (absent(content)) {
            throw missing(path + ".content", "a string or an array of content parts");
        }
        List<ObjectNode> parts = new ArrayList<>();
        if (content.isTextual()) {
            parts.add(ChatMessages.textPart(content.textValue()));
        } else {
            array(path + ".content", content);
            int i = 0;
            for (JsonNode part : content) {
                parts.add(part(path + ".content[" + i++ + "]", part, "user".equals(chatRole)));
            }
        }
        messages.message(chatRole, parts);
    }

    private static ObjectNode part(String path, JsonNode part, boolean imagesAllowed) {
        object(path, part);
        JsonNode type = part.get("type");
        if (absent(type)) {
            throw missing(path + ".type", "input_text, output_text or input_image");
        }
        switch (string(path + ".type", type)) {
            case "input_text", "output_text" -> {
                return ChatMessages.textPart(required(path, part, "text"));
            }
            case "refusal" -> {
                return ChatMessages.textPart(required(path, part, "refusal"));
            }
            case "input_image" -> {
                if (!imagesAllowed) {
                    throw unsupported(path + ".type", type, "input_text; images only in user messages");
                }
                return image(path, part);
            }
            default -> throw unsupported(path + ".type", type,
                    "input_text, output_text or input_image; files and audio are not bridged to chat");
        }
    }

    private static ObjectNode image(String path, JsonNode part) {
        JsonNode url = part.get("image_url");
        if (absent(url)) {
            if (!absent(part.get("file_id"))) {
                throw unsupported(path + ".file_id", part.get("file_id"), "image_url; the proxy has no file store");
            }
            throw missing(path + ".image_url", "a URL or a data URL");
        }
        JsonNode detail = part.get("detail");
        return ChatMessages.imagePart(string(path + ".image_url", url),
                absent(detail) ? null : string(path + ".detail", detail));
    }

    private static void functionOutput(String path, JsonNode item, ChatMessages messages) {
        String callId = required(path, item, "call_id");
        JsonNode output = item.get("output");
        if (absent(output)) {
            throw missing(path + ".output", "a string or an array of content parts");
        }
        if (output.isTextual()) {
            messages.toolResult(callId, output.textValue(), List.of());
            return;
        }
        array(path + ".output", output);
        StringBuilder text = new StringBuilder();
        List<ObjectNode> images = new ArrayList<>();
        int i = 0;
        for (JsonNode part : output) {
            ObjectNode chat = part(path + ".output[" + i++ + "]", part, true);
            if ("text".equals(chat.path("type").textValue())) {
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(chat.path("text").textValue());
            } else {
                images.add(chat);
            }
        }
        messages.toolResult(callId, text.toString(), images);
    }

    private static String required(String path, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (absent(value)) {
            throw missing(path + "." + field, "a string");
        }
        return string(path + "." + field, value);
    }
}
