package dev.llmproxy.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ByteProcessor;

import java.nio.charset.StandardCharsets;

/**
 * Reassembles Server-Sent Events from body chunks split at any byte offset, so the proxy can read a stream's events
 * (usage, errors, legacy-completions conversion) while the bytes themselves pass through untouched. One instance per
 * stream; not thread-safe: it is fed on the stream's event loop only.
 *
 * <p>Framing follows the SSE spec: a line ends at CRLF, LF or CR, and an empty line ends the event. Every byte fed
 * belongs to exactly one event, in order, so a blank line between two events is an event of its own with no data.
 * An event whose empty line ends in a lone CR as the very last byte of a chunk is held back until the next byte is
 * seen (or {@link #endOfStream}), because an LF there would belong to the same line ending; LF and CRLF streams are
 * never held back.
 *
 * <p>Ownership: {@link #feed} reads the chunk without moving its indexes or touching its reference count. An event
 * that lies inside one chunk is handed over as a slice of that chunk (no copy); one that spans chunks is gathered in
 * one buffer that this assembler owns and reuses. Either way the event buffer is valid only during
 * {@link EventSink#onEvent}: copy it to keep it. {@link #close()} releases the gathering buffer.
 */
public final class SseEventAssembler {
    /** Receives events as they complete; called on the feeding thread, inside {@link #feed}. */
    public interface EventSink {
        /** One complete event, including its terminating blank line; do not retain or release it. */
        void onEvent(ByteBuf event);

        /** An event grew past {@code maxEventBytes}; its bytes are dropped up to its end. Called once per event. */
        default void onOverflow() {
        }
    }

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    /** A gathering buffer grown past this is released after use rather than kept for the next event. */
    private static final int KEPT_CAPACITY = 16 * 1024;

    private final ByteBufAllocator alloc;
    private final int maxEventBytes;

    /** Bytes of the current event from earlier chunks; null until an event first spans chunks. */
    private ByteBuf gathered;
    /** Length of the current event so far; not counted while discarding. */
    private int eventBytes;
    /** Nothing but a line ending seen on the current line yet. */
    private boolean lineEmpty = true;
    /** The last byte was a CR that ended a line: an LF next is the rest of that line ending. */
    private boolean afterCr;
    /** That CR ended the empty line: the event is complete once the next byte shows whether an LF belongs to it. */
    private boolean eventEnded;
    /** The current event overflowed: its bytes are dropped up to its end. */
    private boolean discarding;
    private boolean closed;

