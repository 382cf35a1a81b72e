package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Reads the body of a proxy-only JSON endpoint into a tree, with the same {@code invalid_json} answer the OpenAI
 * endpoints give. Stateless.
 */
public final class RequestJson {

    private RequestJson() {
    }

    /**
     * The body as a JSON tree; a null or empty body is {@link MissingNode} (each endpoint decides what "no body"
     * means).
     *
     * @throws ProxyErrorException 400 {@code invalid_json} when the bytes are not one JSON value
     */
    public static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return MissingNode.getInstance();
        }
        try {
            JsonNode root = Json.readTree(body);
            return root == null ? MissingNode.getInstance() : root;
        } catch (JsonProcessingException e) {
            throw ProxyErrorException.of(ErrorKind.INVALID_JSON,
                    "request body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a byte array does no I/O
        }
    }

    /** JSON's own name for a value's type, for messages: {@code string}, {@code number}, {@code array} … */
    static String typeName(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "missing";
        }
        return switch (value.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case ARRAY -> "array";
            case OBJECT, POJO -> "object";
            case NULL -> "null";
            default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
