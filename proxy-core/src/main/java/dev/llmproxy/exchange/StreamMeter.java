package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.TokenCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * Meters one chat-completions event stream on its way to the client: reads the upstream's {@code usage}, the time of
 * the first generated token, the generated text (for an estimate when no usage comes) and error events, from a
 * parse of the events that never changes the bytes the client gets. When the proxy injected
 * {@code stream_options.include_usage} itself, it also removes the one usage-only event that the injection caused
 * (DESIGN invariant 2).
 *
 * <p><b>Forwarding.</b> Without stripping, {@link #onChunk} returns the very chunk it was given: same bytes, same
 * chunking, no copy. With stripping, the client gets the upstream's events byte for byte and in order, minus the
 * first event whose {@code choices} is empty or absent and whose {@code usage} is present (the whole event, with
 * any comment or {@code id:} lines in it); everything else — comments, {@code event:}/{@code id:} lines, blank
 * lines, {@code [DONE]}, an event that carries both choices and usage — passes unchanged. To drop an event without
 * ever sending half of it, the output is then <em>event-aligned</em>: bytes of an event still incomplete at the end
 * of a chunk are held (copied) until the chunk that completes it, and {@link #endOfStream} returns whatever is still
 * held when the body ends, so no byte is lost. An event larger than the assembler's bound ({@value #MAX_EVENT_BYTES}
 * bytes) cannot be the small usage event and cannot be held without bound: from then on the meter forwards every
 * chunk as it comes and strips nothing more (logged at debug).
 *
 * <p><b>Accounting</b> never fails the stream: an event that is not JSON, or a {@code usage} that is malformed, is
 * ignored, and {@link #usage} then estimates.
 *
 * <p><b>Ownership.</b> {@link #onChunk} takes the chunk; the caller writes and releases the buffer it returns (which
 * may be empty, or a composite of slices of the chunk). The meter owns the held bytes and the assembler's gathering
 * buffer until {@link #close()}.
 *
 * <p>Threading: one instance per response, confined to the exchange's event loop.
 */
public final class StreamMeter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamMeter.class);

    /** The largest event parsed (and, when stripping, held); a usage event is a few hundred bytes. */
    public static final int MAX_EVENT_BYTES = 1024 * 1024;
    private static final int SCRATCH_KEPT = 64 * 1024;
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final boolean strip;
    private final LongSupplier nanoTime;
    private final GeneratedText generated;
    private final int maxEventBytes;
    private final Sink sink = new Sink();
    private final ChunkFields fields = new ChunkFields();
    /** Event bytes copied out of a direct buffer for {@link #fields}; grown as needed, never past the event bound. */
    private byte[] scratch = new byte[512];

    private SseEventAssembler assembler;
    private ByteBufAllocator alloc;

    private Usage upstreamUsage;
    private long firstTokenNanos = -1;
    private boolean errorSeen;
    private boolean doneSeen;
    private boolean usageStripped;

    /** Stripping was given up after an oversized event: chunks are forwarded as they come. */
    private boolean passThrough;
    /** Stripping: bytes of the current, incomplete event from earlier chunks; not yet forwarded. */
    private ByteBuf held;
    /** Stripping: the chunk being fed (null during {@link #endOfStream}). */
    private ByteBuf current;
    /** Stripping: the kept bytes of {@code current} not yet added to {@code out} are {@code [runStart, cursor)}. */
    private int runStart;
    /** Stripping: where the next event begins in {@code current}. */
    private int cursor;
    /** Stripping: what this call forwards, built up event by event. */
    private ByteBuf out;
    private boolean ended;
    private boolean closed;

    /**
     * @param stripInjectedUsage the proxy injected {@code include_usage}: remove the usage-only event it caused
     * @param nanoTime           the clock for {@link #firstTokenNanos()} ({@code System::nanoTime} in production)
     * @param maxCapturedChars   how much generated text to keep for an estimate when the upstream sends no usage
     */
    public StreamMeter(boolean stripInjectedUsage, LongSupplier nanoTime, int maxCapturedChars) {
        this(stripInjectedUsage, nanoTime, maxCapturedChars, MAX_EVENT_BYTES);
    }

    StreamMeter(boolean stripInjectedUsage, LongSupplier nanoTime, int maxCapturedChars, int maxEventBytes) {
        this.strip = stripInjectedUsage;
        this.nanoTime = nanoTime;
        this.generated = new GeneratedText(maxCapturedChars);
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Meters one upstream body chunk and returns what to forward to the client. Takes ownership of {@code chunk};
     * the caller owns the result (write it, or release it) — it is {@code chunk} itself unless stripping is on.
     *
     * @throws IllegalStateException after {@link #endOfStream} or {@link #close} (the chunk is released)
     */
    public ByteBuf onChunk(ByteBuf chunk, ByteBufAllocator alloc) {
        if (closed || ended) {
            chunk.release();
            throw new IllegalStateException(closed ? "meter is closed" : "stream already ended");
        }
        if (assembler == null) {
            this.alloc = alloc;
            assembler = new SseEventAssembler(alloc, maxEventBytes);
        }
        if (!strip || passThrough) {
            try {
                assembler.feed(chunk, sink);
            } catch (RuntimeException e) {
                chunk.release();
                throw e;
            }
            return chunk;
        }
        return forwardEvents(chunk);
    }

    private ByteBuf forwardEvents(ByteBuf chunk) {
        current = chunk;
        runStart = chunk.readerIndex();
        cursor = runStart;
        boolean chunkPassedOn = false;
        try {
            assembler.feed(chunk, sink);
            int end = chunk.writerIndex();
            if (passThrough) {
                // an oversized event in this chunk: positions are no longer known, so send all that is not yet sent
                appendHeld();
            } else {
                end = cursor;
            }
            if (out == null && runStart == chunk.readerIndex() && end == chunk.writerIndex()) {
                chunkPassedOn = true; // whole events only, nothing dropped: the chunk itself, no copy
                return chunk;
            }
            appendRange(runStart, end);
            if (!passThrough && cursor < chunk.writerIndex()) {
                hold(chunk, cursor, chunk.writerIndex());
            }
            return takeOut();
        } catch (RuntimeException | Error e) {
            releaseOut();
            throw e;
        } finally {
            current = null;
            if (!chunkPassedOn) {
                chunk.release();
            }
        }
    }

    /**
     * The upstream body ended: dispatches an event the assembler held back (one whose final blank line ended in a
     * lone CR) and returns the bytes still to forward — with stripping, that event unless it is the usage event to
     * drop, and any incomplete event's bytes as they came (the client sees the same cut the upstream made). Never
     * null; the caller writes or releases it. Returns an empty buffer when called again.
     */
    public ByteBuf endOfStream() {
        if (closed || ended) {
            return Unpooled.EMPTY_BUFFER;
        }
        ended = true;
        if (assembler == null) {
            return Unpooled.EMPTY_BUFFER;
        }
        if (!strip || passThrough) {
            assembler.endOfStream(sink);
            return Unpooled.EMPTY_BUFFER;
        }
        runStart = 0;
        cursor = 0;
        try {
            assembler.endOfStream(sink);
            appendHeld();
            return takeOut();
        } catch (RuntimeException | Error e) {
            releaseOut();
            throw e;
        }
    }

    /**
     * The tokens of this exchange: the upstream's {@code usage} when a valid one arrived, else an estimate marked
     * {@code estimated} — the prompt from the request, the completion from the generated text seen. Never throws for
     * a missing or malformed usage (REFERENCE §12.8).
     *
     * @param prompt the request's {@code messages} (or {@code input}); null counts no prompt tokens
     */
    public Usage usage(TokenCounter counter, String model, JsonNode prompt) {
        return usage(new Metering(counter, model, prompt, false), Unpooled.EMPTY_BUFFER);
    }

    /**
     * The same, with the prompt read from the request as {@code metering} says — only when the upstream reported no
     * usage; a large body is estimated from its size ({@link Metering#promptTokens}).
     */
    public Usage usage(Metering metering, ByteBuf requestBody) {
        if (upstreamUsage != null) {
            return upstreamUsage;
        }
        return new Usage(metering.promptTokens(requestBody),
                generated.estimateTokens(metering.counter(), metering.model()), true);
    }

    /** {@code nanoTime} when the first event carrying generated content was read; -1 until then. */
    public long firstTokenNanos() {
        return firstTokenNanos;
    }

    /** An event with an {@code error} member was read (upstream failed after the stream started). */
    public boolean errorSeen() {
        return errorSeen;
    }

    /** The {@code [DONE]} sentinel was read: the stream ended as OpenAI streams end. */
    public boolean doneSeen() {
        return doneSeen;
    }

    /** The usage-only event was removed from what the client receives. */
    public boolean usageStripped() {
        return usageStripped;
    }

    /** Releases the held bytes and the assembler's buffer; safe to call more than once. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseHeld();
        releaseOut();
        fields.close();
        if (assembler != null) {
            assembler.close();
        }
    }

    // ---------------------------------------------------------------- accounting

    /**
     * Reads one event; returns whether it is a usage-only event. Its data is read from its bytes by
     * {@link ChunkFields}: in place when it is one line (every chat chunk), else joined first.
     */
    private boolean account(ByteBuf event) {
        long line = SseEventAssembler.dataLine(event);
        if (line == SseEventAssembler.NO_DATA) {
            return false;
        }
        if (line == SseEventAssembler.SEVERAL_DATA_LINES) {
            String data = SseEventAssembler.data(event);
            if (SseEventAssembler.isDone(data)) {
                doneSeen = true;
                return false;
            }
            byte[] joined = data.getBytes(StandardCharsets.UTF_8);
            return fields.read(joined, 0, joined.length) && accountFields();
        }
        int start = (int) (line >>> 32);
        int length = (int) line - start;
        if (isDone(event, start, length)) {
            doneSeen = true;
            return false;
        }
        byte[] bytes;
        int offset;
        if (event.hasArray()) {
            bytes = event.array();
            offset = event.arrayOffset() + start;
        } else {
            if (scratch.length < length) {
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            event.getBytes(start, scratch, 0, length);
            bytes = scratch;
            offset = 0;
        }
        boolean json = fields.read(bytes, offset, length);
        if (scratch.length > SCRATCH_KEPT) {
            scratch = new byte[512]; // a rare large event: its copy is not kept for the rest of the stream
        }
        return json && accountFields();
    }

    /** What the event just read means for the stream; whether it is a usage-only event. */
    private boolean accountFields() {
        if (fields.error) {
            errorSeen = true;
            return false;
        }
        Usage reported = Usage.fromUpstream(fields.usage);
        if (reported != null) {
            upstreamUsage = reported;
        }
        if (fields.type != null) {
            readResponsesEvent(fields.type); // a Responses API stream, passed through natively
            return false;
        }
        if (fields.choices > 0) {
            for (int i = 0; i < fields.texts.size(); i++) {
                generated.append(fields.texts.get(i));
            }
            if (fields.generated && firstTokenNanos < 0) {
                firstTokenNanos = nanoTime.getAsLong();
            }
            return false;
        }
        boolean choicesAbsent = fields.choices == ChunkFields.NO_CHOICES || fields.choices == 0;
        return choicesAbsent && fields.usage != null;
    }

    private static boolean isDone(ByteBuf event, int start, int length) {
        if (length != DONE.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (event.getByte(start + i) != DONE[i]) {
                return false;
            }
        }
        return true;
    }

    /** Usage from {@code response.completed} (or failed/incomplete), generated text from the output deltas. */
    private void readResponsesEvent(String type) {
        if (type.endsWith(".delta") && (type.equals("response.output_text.delta")
                || type.equals("response.function_call_arguments.delta") || type.equals("response.refusal.delta")
                || type.equals("response.reasoning_text.delta"))) {
            if (fields.delta != null && !fields.delta.isEmpty()) {
                generated.append(fields.delta);
                if (firstTokenNanos < 0) {
                    firstTokenNanos = nanoTime.getAsLong();
                }
            }
            return;
        }
        if (type.equals("response.completed") || type.equals("response.incomplete") || type.equals("response.failed")) {
            Usage reported = Usage.fromUpstream(fields.responseUsage);
            if (reported != null) {
                upstreamUsage = reported;
            }
        }
    }

    // ---------------------------------------------------------------- forwarding (stripping only)

    /** Settles where an event of {@code length} bytes lies in the held bytes and {@code current}, and keeps or drops it. */
    private void place(int length, boolean usageOnly) {
        int fromHeld = held == null ? 0 : held.readableBytes();
        int fromChunk = length - fromHeld;
        int limit = current == null ? cursor : current.writerIndex();
        if (fromChunk < 0 || cursor + fromChunk > limit) {
            throw new IllegalStateException("event of " + length + " bytes does not match the bytes fed");
        }
        if (usageOnly && !usageStripped) {
            usageStripped = true;
            appendRange(runStart, cursor);
            releaseHeld();
            cursor += fromChunk;
            runStart = cursor;
            return;
        }
        if (fromHeld > 0) {
            // the event began in an earlier chunk, so it is the first in this one and no run precedes it
            append(held);
            held = null;
        }
        cursor += fromChunk;
    }

    private void hold(ByteBuf chunk, int from, int to) {
        if (held == null) {
            held = alloc.buffer(Math.max(to - from, 256));
        }
        held.writeBytes(chunk, from, to - from);
    }

    private void appendHeld() {
        if (held != null) {
            ByteBuf h = held;
            held = null;
            if (h.isReadable()) {
                append(h);
            } else {
                h.release();
            }
        }
    }

    private void appendRange(int from, int to) {
        if (to > from) {
            append(current.retainedSlice(from, to - from));
        }
    }

    private void append(ByteBuf piece) {
        if (out == null) {
            out = piece;
            return;
        }
        CompositeByteBuf composite;
        if (out instanceof CompositeByteBuf c) {
            composite = c;
        } else {
            composite = alloc.compositeBuffer();
            composite.addComponent(true, out);
            out = composite;
        }
        composite.addComponent(true, piece);
    }

    private ByteBuf takeOut() {
        ByteBuf result = out;
        out = null;
        return result == null ? Unpooled.EMPTY_BUFFER : result;
    }

    private void releaseOut() {
        if (out != null) {
            out.release();
            out = null;
        }
    }

    private void releaseHeld() {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    /** Receives the assembler's events: accounting always, placement when stripping. */
    private final class Sink implements SseEventAssembler.EventSink {
        @Override
        public void onEvent(ByteBuf event) {
            boolean usageOnly;
            try {
                usageOnly = account(event);
            } catch (RuntimeException e) {
                log.debug("cannot read a stream event for accounting", e);
                usageOnly = false;
            }
            if (strip && !passThrough) {
                place(event.readableBytes(), usageOnly);
            }
        }

        @Override
        public void onOverflow() {
            if (strip && !passThrough) {
                passThrough = true;
                log.debug("stream event larger than {} bytes: forwarding as it comes, usage not stripped",
                        maxEventBytes);
            }
        }
    }
}
