package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;

/**
 * The one configured Jackson mapper. Configured here once and never changed afterwards, so sharing it across
 * event loops is safe (ObjectMapper is thread-safe after configuration).
 *
 * <p>Numbers are read as exact {@code BigDecimal}s so a body the proxy must rewrite (model id, legacy
 * completions) keeps every other value as the client wrote it: {@code 0.7} stays {@code 0.7}, {@code 1e-7} keeps
 * its value, big integers keep their digits.
 */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        // Request bodies are capped by MAX_REQUEST_BODY_BYTES; let one string be as large as the cap allows.
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE)
                .maxNestingDepth(1000)
                .build());
    }

    private Json() {
    }

    /**
     * A client's body as a tree. Jackson reports a float whose exponent overflows {@code BigDecimal}
     * ({@code 1e2147483648}) with an unchecked {@code NumberFormatException}; here it is a
     * {@link JsonProcessingException} like any other malformed input, so every caller answers it as invalid JSON.
     */
    public static JsonNode readTree(InputStream in) throws IOException {
        try {
            return MAPPER.readTree(in);
        } catch (NumberFormatException e) {
            throw new JsonMappingException(null, e.getMessage(), e);
        }
    }

    /** {@link #readTree(InputStream)} for bytes in memory. */
    public static JsonNode readTree(byte[] body) throws IOException {
        try {
            return MAPPER.readTree(body);
        } catch (NumberFormatException e) {
            throw new JsonMappingException(null, e.getMessage(), e);
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getName(), e);
        }
    }
}
