package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds a chat {@code messages} array from another API's conversation, keeping chat's rules: an assistant's tool
 * calls ride on one assistant message (a call right after an assistant message joins it, as parallel calls do); each
 * result is a {@code tool} message that must follow the calls before any other message; content with a single text
 * part is a plain string (what every OpenAI-compatible server reads), anything else an array of parts.
 *
 * <p>Chat's {@code tool} messages carry text only, so images in a tool result are held and sent in a {@code user}
 * message right after the run of tool messages — the model still sees them, in the order the client gave them.
 *
 * <p>One instance per request; not thread-safe.
 */
public final class ChatMessages {
    private final ArrayNode messages = Json.MAPPER.createArrayNode();
    private final List<ObjectNode> heldImages = new ArrayList<>();

    /** A text content part. */
    public static ObjectNode textPart(String text) {
        ObjectNode part = Json.object();
        part.put("type", "text");
        part.put("text", text);
        return part;
    }

    /** An image content part for a URL or a {@code data:} URL; {@code detail} may be null. */
    public static ObjectNode imagePart(String url, String detail) {
        ObjectNode part = Json.object();
        part.put("type", "image_url");
        ObjectNode image = part.putObject("image_url");
        image.put("url", url);
        if (detail != null) {
            image.put("detail", detail);
        }
        return part;
    }

    /** A message of {@code role} ({@code system}, {@code user}, {@code assistant}) with these content parts. */
    public void message(String role, List<ObjectNode> parts) {
        flushHeldImages();
        ObjectNode message = messages.addObject();
        message.put("role", role);
        setContent(message, parts);
    }

    /**
     * One tool call by the assistant: joins the last message when that is the assistant's, else starts an assistant
     * message with no content.
     */
    public void toolCall(String id, String name, String arguments) {
        flushHeldImages();
        ObjectNode last = messages.isEmpty() ? null : (ObjectNode) messages.get(messages.size() - 1);
        ObjectNode assistant = last;
        if (last == null || !"assistant".equals(last.path("role").textValue())) {
            assistant = messages.addObject();
            assistant.put("role", "assistant");
            assistant.putNull("content");
        }
        ArrayNode calls = assistant.has("tool_calls") ? (ArrayNode) assistant.get("tool_calls")
                : assistant.putArray("tool_calls");
        ObjectNode call = calls.addObject();
        call.put("id", id);
        call.put("type", "function");
        ObjectNode function = call.putObject("function");
        function.put("name", name);
        function.put("arguments", arguments);
    }

    /** The result of tool call {@code callId}: its text, and images to show the model right after. */
    public void toolResult(String callId, String text, List<ObjectNode> images) {
        ObjectNode message = messages.addObject();
        message.put("role", "tool");
        message.put("tool_call_id", callId);
        message.put("content", text);
        heldImages.addAll(images);
    }

    /** The finished array (held tool-result images last). */
    public ArrayNode build() {
        flushHeldImages();
        return messages;
    }

    private void flushHeldImages() {
        if (heldImages.isEmpty()) {
            return;
        }
        ObjectNode message = messages.addObject();
        message.put("role", "user");
        message.putArray("content").addAll(heldImages);
        heldImages.clear();
    }

    private static void setContent(ObjectNode message, List<ObjectNode> parts) {
        if (parts.isEmpty()) {
            message.put("content", "");
        } else if (parts.size() == 1 && "text".equals(parts.get(0).path("type").textValue())) {
            message.put("content", parts.get(0).path("text").textValue());
        } else {
            message.putArray("content").addAll(parts);
        }
    }
}
