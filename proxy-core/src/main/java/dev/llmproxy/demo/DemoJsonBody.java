package dev.llmproxy.demo;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body as a JSON object and pulls typed fields out of it, turning every shape error into a
 * {@link DemoRequestException} with the OpenAI envelope.
 *
 * <p>Threading: stateless.
 */
final class DemoJsonBody {
    private DemoJsonBody() {
    }

    /** Parses {@code content} (not released here) as one JSON object. */
    static ObjectNode readObject(ByteBuf content) {
        JsonNode node;
        try (InputStream in = new ByteBufInputStream(content.duplicate())) {
            node = Json.MAPPER.readTree(in);
        } catch (JacksonException e) {
            throw new DemoRequestException(ProxyError.of(ErrorKind.INVALID_JSON));
        } catch (IOException e) {
            // Reading a ByteBuf cannot fail with I/O; treat it like any unreadable body.
            throw new DemoRequestException(ProxyError.of(ErrorKind.INVALID_JSON));
        }
        if (node == null || !node.isObject()) {
            throw new DemoRequestException(ProxyError.of(ErrorKind.INVALID_JSON, "request body must be a JSON object"));
        }
        return (ObjectNode) node;
    }

    /** The field, or null when it is absent or JSON null. */
    static JsonNode present(JsonNode body, String field) {
        JsonNode value = body.get(field);
        return value == null || value.isNull() ? null : value;
    }

    /** A non-empty string; {@code missing} when absent, null or empty. */
    static String requiredString(ObjectNode body, String field, ErrorKind missing) {
        JsonNode value = present(body, field);
        if (value == null) {
            throw new DemoRequestException(ProxyError.of(missing));
        }
        if (!value.isTextual()) {
            throw invalid(field, "must be a string");
        }
        if (value.textValue().isEmpty()) {
            throw new DemoRequestException(ProxyError.of(missing));
        }
        return value.textValue();
    }

    static boolean optionalBoolean(JsonNode body, String field) {
        JsonNode value = present(body, field);
        if (value == null) {
            return false;
        }
        if (!value.isBoolean()) {
            throw invalid(field, "must be a boolean");
        }
        return value.booleanValue();
    }

    /** An integer in {@code [min, max]}, or {@code absent} when the field is absent or null. */
    static int optionalInt(JsonNode body, String field, int min, int max, int absent) {
        JsonNode value = present(body, field);
        if (value == null) {
            return absent;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min || value.intValue() > max) {
            throw invalid(field, "must be an integer from " + min + " to " + max);
        }
        return value.intValue();
    }

    static DemoRequestException invalid(String param, String rule) {
        return new DemoRequestException(ProxyError.of(ErrorKind.INVALID_PARAMETER,
                "Invalid value for '" + param + "': " + rule + ".", param));
    }
}
