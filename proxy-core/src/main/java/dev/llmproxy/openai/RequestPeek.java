package dev.llmproxy.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;

/**
 * What the proxy needs from an OpenAI request body, read from its bytes by Jackson's streaming parser without
 * building a tree: the top-level {@code model}, {@code stream}, {@code stream_options}, the output caps
 * ({@code max_completion_tokens}, {@code max_tokens}, {@code max_output_tokens}), whether {@code messages} is an
 * array of objects and where it lies, whether {@code input} is there; and the byte ranges a rewrite splices
 * ({@link BodySplice}). Every other value is skipped token by token: its strings are not decoded, its numbers not
 * converted.
 *
 * <p>It judges nothing and words no error. {@link #read} answers null for anything it does not read the way the tree
 * would — bytes that are not one JSON object, a body in UTF-16 or UTF-32, any parse failure — and the caller then
 * parses the tree, which gives the exact error. Everything the tree path rejects makes the peek fail too: the same
 * parser (the configured {@link Json#MAPPER}'s factory, its nesting, number and name limits, trailing tokens refused)
 * reads every token, and a float with an exponent is converted to {@code BigDecimal} as the tree converts it, since
 * only an exponent can overflow that conversion. A key given twice counts by its last occurrence, as in the tree.
 *
 * <p>Offsets are byte offsets from the start of the input. Threading: an instance is one body's result, built on one
 * thread and then only read.
 */
public final class RequestPeek {
    private static final JsonFactory FACTORY = Json.MAPPER.getFactory();
    private static final int MAX_COMPLETION_TOKENS = 1;
    private static final int MAX_TOKENS = 2;
    private static final int MAX_OUTPUT_TOKENS = 4;
    private static final BigDecimal MIN_LONG = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal MAX_LONG = BigDecimal.valueOf(Long.MAX_VALUE);

    /** What {@code stream_options.include_usage: true} takes. */
    public enum UsageEdit {
        /** Nothing: the client asked for usage, or sent a value of a type the upstream should refuse as sent. */
        NONE,
        /** No {@code stream_options} member: one is added before the body's closing brace. */
        ADD_OPTIONS,
        /** {@code stream_options} is null: the value is replaced by an object. */
        REPLACE_OPTIONS,
        /** {@code stream_options} is an object without {@code include_usage}: the member is added before its brace. */
        ADD_MEMBER,
        /** {@code include_usage} is null or false: the value is replaced by {@code true}. */
        REPLACE_MEMBER
    }

    /** The {@code model} string, or null when the last {@code model} was absent or not a string. */
    String model;
    int modelStart = -1;
    int modelEnd = -1;
    /** The last {@code stream}: absent or null reads false; {@code streamValid} is false for any other type. */
    boolean stream;
    boolean streamValid = true;
    boolean messagesArray;
    boolean messagesAllObjects;
    int messagesStart = -1;
    int messagesEnd = -1;
    boolean hasInput;
    UsageEdit usageEdit = UsageEdit.ADD_OPTIONS;
    /** The value range {@link #usageEdit} replaces, or the offset it inserts at (start == end). */
    int usageStart = -1;
    int usageEnd = -1;
    /** The body's closing brace. */
    int rootClose = -1;
    /** The output cap per field; its bit in {@code caps} is set when it converts to a long (as the tree reads it). */
    long maxCompletionTokens;
    long maxTokens;
    long maxOutputTokens;
    int caps;
    /** The closing brace of the {@code stream_options} object, and whether it has no member. */
    private int optionsClose = -1;
    private boolean optionsEmpty;

    private RequestPeek() {
    }

