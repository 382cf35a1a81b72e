package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An error an upstream reported in the OpenAI envelope — a non-2xx body or a {@code data: {"error":…}} event in the
 * middle of a stream — reduced to what a bridged API can carry. Also reads the bare {@code {"error":"text"}} shape
 * some servers send.
 *
 * @param message the upstream's words, or a fallback naming the status
 * @param type    the envelope's {@code type}, or null
 * @param code    the envelope's {@code code} as text, or null
 */
public record ChatError(String message, String type, String code) {

    /** The error in {@code body} ({@code {"error":{…}}} or {@code {"error":"…"}}); {@code fallback} as message. */
    public static ChatError from(JsonNode body, String fallback) {
        JsonNode error = body == null ? null : body.get("error");
        if (error != null && error.isTextual()) {
            return new ChatError(error.textValue(), null, null);
        }
        if (error == null || !error.isObject()) {
            return new ChatError(fallback, null, null);
        }
        JsonNode message = error.get("message");
        JsonNode code = error.get("code");
        return new ChatError(message != null && message.isTextual() ? message.textValue() : fallback,
                text(error.get("type")), code == null || code.isNull() ? null : code.asText());
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.textValue() : null;
    }
}
