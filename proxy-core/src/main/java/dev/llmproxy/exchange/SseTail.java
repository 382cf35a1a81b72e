package dev.llmproxy.exchange;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Tracks whether the bytes forwarded so far end on an SSE event boundary, looking only at the tail of each chunk.
 * When the proxy must end a started stream with its own error event, it first completes any partial event so its
 * {@code data: {"error":…}} line is never glued onto upstream bytes.
 */
final class SseTail {
    private static final byte LF = '\n';
    private static final byte CR = '\r';

    /** Line endings at the very end of what was sent: 0 = mid-line, 1 = end of a line, 2 = end of an event. */
    private int trailingLineEnds = 2;

    void update(ByteBuf chunk) {
        int end = chunk.writerIndex();
        int start = chunk.readerIndex();
        int count = 0;
        int i = end - 1;
        while (i >= start && count < 2) {
            byte b = chunk.getByte(i);
            if (b == LF) {
                count++;
                if (i - 1 >= start && chunk.getByte(i - 1) == CR) {
                    i--;
                }
            } else if (b == CR) {
                count++;
            } else {
                break;
            }
            i--;
        }
        if (i < start) {
            // the whole chunk was line endings: they extend what came before
            trailingLineEnds = Math.min(2, trailingLineEnds + count);
        } else {
            trailingLineEnds = count;
        }
    }

    /** Bytes that close the current partial event (possibly none). */
    byte[] terminator() {
        return switch (trailingLineEnds) {
            case 0 -> "\n\n".getBytes(StandardCharsets.US_ASCII);
            case 1 -> "\n".getBytes(StandardCharsets.US_ASCII);
            default -> new byte[0];
        };
    }
}