    /**
     * Reads one body to its end. Null when the body is not one JSON object in UTF-8 that the tree path would read
     * (the caller parses the tree then, for the exact error).
     */
    public static RequestPeek read(InputStream body) {
        try (JsonParser p = FACTORY.createParser(body)) {
            if (!(p instanceof UTF8StreamJsonParser) || p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            RequestPeek peek = new RequestPeek();
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "model" -> peek.model(p, value);
                    case "stream" -> {
                        peek.stream(value);
                        skip(p, value);
                    }
                    case "stream_options" -> peek.streamOptions(p, value);
                    case "messages" -> peek.messages(p, value);
                    case "input" -> {
                        peek.hasInput = true;
                        skip(p, value);
                    }
                    case "max_completion_tokens" -> peek.maxCompletionTokens = peek.cap(p, value, MAX_COMPLETION_TOKENS);
                    case "max_tokens" -> peek.maxTokens = peek.cap(p, value, MAX_TOKENS);
                    case "max_output_tokens" -> peek.maxOutputTokens = peek.cap(p, value, MAX_OUTPUT_TOKENS);
                    default -> skip(p, value);
                }
            }
            if (t != JsonToken.END_OBJECT) {
                return null;
            }
            peek.rootClose = start(p);
            if (p.nextToken() != null) {
                return null; // trailing tokens: the tree path refuses them
            }
            if (peek.usageEdit == UsageEdit.ADD_OPTIONS) {
                peek.usageStart = peek.rootClose;
                peek.usageEnd = peek.rootClose;
            } else if (peek.usageEdit == UsageEdit.ADD_MEMBER) {
                peek.usageStart = peek.optionsClose;
                peek.usageEnd = peek.optionsClose;
            }
            return peek;
        } catch (IOException | RuntimeException e) {
            return null; // the tree path reads it again and words the error
        }
    }

    boolean optionsEmpty() {
        return optionsEmpty;
    }

    /** The {@code model} string, or null when absent or not a string. */
    public String model() {
        return model;
    }

    /** The {@code stream} flag (false when absent or null); see {@link #streamValid()}. */
    public boolean stream() {
        return stream;
    }

    /** Whether {@code stream} is absent, null or a boolean. */
    public boolean streamValid() {
        return streamValid;
    }

    /** Whether {@code messages} is an array. */
    public boolean messagesArray() {
        return messagesArray;
    }

    /** Whether {@code messages} is an array whose every element is an object. */
    public boolean messagesAllObjects() {
        return messagesAllObjects;
    }

    /** The byte range of the {@code messages} array, or -1 when it is not an array. */
    public int messagesStart() {
        return messagesStart;
    }

    public int messagesEnd() {
        return messagesEnd;
    }

    /** Whether an {@code input} member is there, whatever its value. */
    public boolean hasInput() {
        return hasInput;
    }

    /** What setting {@code stream_options.include_usage: true} takes. */
    public UsageEdit usageEdit() {
        return usageEdit;
    }

    /**
     * The output cap the request asks for, as the tree reads it: the first of {@code max_completion_tokens},
     * {@code max_tokens}, {@code max_output_tokens} that converts to a long, not below 0; else 0.
     */
    public long outputCap() {
        if ((caps & MAX_COMPLETION_TOKENS) != 0) {
            return Math.max(0, maxCompletionTokens);
        }
        if ((caps & MAX_TOKENS) != 0) {
            return Math.max(0, maxTokens);
        }
        return (caps & MAX_OUTPUT_TOKENS) != 0 ? Math.max(0, maxOutputTokens) : 0;
    }

    private void model(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            modelStart = start(p);
            model = p.getText();
            modelEnd = end(p);
        } else {
            model = null;
            modelStart = -1;
            modelEnd = -1;
            skip(p, value);
        }
    }

    private void stream(JsonToken value) {
        streamValid = value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE || value == JsonToken.VALUE_NULL;
        stream = value == JsonToken.VALUE_TRUE;
    }

    private void messages(JsonParser p, JsonToken value) throws IOException {
        messagesArray = value == JsonToken.START_ARRAY;
        messagesAllObjects = messagesArray;
        if (!messagesArray) {
            messagesStart = -1;
            messagesEnd = -1;
            skip(p, value);
            return;
        }
        messagesStart = start(p);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                messagesAllObjects = false;
            }
            skip(p, t);
        }
        messagesEnd = end(p);
    }

    private void streamOptions(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            usageEdit = UsageEdit.REPLACE_OPTIONS;
            usageStart = start(p);
            usageEnd = end(p);
            return;
        }
        if (value != JsonToken.START_OBJECT) {
            usageEdit = UsageEdit.NONE;
            skip(p, value);
            return;
        }
        usageEdit = UsageEdit.ADD_MEMBER;
        optionsEmpty = true;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            optionsEmpty = false;
            boolean includeUsage = "include_usage".equals(p.currentName());
            JsonToken member = p.nextToken();
            if (!includeUsage) {
                skip(p, member);
            } else if (member == JsonToken.VALUE_NULL || member == JsonToken.VALUE_FALSE) {
                usageEdit = UsageEdit.REPLACE_MEMBER;
                usageStart = start(p);
                usageEnd = end(p);
            } else {
                usageEdit = UsageEdit.NONE;
                skip(p, member);
            }
        }
        optionsClose = start(p);
    }

    /**
     * The value as the tree's {@code canConvertToLong()} and {@code longValue()} read it, setting {@code bit} in
     * {@link #caps} when it converts; clears it otherwise.
     */
    private long cap(JsonParser p, JsonToken value, int bit) throws IOException {
        caps &= ~bit;
        if (value == JsonToken.VALUE_NUMBER_INT) {
            JsonParser.NumberType type = p.getNumberType();
            if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
                caps |= bit;
                return p.getLongValue();
            }
            return 0;
        }
        if (value == JsonToken.VALUE_NUMBER_FLOAT) {
            // rare: a cap written as a float; the tree holds it as BigDecimal and truncates it when it fits a long
            BigDecimal decimal = p.getDecimalValue();
            if (decimal.compareTo(MIN_LONG) >= 0 && decimal.compareTo(MAX_LONG) <= 0) {
                caps |= bit;
                return decimal.longValue();
            }
            return 0;
        }
        skip(p, value);
        return 0;
    }

    /**
     * Skips the value that starts with {@code first}, reading every token of it (so every syntax error surfaces) and
     * converting floats with an exponent as the tree would.
     */
    private static void skip(JsonParser p, JsonToken first) throws IOException {
        if (first == JsonToken.VALUE_NUMBER_FLOAT) {
            checkFloat(p);
            return;
        }
        if (first != JsonToken.START_OBJECT && first != JsonToken.START_ARRAY) {
            return;
        }
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IOException("unexpected end of input"); // the parser reports this itself; never reached
            }
            switch (t) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case VALUE_NUMBER_FLOAT -> checkFloat(p);
                default -> { }
            }
        }
    }

    /**
     * The tree reads floats as {@code BigDecimal}s, which fails for an exponent beyond an int's range; digits alone
     * never fail (their count is bounded by the parser). So only a float with an exponent is converted here.
     */
    private static void checkFloat(JsonParser p) throws IOException {
        char[] text = p.getTextCharacters();
        int from = p.getTextOffset();
        int to = from + p.getTextLength();
        for (int i = from; i < to; i++) {
            char c = text[i];
            if (c == 'e' || c == 'E') {
                p.getDecimalValue();
                return;
            }
        }
    }

    /** The byte offset where the current token starts. */
    private static int start(JsonParser p) {
        return (int) p.currentTokenLocation().getByteOffset();
    }

    /** The byte offset just past the current token (a string must be read or skipped first). */
    private static int end(JsonParser p) {
        return (int) p.currentLocation().getByteOffset();
    }
}
