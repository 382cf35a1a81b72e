package dev.llmproxy.demo;

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A validated {@code POST /embeddings} request and its answer: one deterministic, L2-normalised vector per input,
 * seeded from a hash of the input, as JSON numbers or as base64 of little-endian float32 (what the OpenAI Python SDK
 * asks for by default).
 *
 * <p>Threading: confined to the request's event loop.
 */
final class DemoEmbeddings {
    static final int MAX_DIMENSIONS = 8192;
    /** OpenAI's limit on inputs per request. */
    static final int MAX_INPUTS = 2048;
    static final int LARGE_DIMENSIONS = 3072;
    static final int COHERE_DIMENSIONS = 1024;
    static final int DEFAULT_DIMENSIONS = 1536;

    private final String model;
    private final long[] seeds;
    private final int promptTokens;
    private final int requestedDimensions;
    private final boolean base64;

    private DemoEmbeddings(String model, long[] seeds, int promptTokens, int requestedDimensions, boolean base64) {
        this.model = model;
        this.seeds = seeds;
        this.promptTokens = promptTokens;
        this.requestedDimensions = requestedDimensions;
        this.base64 = base64;
    }

    static DemoEmbeddings parse(ByteBuf content) {
        ObjectNode body = DemoJsonBody.readObject(content);
        String model = DemoJsonBody.requiredString(body, "model", ErrorKind.MISSING_EMBEDDING_INPUT);
        JsonNode input = DemoJsonBody.present(body, "input");
        if (input == null) {
            throw new DemoRequestException(ProxyError.of(ErrorKind.MISSING_EMBEDDING_INPUT));
        }
        int dimensions = DemoJsonBody.optionalInt(body, "dimensions", 1, MAX_DIMENSIONS, 0);
        JsonNode format = DemoJsonBody.present(body, "encoding_format");
        boolean base64 = false;
        if (format != null) {
            if (!format.isTextual() || !(format.textValue().equals("float") || format.textValue().equals("base64"))) {
                throw DemoJsonBody.invalid("encoding_format", "must be 'float' or 'base64'");
            }
            base64 = format.textValue().equals("base64");
        }

        long[] seeds;
        long tokens = 0;
        if (input.isTextual()) {
            seeds = new long[] {textSeed(input)};
            tokens = textTokens(input);
        } else if (!input.isArray() || input.isEmpty() || input.size() > MAX_INPUTS) {
            throw invalidInput();
        } else if (input.get(0).isTextual()) {
            seeds = new long[input.size()];
            for (int i = 0; i < seeds.length; i++) {
                seeds[i] = textSeed(input.get(i));
                tokens += textTokens(input.get(i));
            }
        } else if (input.get(0).isArray()) {
            seeds = new long[input.size()];
            for (int i = 0; i < seeds.length; i++) {
                seeds[i] = tokenArraySeed(input.get(i));
                tokens += input.get(i).size();
            }
        } else {
            seeds = new long[] {tokenArraySeed(input)};
            tokens = input.size();
        }
        return new DemoEmbeddings(model, seeds, (int) Math.min(tokens, Integer.MAX_VALUE), dimensions, base64);
    }

    String model() {
        return model;
    }

    /** The {@code dimensions} asked for, else the size the model family is known for. */
    int dimensions() {
        if (requestedDimensions > 0) {
            return requestedDimensions;
        }
        String id = model.toLowerCase(Locale.ROOT);
        if (id.contains("-large")) {
            return LARGE_DIMENSIONS;
        }
        if (id.contains("cohere") && id.contains("embed")) {
            return COHERE_DIMENSIONS;
        }
        return DEFAULT_DIMENSIONS;
    }

    /** The response body, in a buffer the caller owns. */
    ByteBuf render(ByteBufAllocator alloc) {
        int dimensions = dimensions();
        // About 12 bytes per float as JSON numbers, 5.4 as base64.
        long estimate = (long) seeds.length * dimensions * (base64 ? 6 : 12) + 256;
        return DemoJsonWriter.write(alloc, estimate, json -> {
            json.writeStartObject();
            json.writeStringField("object", "list");
            json.writeArrayFieldStart("data");
            ByteBuffer bytes = base64 ? ByteBuffer.allocate(dimensions * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN) : null;
            for (int i = 0; i < seeds.length; i++) {
                float[] vector = vector(seeds[i], dimensions);
                json.writeStartObject();
                json.writeStringField("object", "embedding");
                json.writeNumberField("index", i);
                json.writeFieldName("embedding");
                if (bytes != null) {
                    bytes.clear();
                    bytes.asFloatBuffer().put(vector);
                    json.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, bytes.array(), 0, bytes.capacity());
                } else {
                    json.writeStartArray(vector, vector.length);
                    for (float x : vector) {
                        json.writeNumber(x);
                    }
                    json.writeEndArray();
                }
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeStringField("model", model);
            json.writeObjectFieldStart("usage");
            json.writeNumberField("prompt_tokens", promptTokens);
            json.writeNumberField("total_tokens", promptTokens);
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    /** Uniform in the cube, then scaled to unit length: deterministic for a seed, and never the zero vector. */
    static float[] vector(long seed, int dimensions) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] vector = new float[dimensions];
        double sumOfSquares = 0;
        for (int i = 0; i < dimensions; i++) {
            float x = (float) (random.nextDouble() * 2 - 1);
            vector[i] = x;
            sumOfSquares += (double) x * x;
        }
        double norm = Math.sqrt(sumOfSquares);
        if (norm == 0) {
            vector[0] = 1;
            return vector;
        }
        for (int i = 0; i < dimensions; i++) {
            vector[i] = (float) (vector[i] / norm);
        }
        return vector;
    }

    private static long textSeed(JsonNode text) {
        if (!text.isTextual() || text.textValue().isEmpty()) {
            throw invalidInput();
        }
        return new DemoHash().add(text.textValue()).value();
    }

    private static long textTokens(JsonNode text) {
        return Math.max(1, (text.textValue().length() + 3) / 4);
    }

    private static long tokenArraySeed(JsonNode tokens) {
        if (!tokens.isArray() || tokens.isEmpty()) {
            throw invalidInput();
        }
        DemoHash hash = new DemoHash().separator();
        for (JsonNode token : tokens) {
            if (!token.isIntegralNumber() || !token.canConvertToInt() || token.intValue() < 0) {
                throw invalidInput();
            }
            hash.add(token.intValue());
        }
        return hash.value();
    }

    private static DemoRequestException invalidInput() {
        return DemoJsonBody.invalid("input", "must be a non-empty string, an array of up to " + MAX_INPUTS
                + " non-empty strings, an array of token ids, or an array of token-id arrays");
    }
}
