package dev.llmproxy.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteBufferFeeder;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.TokenCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Meters one non-stream JSON response (chat completion, embeddings) while it passes through unbuffered: reads its
 * {@code usage}, and the generated text for an estimate when there is none.
 *
 * <p>It does not keep a copy of the body. Each chunk is fed to Jackson's non-blocking parser as it passes, and only
 * what accounting needs is picked out of the token stream — the scalars of the top-level {@code usage} object and
 * the text of {@code choices[*].message} ({@code content}, {@code refusal}, {@code reasoning_content}, tool-call
 * names and arguments) or {@code choices[*].text}. So the memory a meter holds is the parser's state plus the
 * captured text, whatever the body's size, and {@code usage} is read exactly even from a large embeddings response,
 * where it comes last.
 *
 * <p>Bounds: a single JSON string longer than the parser's limit ({@value #MAX_STRING_CHARS} chars by default)
 * stops the parse rather than being held; from there on the meter only counts bytes, and the estimate adds them at
 * the usual 4 bytes per token. A body that is not JSON, or a {@code usage} that is missing or malformed, makes
 * {@link #usage} estimate — never an exception (REFERENCE §12.8).
 *
 * <p>Ownership: {@link #onChunk} reads the chunk without moving its indexes or touching its reference count; the
 * caller forwards it as it is. The meter holds no buffer.
 *
 * <p>Threading: one instance per response, confined to the exchange's event loop.
 */
public final class JsonMeter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JsonMeter.class);

    /** The longest JSON string the parser holds; a 4 Mi-char answer is far past any model's output limit. */
    public static final int MAX_STRING_CHARS = 4 * 1024 * 1024;

    private static final JsonFactory DEFAULT_FACTORY = factory(MAX_STRING_CHARS);
    private static final String[] MESSAGE_TEXT_FIELDS = {"content", "refusal", "reasoning_content"};

    private final JsonFactory factory;
    private final GeneratedText generated;

    private JsonParser parser;
    private ByteBufferFeeder feeder;
    /** The parse stopped (not JSON, or a string past the limit): nothing more is read. */
    private boolean stopped;
    /** Bytes that arrived after the parse stopped on an over-long string: counted, not read. */
    private long unreadBytes;
    private boolean countUnread;
    private ObjectNode reportedUsage;
    private boolean closed;

    /** @param maxCapturedChars how much generated text to keep for an estimate when the response has no usage */
    public JsonMeter(int maxCapturedChars) {
        this(maxCapturedChars, DEFAULT_FACTORY);
    }

    JsonMeter(int maxCapturedChars, int maxStringChars) {
        this(maxCapturedChars, factory(maxStringChars));
    }

    private JsonMeter(int maxCapturedChars, JsonFactory factory) {
        this.factory = factory;
        this.generated = new GeneratedText(maxCapturedChars);
    }

    private static JsonFactory factory(int maxStringChars) {
        return JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(maxStringChars).build())
                .build();
    }

    /** Reads the readable bytes of one body chunk; the chunk is untouched and stays the caller's. */
    public void onChunk(ByteBuf chunk) {
        if (closed || !chunk.isReadable()) {
            return;
        }
        if (stopped) {
            if (countUnread) {
                unreadBytes += chunk.readableBytes();
            }
            return;
        }
        try {
            if (parser == null) {
                parser = factory.createNonBlockingByteBufferParser();
                feeder = (ByteBufferFeeder) parser.getNonBlockingInputFeeder();
            }
            for (ByteBuffer nio : chunk.nioBuffers(chunk.readerIndex(), chunk.readableBytes())) {
                feeder.feedInput(nio);
                readAvailableTokens();
                if (stopped) {
                    break;
                }
            }
        } catch (StreamConstraintsException e) {
            stop(e);
            countUnread = true;
            unreadBytes += chunk.readableBytes(); // the over-long string lies (at least partly) in this chunk
        } catch (IOException e) {
            stop(e);
        }
    }

    /**
     * The tokens of this exchange: the response's {@code usage} when it had a valid one, else an estimate marked
     * {@code estimated} — the prompt from the request, the completion from the generated text read.
     *
     * @param prompt the request's {@code messages} (or an embeddings request's {@code input}); null counts 0
     */
    public Usage usage(TokenCounter counter, String model, JsonNode prompt) {
        return usage(new Metering(counter, model, prompt, false), Unpooled.EMPTY_BUFFER);
    }

    /**
     * The same, with the prompt read from the request as {@code metering} says — only when the response carried no
     * valid usage; a large body is estimated from its size ({@link Metering#promptTokens}).
     */
    public Usage usage(Metering metering, ByteBuf requestBody) {
        endOfInput();
        Usage reported = Usage.fromUpstream(reportedUsage);
        if (reported != null) {
            return reported;
        }
        long completion = generated.estimateTokens(metering.counter(), metering.model()) + (unreadBytes + 3) / 4;
        return new Usage(metering.promptTokens(requestBody), completion, true);
    }

    /** Ends the parse; safe to call more than once. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeParser();
    }

    private void endOfInput() {
        if (stopped || closed || parser == null) {
            return;
        }
        feeder.endOfInput();
        try {
            readAvailableTokens();
        } catch (IOException e) {
            stop(e);
        }
        closeParser();
        stopped = true;
    }

    private void readAvailableTokens() throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
            if (token.isScalarValue()) {
                onScalar(token, parser.getParsingContext());
            }
        }
    }

    private void onScalar(JsonToken token, JsonStreamContext ctx) throws IOException {
        if (isUsageMember(ctx)) {
            if (reportedUsage == null) {
                reportedUsage = JsonNodeFactory.instance.objectNode();
            }
            reportedUsage.set(ctx.getCurrentName(), scalar(token));
            return;
        }
        if (token == JsonToken.VALUE_STRING && isGeneratedText(ctx)) {
            generated.append(parser.getText());
        }
    }

    /** A scalar directly inside the top-level {@code usage} object. */
    private static boolean isUsageMember(JsonStreamContext ctx) {
        JsonStreamContext parent = ctx.getParent();
        return ctx.inObject() && parent != null && parent.inObject() && "usage".equals(parent.getCurrentName())
                && parent.getParent() != null && parent.getParent().inRoot();
    }

    private static boolean isGeneratedText(JsonStreamContext ctx) {
        String name = ctx.getCurrentName();
        if (name == null) {
            return false;
        }
        for (String field : MESSAGE_TEXT_FIELDS) {
            if (field.equals(name)) {
                return at(ctx, "choices", null, "message", name);
            }
        }
        return switch (name) {
            case "name", "arguments" -> at(ctx, "choices", null, "message", "tool_calls", null, "function", name);
            case "text" -> at(ctx, "choices", null, "text");
            default -> false;
        };
    }

    /**
     * True when the scalar whose container is {@code ctx} sits at {@code path} from the root: object member names,
     * with null for "any element of an array".
     */
    private static boolean at(JsonStreamContext ctx, String... path) {
        JsonStreamContext c = ctx;
        for (int i = path.length - 1; i >= 0; i--) {
            if (c == null) {
                return false;
            }
            String step = path[i];
            if (step == null ? !c.inArray() : !c.inObject() || !step.equals(c.getCurrentName())) {
                return false;
            }
            c = c.getParent();
        }
        return c != null && c.inRoot();
    }

    private JsonNode scalar(JsonToken token) throws IOException {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        return switch (token) {
            case VALUE_NUMBER_INT -> nodes.numberNode(parser.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT -> nodes.numberNode(parser.getDecimalValue());
            case VALUE_STRING -> nodes.textNode(parser.getText());
            case VALUE_TRUE, VALUE_FALSE -> nodes.booleanNode(token == JsonToken.VALUE_TRUE);
            default -> nodes.nullNode();
        };
    }

    private void stop(IOException cause) {
        log.debug("response body not read further for accounting: {}", cause.getMessage());
        stopped = true;
        closeParser();
    }

    private void closeParser() {
        if (parser != null) {
            try {
                parser.close();
            } catch (IOException e) {
                // nothing was read from a stream: closing cannot fail in a way that matters
            }
            parser = null;
            feeder = null;
        }
    }
}
