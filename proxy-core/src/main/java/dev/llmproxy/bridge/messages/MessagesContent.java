package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatMessages;

import java.util.ArrayList;
import java.util.List;

import static dev.llmproxy.bridge.RequestFields.absent;
import static dev.llmproxy.bridge.RequestFields.array;
import static dev.llmproxy.bridge.RequestFields.bool;
import static dev.llmproxy.bridge.RequestFields.invalidValue;
import static dev.llmproxy.bridge.RequestFields.missing;
import static dev.llmproxy.bridge.RequestFields.object;
import static dev.llmproxy.bridge.RequestFields.string;
import static dev.llmproxy.bridge.RequestFields.unsupported;

/**
 * The Messages API's {@code system} and {@code messages} content blocks into chat messages.
 * <ul>
 *   <li>user: {@code text}; {@code image} (a {@code base64} source becomes a {@code data:} URL, a {@code url} source
 *       stays a URL); {@code tool_result} becomes a {@code tool} message — sent before the user's other blocks, as
 *       chat wants results right after the calls — whose text is the result's text blocks joined by newlines,
 *       prefixed {@code "Error: "} when {@code is_error} (chat has no error flag), its images following in a user
 *       message.</li>
 *   <li>assistant: {@code text}; {@code tool_use} becomes a tool call with {@code input} as its JSON arguments;
 *       {@code thinking} and {@code redacted_thinking} — earlier reasoning sent back — are dropped, as chat takes
 *       no reasoning as input.</li>
 * </ul>
 * Other blocks (documents, search results, server tool blocks) are refused with a 400 naming the block. Stateless.
 */
final class MessagesContent {
    private MessagesContent() {
    }

    /** {@code system}: a string or text blocks. */
    static List<ObjectNode> system(JsonNode system) {
        List<ObjectNode> parts = new ArrayList<>();
        if (system.isTextual()) {
            parts.add(ChatMessages.textPart(system.textValue()));
            return parts;
        }
        array("system", system);
        int i = 0;
        for (JsonNode block : system) {
            String path = "system[" + i++ + "]";
            object(path, block);
            String type = type(path, block);
            if (!"text".equals(type)) {
                throw unsupported(path + ".type", block.get("type"), "text");
            }
            parts.add(ChatMessages.textPart(text(path, block, "text")));
        }
        return parts;
    }

    static void message(String path, JsonNode message, ChatMessages chat) {
        object(path, message);
        JsonNode roleNode = message.get("role");
        if (absent(roleNode)) {
            throw missing(path + ".role", "user or assistant");
        }
        String role = string(path + ".role", roleNode);
        if (!"user".equals(role) && !"assistant".equals(role)) {
            throw invalidValue(path + ".role", roleNode, "user or assistant");
        }
        JsonNode content = message.get("content");
        if (absent(content)) {
            throw missing(path + ".content", "a string or an array of content blocks");
        }
        if (content.isTextual()) {
            chat.message(role, List.of(ChatMessages.textPart(content.textValue())));
            return;
        }
        array(path + ".content", content);
        if ("user".equals(role)) {
            user(path, content, chat);
        } else {
            assistant(path, content, chat);
        }
    }

    private static void user(String path, JsonNode content, ChatMessages chat) {
        List<ObjectNode> parts = new ArrayList<>();
        int i = 0;
        for (JsonNode block : content) {
            String blockPath = path + ".content[" + i++ + "]";
            object(blockPath, block);
            switch (type(blockPath, block)) {
                case "text" -> parts.add(ChatMessages.textPart(text(blockPath, block, "text")));
                case "image" -> parts.add(image(blockPath, block));
                case "tool_result" -> toolResult(blockPath, block, chat);
                default -> throw unsupported(blockPath + ".type", block.get("type"),
                        "text, image or tool_result; other blocks are not bridged to chat completions");
            }
        }
        if (!parts.isEmpty()) {
            chat.message("user", parts);
        }
    }

    private static void assistant(String path, JsonNode content, ChatMessages chat) {
        List<ObjectNode> parts = new ArrayList<>();
        List<JsonNode> toolUses = new ArrayList<>();
        int i = 0;
        for (JsonNode block : content) {
            String blockPath = path + ".content[" + i++ + "]";
            object(blockPath, block);
            switch (type(blockPath, block)) {
                case "text" -> parts.add(ChatMessages.textPart(text(blockPath, block, "text")));
                case "tool_use" -> {
                    text(blockPath, block, "id");
                    text(blockPath, block, "name");
                    JsonNode input = block.get("input");
                    if (absent(input)) {
                        throw missing(blockPath + ".input", "an object");
                    }
                    object(blockPath + ".input", input);
                    toolUses.add(block);
                }
                case "thinking", "redacted_thinking" -> {
                }
                default -> throw unsupported(blockPath + ".type", block.get("type"),
                        "text, tool_use or thinking; server tool blocks are not bridged to chat completions");
            }
        }
        if (!parts.isEmpty()) {
            chat.message("assistant", parts);
        }
        for (JsonNode use : toolUses) {
            chat.toolCall(use.get("id").textValue(), use.get("name").textValue(), use.get("input").toString());
        }
    }

    private static void toolResult(String path, JsonNode block, ChatMessages chat) {
        String id = text(path, block, "tool_use_id");
        StringBuilder text = new StringBuilder();
        List<ObjectNode> images = new ArrayList<>();
        JsonNode content = block.get("content");
        if (!absent(content)) {
            if (content.isTextual()) {
                text.append(content.textValue());
            } else {
                array(path + ".content", content);
                int i = 0;
                for (JsonNode part : content) {
                    String partPath = path + ".content[" + i++ + "]";
                    object(partPath, part);
                    switch (type(partPath, part)) {
                        case "text" -> {
                            if (!text.isEmpty()) {
                                text.append('\n');
                            }
                            text.append(text(partPath, part, "text"));
                        }
                        case "image" -> images.add(image(partPath, part));
                        default -> throw unsupported(partPath + ".type", part.get("type"), "text or image");
                    }
                }
            }
        }
        JsonNode isError = block.get("is_error");
        if (!absent(isError) && bool(path + ".is_error", isError)) {
            text.insert(0, text.isEmpty() ? "Error" : "Error: ");
        }
        chat.toolResult(id, text.toString(), images);
    }

    private static ObjectNode image(String path, JsonNode block) {
        JsonNode source = block.get("source");
        if (absent(source)) {
            throw missing(path + ".source", "a base64 or url image source");
        }
        object(path + ".source", source);
        String sourcePath = path + ".source";
        return switch (type(sourcePath, source)) {
            case "base64" -> ChatMessages.imagePart("data:" + text(sourcePath, source, "media_type") + ";base64,"
                    + text(sourcePath, source, "data"), null);
            case "url" -> ChatMessages.imagePart(text(sourcePath, source, "url"), null);
            default -> throw unsupported(sourcePath + ".type", source.get("type"),
                    "base64 or url; the proxy has no file store");
        };
    }

    private static String type(String path, JsonNode block) {
        return text(path, block, "type");
    }

    private static String text(String path, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (absent(value)) {
            throw missing(path + "." + field, "a string");
        }
        return string(path + "." + field, value);
    }
}
