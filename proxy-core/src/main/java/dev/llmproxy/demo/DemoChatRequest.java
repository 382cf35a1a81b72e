package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;

/**
 * What the simulator needs from a {@code POST /chat/completions} body, validated: the model, the streaming flags,
 * the token cap, and a digest of the messages (prompt token estimate, hash, the last user text to echo).
 *
 * @param model           the model as the client spelled it
 * @param stream          {@code stream: true}
 * @param includeUsage    {@code stream_options.include_usage: true}
 * @param maxTokens       {@code max_completion_tokens}, else {@code max_tokens}, else {@link Integer#MAX_VALUE}
 * @param promptTokens    ceil(chars / 4) + 3 per message
 * @param promptHash      stable hash of every message's role and text
 * @param lastUserText    text of the last {@code user} message, or null when there is none
 */
record DemoChatRequest(String model, boolean stream, boolean includeUsage, int maxTokens, int promptTokens,
                       long promptHash, String lastUserText) {

    static final int TOKENS_PER_MESSAGE = 3;

    static DemoChatRequest parse(ByteBuf content) {
        ObjectNode body = DemoJsonBody.readObject(content);
        String model = DemoJsonBody.requiredString(body, "model", ErrorKind.MISSING_MODEL);
        JsonNode messages = DemoJsonBody.present(body, "messages");
        if (messages == null) {
            throw new DemoRequestException(ProxyError.of(ErrorKind.MISSING_MESSAGES));
        }
        if (!messages.isArray()) {
            throw DemoJsonBody.invalid("messages", "must be an array");
        }
        if (messages.isEmpty()) {
            throw DemoJsonBody.invalid("messages", "must contain at least one message");
        }
        boolean stream = DemoJsonBody.optionalBoolean(body, "stream");
        JsonNode streamOptions = DemoJsonBody.present(body, "stream_options");
        if (streamOptions != null && !streamOptions.isObject()) {
            throw DemoJsonBody.invalid("stream_options", "must be an object");
        }
        boolean includeUsage = streamOptions != null && DemoJsonBody.optionalBoolean(streamOptions, "include_usage");
        int maxTokens = DemoJsonBody.optionalInt(body, "max_completion_tokens", 1, Integer.MAX_VALUE,
                DemoJsonBody.optionalInt(body, "max_tokens", 1, Integer.MAX_VALUE, Integer.MAX_VALUE));

        DemoHash hash = new DemoHash();
        long promptTokens = 0;
        String lastUserText = null;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String param = "messages[" + i + "]";
            if (!message.isObject()) {
                throw DemoJsonBody.invalid(param, "must be an object");
            }
            JsonNode role = message.get("role");
            if (role == null || !role.isTextual()) {
                throw DemoJsonBody.invalid(param + ".role", "must be a string");
            }
            String text = text(message.get("content"), param + ".content");
            hash.add(role.textValue()).separator().add(text).separator();
            promptTokens += (text.length() + 3) / 4 + TOKENS_PER_MESSAGE;
            if ("user".equals(role.textValue())) {
                lastUserText = text;
            }
        }
        return new DemoChatRequest(model, stream, includeUsage, maxTokens, (int) Math.min(promptTokens, Integer.MAX_VALUE),
                hash.value(), lastUserText);
    }

    /** A message's text: a string, or the {@code text} of its {@code {type:"text"}} parts joined by newlines. */
    private static String text(JsonNode content, String param) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray()) {
            throw DemoJsonBody.invalid(param, "must be a string or an array of content parts");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (!part.isObject()) {
                throw DemoJsonBody.invalid(param, "must be a string or an array of content parts");
            }
            JsonNode partText = part.get("text");
            if ("text".equals(part.path("type").asText()) && partText != null && partText.isTextual()) {
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(partText.textValue());
            }
        }
        return text.toString();
    }
}
