package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bridge.ChatError;
import dev.llmproxy.bridge.SseEventWriter;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;

import java.util.Map;

/**
 * A failure in Anthropic's shape, for {@code /v1/messages} and {@code /v1/messages/count_tokens}: the body
 * {@code {"type":"error","error":{"type","message"}}} with the error type Anthropic uses for the status (400
 * {@code invalid_request_error}, 401 {@code authentication_error}, 402 {@code billing_error}, 403
 * {@code permission_error}, 404 {@code not_found_error}, 408 and 504 {@code timeout_error}, 409
 * {@code conflict_error}, 413 {@code request_too_large}, 429 {@code rate_limit_error}, 503 and 529
 * {@code overloaded_error}, other 5xx {@code api_error}, other 4xx {@code invalid_request_error}). The status itself
 * is kept: Anthropic's SDKs retry by status, and the proxy's statuses already mean what they say.
 *
 * <p>Use: a route answering a {@link ProxyError} of its own (validation, auth, admission) on a Messages path sends
 * {@link #of(ProxyError)} — status, body, and the error's headers such as {@code Retry-After} — instead of the
 * OpenAI envelope.
 *
 * @param status  the HTTP status
 * @param body    the JSON body
 * @param headers headers that belong to the failure (from the {@link ProxyError}); never null
 */
public record AnthropicError(int status, byte[] body, Map<String, String> headers) {

    /** The proxy's own failure, answered before any upstream call. */
    public static AnthropicError of(ProxyError error) {
        return new AnthropicError(error.status(), body(type(error.status()), error.message()), error.headers());
    }

    /** An upstream's error body (OpenAI envelope, or anything else) under its status. */
    public static AnthropicError fromUpstream(int status, JsonNode body) {
        ChatError error = ChatError.from(body, "the upstream answered " + status);
        return new AnthropicError(status, body(type(status), error.message()), Map.of());
    }

    /** Anthropic's error type for an HTTP status. */
    public static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 408, 504 -> "timeout_error";
            case 409 -> "conflict_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    /** {@code {"type":"error","error":{"type":…,"message":…}}}. */
    public static byte[] body(String type, String message) {
        ObjectNode root = Json.object();
        root.put("type", "error");
        ObjectNode error = root.putObject("error");
        error.put("type", type);
        error.put("message", message);
        return Json.bytes(root);
    }

    /** The stream's {@code error} event, how Anthropic reports a failure after a stream has started. */
    static void event(SseEventWriter events, String type, String message) {
        events.begin("error").startObject("error").field("type", type).field("message", message).endObject().end();
    }
}