    public SseEventAssembler(ByteBufAllocator alloc, int maxEventBytes) {
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes: " + maxEventBytes + " (expected: > 0)");
        }
        this.alloc = alloc;
        this.maxEventBytes = maxEventBytes;
    }

    /** Reads the readable bytes of {@code chunk} and calls {@code sink} for each event they complete. */
    public void feed(ByteBuf chunk, EventSink sink) {
        if (closed) {
            throw new IllegalStateException("assembler is closed");
        }
        final int end = chunk.writerIndex();
        int start = chunk.readerIndex(); // where the current event begins inside this chunk
        int i = start;
        while (i < end) {
            if (afterCr) {
                afterCr = false;
                if (chunk.getByte(i) == LF) {
                    count(1, sink);
                    i++;
                    if (eventEnded) {
                        start = endEvent(chunk, start, i, sink);
                    }
                    continue;
                }
                if (eventEnded) {
                    start = endEvent(chunk, start, i, sink);
                }
            }
            int eol = chunk.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
            int contentEnd = eol < 0 ? end : eol;
            if (contentEnd > i) {
                lineEmpty = false;
                count(contentEnd - i, sink);
            }
            if (eol < 0) {
                break;
            }
            count(1, sink);
            i = eol + 1;
            boolean emptyLine = lineEmpty;
            lineEmpty = true;
            if (chunk.getByte(eol) == CR) {
                afterCr = true;
                eventEnded = emptyLine;
            } else if (emptyLine) {
                start = endEvent(chunk, start, i, sink);
            }
        }
        if (!discarding && start < end) {
            gather(chunk, start, end);
        }
    }

    /**
     * The stream ended: dispatches an event held back because its empty line ended in a lone CR. An incomplete event
     * stays incomplete (the spec discards it); {@link #hasPartialEvent()} then tells that the stream was cut mid-event.
     */
    public void endOfStream(EventSink sink) {
        if (!closed && afterCr && eventEnded) {
            afterCr = false;
            endEvent(Unpooled.EMPTY_BUFFER, 0, 0, sink);
        }
    }

    /**
     * True when bytes of an event not yet dispatched were fed: an incomplete event, an oversized one being discarded,
     * or one held back to see whether an LF follows its final CR.
     */
    public boolean hasPartialEvent() {
        return eventBytes > 0 || discarding;
    }

    /** Releases the gathering buffer; safe to call more than once. */
    public void close() {
        closed = true;
        if (gathered != null) {
            gathered.release();
            gathered = null;
        }
    }

    private void count(int bytes, EventSink sink) {
        if (discarding) {
            return;
        }
        if (bytes > maxEventBytes - eventBytes) {
            discarding = true;
            eventBytes = 0;
            recycleGathered();
            sink.onOverflow();
        } else {
            eventBytes += bytes;
        }
    }

    /** Ends the current event at {@code end} (exclusive) of {@code chunk}; returns where the next event begins. */
    private int endEvent(ByteBuf chunk, int start, int end, EventSink sink) {
        boolean dropped = discarding;
        discarding = false;
        eventEnded = false;
        eventBytes = 0;
        if (dropped) {
            return end;
        }
        if (gathered != null && gathered.isReadable()) {
            gathered.writeBytes(chunk, start, end - start);
            try {
                sink.onEvent(gathered);
            } finally {
                recycleGathered();
            }
        } else {
            sink.onEvent(chunk.slice(start, end - start));
        }
        return end;
    }

    private void gather(ByteBuf chunk, int start, int end) {
        int length = end - start;
        if (gathered == null) {
            gathered = alloc.buffer(Math.min(Math.max(length, 256), maxEventBytes), maxEventBytes);
        }
        gathered.writeBytes(chunk, start, length);
    }

    private void recycleGathered() {
        if (gathered == null) {
            return;
        }
        if (gathered.capacity() > KEPT_CAPACITY) {
            gathered.release();
            gathered = null;
        } else {
            gathered.clear();
        }
    }

    /**
     * The event's data as the SSE spec defines it: the values of all {@code data} lines joined by {@code \n}, one
     * space after the colon removed; comments and other fields ({@code event}, {@code id}, {@code retry}) ignored.
     * Null when the event has no data line. Reads without moving the buffer's indexes.
     */
    public static String data(ByteBuf event) {
        long line = nextDataLine(event, event.readerIndex());
        if (line == NO_DATA) {
            return null;
        }
        String first = value(event, line);
        StringBuilder joined = null;
        while ((line = nextDataLine(event, (int) line)) != NO_DATA) {
            if (joined == null) {
                joined = new StringBuilder(first);
            }
            joined.append('\n').append(value(event, line));
        }
        return joined != null ? joined.toString() : first;
    }

    /** {@link #dataLine}: the event has no data line. */
    public static final long NO_DATA = -1;
    /** {@link #dataLine}: the event has several data lines (read it with {@link #data}). */
    public static final long SEVERAL_DATA_LINES = -2;

    /**
     * Where the value of the event's only data line lies, as {@code start << 32 | end} (buffer indexes, one space
     * after the colon excluded), so it can be read without a string; {@link #NO_DATA} or {@link #SEVERAL_DATA_LINES}
     * otherwise. Reads without moving the buffer's indexes.
     */
    public static long dataLine(ByteBuf event) {
        long first = nextDataLine(event, event.readerIndex());
        if (first == NO_DATA) {
            return NO_DATA;
        }
        return nextDataLine(event, (int) first) == NO_DATA ? first : SEVERAL_DATA_LINES;
    }

    /**
     * The first data line from index {@code from} (a line's start, or the line ending of the previous one) to the
     * event's end: its value as {@code start << 32 | end}, or {@link #NO_DATA}.
     */
    private static long nextDataLine(ByteBuf event, int from) {
        final int end = event.writerIndex();
        int i = from;
        while (i < end) {
            int eol = event.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
            int lineEnd = eol < 0 ? end : eol;
            if (isDataLine(event, i, lineEnd)) {
                int valueStart = Math.min(i + 5, lineEnd); // after "data:"
                if (valueStart < lineEnd && event.getByte(valueStart) == ' ') {
                    valueStart++;
                }
                return ((long) valueStart << 32) | lineEnd;
            }
            if (eol < 0) {
                break;
            }
            i = eol + 1;
            if (event.getByte(eol) == CR && i < end && event.getByte(i) == LF) {
                i++;
            }
        }
        return NO_DATA;
    }

    private static String value(ByteBuf event, long line) {
        int start = (int) (line >>> 32);
        return event.toString(start, (int) line - start, StandardCharsets.UTF_8);
    }

    /** {@code data} alone or {@code data:…}; not {@code database:} or {@code :data} (a comment). */
    private static boolean isDataLine(ByteBuf buf, int from, int lineEnd) {
        int length = lineEnd - from;
        return length >= 4
                && buf.getByte(from) == 'd' && buf.getByte(from + 1) == 'a'
                && buf.getByte(from + 2) == 't' && buf.getByte(from + 3) == 'a'
                && (length == 4 || buf.getByte(from + 4) == ':');
    }

    /** True for OpenAI's end-of-stream sentinel {@code data: [DONE]}. */
    public static boolean isDone(String data) {
        return "[DONE]".equals(data);
    }
}
