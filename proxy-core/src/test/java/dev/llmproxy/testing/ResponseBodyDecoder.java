package dev.llmproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;

/**
 * Undoes the framing of one HTTP/1.1 response body — chunked, Content-Length, close-delimited or none —
 * incrementally: it decodes whatever part of the input is there and says how much it used, so a caller can hand
 * over bytes as they arrive, split anywhere, and never reads past the end of the body (a pipelined next response
 * stays in the caller's buffer). Chunk extensions and trailers are accepted and dropped.
 *
 * <p>Threading: not thread-safe; one instance per body, used by one thread.
 */
final class ResponseBodyDecoder {

    private static final int MAX_LINE_BYTES = 8 * 1024;

    private enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    private enum ChunkState { SIZE_LINE, DATA, DATA_END, TRAILER, DONE }

    private final Framing framing;
    private long remaining;
    private ChunkState chunkState = ChunkState.SIZE_LINE;
    private boolean complete;
    private long decodedBytes;

    private ResponseBodyDecoder(Framing framing, long length) {
        this.framing = framing;
        this.remaining = length;
        this.complete = framing == Framing.NONE || (framing == Framing.LENGTH && length == 0);
    }

    /** No body: HEAD responses, 1xx, 204, 304. */
    static ResponseBodyDecoder none() {
        return new ResponseBodyDecoder(Framing.NONE, 0);
    }

    static ResponseBodyDecoder fixedLength(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
        }
        return new ResponseBodyDecoder(Framing.LENGTH, length);
    }

    static ResponseBodyDecoder chunked() {
        return new ResponseBodyDecoder(Framing.CHUNKED, 0);
    }

    static ResponseBodyDecoder untilClose() {
        return new ResponseBodyDecoder(Framing.UNTIL_CLOSE, 0);
    }

    boolean complete() {
        return complete;
    }

    long decodedBytes() {
        return decodedBytes;
    }

    /**
     * Decodes {@code input[from, to)} as far as possible without more input, appending body bytes to {@code out}.
     * Returns the number of input bytes consumed; bytes it did not consume (an incomplete chunk-size line, or what
     * follows the body) must be offered again, with more appended.
     */
    int decode(byte[] input, int from, int to, ByteArrayOutputStream out) throws ProtocolException {
        return switch (framing) {
            case NONE -> 0;
            case LENGTH -> decodeFixed(input, from, to, out);
            case UNTIL_CLOSE -> emit(input, from, to - from, out);
            case CHUNKED -> decodeChunked(input, from, to, out);
        };
    }

    /** The connection ended. Completes a close-delimited body; an unfinished framed body is an error. */
    void endOfInput() throws EOFException {
        if (framing == Framing.UNTIL_CLOSE) {
            complete = true;
        } else if (!complete) {
            throw new EOFException("connection closed mid-body after " + decodedBytes + " body bytes ("
                    + framing.name().toLowerCase() + " framing"
                    + (framing == Framing.LENGTH ? ", " + remaining + " bytes missing)" : ")"));
        }
    }

    private int decodeFixed(byte[] input, int from, int to, ByteArrayOutputStream out) {
        int take = (int) Math.min(remaining, to - from);
        remaining -= take;
        complete = remaining == 0;
        return emit(input, from, take, out);
    }

    private int decodeChunked(byte[] input, int from, int to, ByteArrayOutputStream out) throws ProtocolException {
        int position = from;
        while (position < to && chunkState != ChunkState.DONE) {
            switch (chunkState) {
                case SIZE_LINE -> {
                    int lineEnd = lineEnd(input, position, to);
                    if (lineEnd < 0) {
                        return position - from;
                    }
                    remaining = parseChunkSize(input, position, lineEnd);
                    position = lineEnd + 2;
                    chunkState = remaining == 0 ? ChunkState.TRAILER : ChunkState.DATA;
                }
                case DATA -> {
                    int take = (int) Math.min(remaining, to - position);
                    position += emit(input, position, take, out);
                    remaining -= take;
                    if (remaining == 0) {
                        chunkState = ChunkState.DATA_END;
                    }
                }
                case DATA_END -> {
                    if (to - position < 2) {
                        return position - from;
                    }
                    if (input[position] != '\r' || input[position + 1] != '\n') {
                        throw new ProtocolException("chunk data not followed by CRLF");
                    }
                    position += 2;
                    chunkState = ChunkState.SIZE_LINE;
                }
                case TRAILER -> {
                    int lineEnd = lineEnd(input, position, to);
                    if (lineEnd < 0) {
                        return position - from;
                    }
                    boolean blank = lineEnd == position;
                    position = lineEnd + 2;
                    if (blank) {
                        chunkState = ChunkState.DONE;
                        complete = true;
                    }
                }
                default -> throw new IllegalStateException(chunkState.name());
            }
        }
        return position - from;
    }

    /** Index of the CR of the next CRLF, or -1 if the line is not complete yet. */
    private static int lineEnd(byte[] input, int from, int to) throws ProtocolException {
        for (int i = from; i + 1 < to; i++) {
            if (input[i] == '\r' && input[i + 1] == '\n') {
                return i;
            }
        }
        if (to - from > MAX_LINE_BYTES) {
            throw new ProtocolException("chunk line longer than " + MAX_LINE_BYTES + " bytes");
        }
        return -1;
    }

    private static long parseChunkSize(byte[] input, int from, int lineEnd) throws ProtocolException {
        String line = new String(input, from, lineEnd - from, StandardCharsets.ISO_8859_1);
        int extension = line.indexOf(';');
        String size = (extension >= 0 ? line.substring(0, extension) : line).strip();
        try {
            long value = Long.parseLong(size, 16);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ProtocolException("bad chunk size line: " + line);
        }
    }

    private int emit(byte[] input, int from, int length, ByteArrayOutputStream out) {
        out.write(input, from, length);
        decodedBytes += length;
        return length;
    }
}
