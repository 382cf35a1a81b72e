package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.llmproxy.openai.Json;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * One complete answer of the proxy, with the readings the tools need: the JSON body, the OpenAI error envelope's
 * message and code, {@code Retry-After} and the upstream that answered. Immutable.
 *
 * @param status  the HTTP status
 * @param headers the response headers
 * @param body    the body as text
 */
record ProxyAnswer(int status, HttpHeaders headers, String body) {
    /** The header that names the upstream that answered a proxied request. */
    static final String UPSTREAM_HEADER = "X-LLM-Proxy-Upstream";

    boolean ok() {
        return status >= 200 && status < 300;
    }

    /** The body as JSON; a missing node when it is not JSON. */
    JsonNode json() {
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            return node == null ? MissingNode.getInstance() : node;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    /** {@code error.message} of the envelope; else the start of the body; else the status. */
    String errorMessage() {
        return errorMessage(status, json(), body);
    }

    /** {@code error.code} of the envelope, or null. */
    String errorCode() {
        return errorCode(json());
    }

    /** {@code Retry-After} in seconds from now (delta-seconds or an HTTP date); empty when absent or unreadable. */
    Optional<Duration> retryAfter() {
        return headers.firstValue("Retry-After").flatMap(ProxyAnswer::parseRetryAfter);
    }

    /** The upstream that answered, from {@value #UPSTREAM_HEADER}; null when the proxy does not say. */
    String upstream() {
        return headers.firstValue(UPSTREAM_HEADER).orElse(null);
    }

    static String errorMessage(int status, JsonNode json, String body) {
        JsonNode error = json.path("error");
        if (error.isTextual()) {
            return error.textValue();
        }
        if (error.path("message").isTextual()) {
            return error.path("message").textValue();
        }
        String text = body == null ? "" : body.strip();
        if (text.isEmpty()) {
            return "HTTP " + status;
        }
        return text.length() <= 200 ? text : text.substring(0, 197) + "...";
    }

    static String errorCode(JsonNode json) {
        JsonNode code = json.path("error").path("code");
        return code.isValueNode() && !code.isNull() ? code.asText() : null;
    }

    static Optional<Duration> parseRetryAfter(String value) {
        String trimmed = value.trim();
        try {
            double seconds = Double.parseDouble(trimmed);
            if (seconds >= 0 && seconds < 1e9) {
                return Optional.of(Duration.ofMillis(Math.round(seconds * 1000)));
            }
            return Optional.empty();
        } catch (NumberFormatException notSeconds) {
            try {
                Duration until = Duration.between(ZonedDateTime.now(),
                        ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME));
                return Optional.of(until.isNegative() ? Duration.ZERO : until);
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
    }
}
