package dev.llmproxy.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.llmproxy.openai.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields {@link StreamMeter} needs from one stream event, read token by token from the event's bytes — no string
 * of the whole event, no tree — and everything else skipped: whether it carries an {@code error}, its {@code usage}
 * (the one small subtree that becomes a tree), how many {@code choices} it has and the text they generated
 * ({@code delta.content}, {@code reasoning_content}, {@code refusal}, tool-call names and arguments, a legacy
 * {@code text}). A textual top-level {@code type} marks a Responses API event: then its textual {@code delta} and
 * the {@code usage} inside its {@code response} are read too.
 *
 * <p>Threading: one instance per meter, reused for each event, confined to the exchange's event loop.
 */
final class ChunkFields {
    /** {@link #choices}: the field is absent or null. */
    static final int NO_CHOICES = -1;
    /** {@link #choices}: the field is neither an array nor null. */
    static final int NOT_AN_ARRAY = -2;

    private static final JsonFactory FACTORY = Json.MAPPER.getFactory();
    /** Reads the usage subtree where the parser stands (the whole event's trailing tokens are checked here). */
    private static final ObjectReader SUBTREE = Json.MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    boolean error;
    /** The {@code usage} value, or null when absent or JSON null. */
    JsonNode usage;
    /** A Responses API event's {@code type}, or null for a chat chunk. */
    String type;
    /** A Responses API event's textual {@code delta}, or null. */
    String delta;
    /** The {@code usage} inside a Responses API event's {@code response} object, or null. */
    JsonNode responseUsage;
    int choices;
    /** A choice generated something: non-empty text or a tool call. */
    boolean generated;
    /** The non-empty texts the choices generated, in order (reused). */
    final List<String> texts = new ArrayList<>(2);

    /**
     * Reads one event's data. False when it is not a JSON object (then nothing was read); else the fields describe it.
     */
    boolean read(byte[] bytes, int offset, int length) {
        error = false;
        usage = null;
        type = null;
        delta = null;
        responseUsage = null;
        choices = NO_CHOICES;
        generated = false;
        texts.clear();
        try (JsonParser p = FACTORY.createParser(bytes, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "error" -> {
                        error |= value != JsonToken.VALUE_NULL;
                        p.skipChildren();
                    }
                    case "usage" -> usage = value == JsonToken.VALUE_NULL ? null : SUBTREE.readTree(p);
                    case "type" -> type = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "delta" -> delta = value == JsonToken.VALUE_STRING ? p.getText() : skip(p);
                    case "response" -> readResponse(p, value);
                    case "choices" -> readChoices(p, value);
                    default -> p.skipChildren();
                }
            }
            return p.nextToken() == null; // anything after the object: not one JSON value, as a tree read says
        } catch (IOException e) {
            return false; // not JSON: nothing to read, and the bytes pass as they are
        }
    }

    private static String skip(JsonParser p) throws IOException {
        p.skipChildren();
        return null;
    }

    private void readResponse(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("usage") && v != JsonToken.VALUE_NULL) {
                responseUsage = SUBTREE.readTree(p);
            } else {
                p.skipChildren();
            }
        }
    }

    private void readChoices(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return;
        }
        if (value != JsonToken.START_ARRAY) {
            choices = NOT_AN_ARRAY;
            p.skipChildren();
            return;
        }
        choices = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            choices++;
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("delta") && v == JsonToken.START_OBJECT) {
                    readDelta(p);
                } else if (name.equals("text")) {
                    capture(p, v); // a legacy completions chunk
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private void readDelta(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "content", "reasoning_content", "refusal" -> capture(p, v);
                case "tool_calls" -> readToolCalls(p, v);
                default -> p.skipChildren();
            }
        }
    }

    private void readToolCalls(JsonParser p, JsonToken v) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            p.skipChildren();
            return;
        }
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            generated = true;
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("function") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken fv = p.nextToken();
                        if (field.equals("name") || field.equals("arguments")) {
                            capture(p, fv);
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private void capture(JsonParser p, JsonToken v) throws IOException {
        if (v != JsonToken.VALUE_STRING) {
            p.skipChildren();
            return;
        }
        String text = p.getText();
        if (!text.isEmpty()) {
            texts.add(text);
            generated = true;
        }
    }
}
