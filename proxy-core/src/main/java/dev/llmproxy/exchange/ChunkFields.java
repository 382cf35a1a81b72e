package dev.llmproxy.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
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
 * <p>Threading: one instance per meter, reused for each event, confined to the exchange's event loop; {@link #close}
 * when the stream ends.
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
     * One non-blocking parser for the whole stream, fed each event in turn: a stream's events are a sequence of root
     * values to it, so its set-up (buffers, symbol table, contexts) is paid once per stream instead of once per event.
     * Replaced by a fresh one whenever an event leaves it anywhere but between two values.
     */
    private JsonParser parser;

    /**
     * Reads one event's data. False when it is not a JSON object (then nothing was read); else the fields describe it.
     */
    boolean read(byte[] bytes, int offset, int length) {
        if (parser != null) {
            Boolean read = readWith(parser, bytes, offset, length);
            if (read != null) {
                return read;
            }
            discardParser(); // and read the event again from a clean start: the old parser's state may be to blame
        }
        try {
            parser = FACTORY.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new IllegalStateException("Jackson's non-blocking parser is unavailable", e);
        }
        Boolean read = readWith(parser, bytes, offset, length);
        if (read == null) {
            discardParser();
            return false;
        }
        return read;
    }

    /** Closes the stream's parser, returning its buffers to Jackson's pool; a later {@link #read} starts a new one. */
    void close() {
        discardParser();
    }

    /**
     * Reads one event with {@code p}; true or false as {@link #read} answers, or null when the event left the parser
     * unusable (not one complete JSON object, or a parse error) — the event is then not JSON.
     */
    private Boolean readWith(JsonParser p, byte[] bytes, int offset, int length) {
        clear();
        try {
            ((ByteArrayFeeder) p.getNonBlockingInputFeeder()).feedInput(bytes, offset, offset + length);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken token;
            while ((token = next(p)) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = next(p);
                switch (name) {
                    case "error" -> {
                        error |= value != JsonToken.VALUE_NULL;
                        skipValue(p);
                    }
                    case "usage" -> usage = value == JsonToken.VALUE_NULL ? null : SUBTREE.readTree(p);
                    case "type" -> type = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "delta" -> delta = value == JsonToken.VALUE_STRING ? p.getText() : skip(p);
                    case "response" -> readResponse(p, value);
                    case "choices" -> readChoices(p, value);
                    default -> skipValue(p);
                }
            }
            // the object ended, and nothing follows it in this event: one JSON value, as a tree read says
            return token == JsonToken.END_OBJECT && p.nextToken() == JsonToken.NOT_AVAILABLE ? Boolean.TRUE : null;
        } catch (IOException e) {
            return null; // not JSON: nothing to read, and the bytes pass as they are
        }
    }

    private void clear() {
        error = false;
        usage = null;
        type = null;
        delta = null;
        responseUsage = null;
        choices = NO_CHOICES;
        generated = false;
        texts.clear();
    }

    private void discardParser() {
        if (parser != null) {
            try {
                parser.close();
            } catch (IOException ignored) {
                // nothing to release beyond pooled buffers
            }
            parser = null;
        }
    }

    private static String skip(JsonParser p) throws IOException {
        skipValue(p);
        return null;
    }

    /**
     * The next token of an event that was fed whole: one that is not there yet means the event was cut short (the
     * parser would otherwise answer {@code NOT_AVAILABLE} for ever).
     */
    private static JsonToken next(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.NOT_AVAILABLE || t == null) {
            throw new JsonParseException(p, "the event ends inside a JSON value");
        }
        return t;
    }

    /** Skips the value where the parser stands: a scalar is already read; an object or array up to its end. */
    private static void skipValue(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
            return;
        }
        int depth = 1;
        while (depth > 0) {
            t = next(p);
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                depth--;
            }
        }
    }

    private void readResponse(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            skipValue(p);
            return;
        }
        while (next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = next(p);
            if (name.equals("usage") && v != JsonToken.VALUE_NULL) {
                responseUsage = SUBTREE.readTree(p);
            } else {
                skipValue(p);
            }
        }
    }

    private void readChoices(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return;
        }
        if (value != JsonToken.START_ARRAY) {
            choices = NOT_AN_ARRAY;
            skipValue(p);
            return;
        }
        choices = 0;
        JsonToken t;
        while ((t = next(p)) != JsonToken.END_ARRAY) {
            choices++;
            if (t != JsonToken.START_OBJECT) {
                skipValue(p);
                continue;
            }
            while (next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = next(p);
                if (name.equals("delta") && v == JsonToken.START_OBJECT) {
                    readDelta(p);
                } else if (name.equals("text")) {
                    capture(p, v); // a legacy completions chunk
                } else {
                    skipValue(p);
                }
            }
        }
    }

    private void readDelta(JsonParser p) throws IOException {
        while (next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = next(p);
            switch (name) {
                case "content", "reasoning_content", "refusal" -> capture(p, v);
                case "tool_calls" -> readToolCalls(p, v);
                default -> skipValue(p);
            }
        }
    }

    private void readToolCalls(JsonParser p, JsonToken v) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            skipValue(p);
            return;
        }
        JsonToken t;
        while ((t = next(p)) != JsonToken.END_ARRAY) {
            generated = true;
            if (t != JsonToken.START_OBJECT) {
                skipValue(p);
                continue;
            }
            while (next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = next(p);
                if (name.equals("function") && value == JsonToken.START_OBJECT) {
                    while (next(p) == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken fv = next(p);
                        if (field.equals("name") || field.equals("arguments")) {
                            capture(p, fv);
                        } else {
                            skipValue(p);
                        }
                    }
                } else {
                    skipValue(p);
                }
            }
        }
    }

    private void capture(JsonParser p, JsonToken v) throws IOException {
        if (v != JsonToken.VALUE_STRING) {
            skipValue(p);
            return;
        }
        String text = p.getText();
        if (!text.isEmpty()) {
            texts.add(text);
            generated = true;
        }
    }
}
