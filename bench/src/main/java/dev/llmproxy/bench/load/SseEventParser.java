package dev.llmproxy.bench.load;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Splits a {@code text/event-stream} body into events as its bytes arrive, whatever the chunk boundaries: a line,
 * or an event, may be cut anywhere (even between the CR and LF of a CRLF) and is completed by later chunks. Each
 * complete event with at least one {@code data:} line is handed to the consumer as its data (several data lines
 * joined by {@code \n}, one leading space after the colon dropped, as the SSE spec says). Comments and other fields
 * are skipped.
 *
 * <p>Threading: one parser per response, used by one thread.
 */
public final class SseEventParser {
    private final Consumer<String> onEvent;
    private byte[] line = new byte[256];
    private int lineLength;
    private boolean lastWasCr;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;

    public SseEventParser(Consumer<String> onEvent) {
        this.onEvent = onEvent;
    }

    /** Feeds the readable bytes of {@code chunk}; neither consumes nor releases it. */
    public void feed(ByteBuf chunk) {
        for (int i = chunk.readerIndex(), end = chunk.writerIndex(); i < end; i++) {
            byte b = chunk.getByte(i);
            if (b == '\n') {
                if (lastWasCr) {
                    lastWasCr = false; // the LF of a CRLF: the CR already ended the line
                    continue;
                }
                endLine();
            } else if (b == '\r') {
                lastWasCr = true;
                endLine();
            } else {
                lastWasCr = false;
                if (lineLength == line.length) {
                    line = Arrays.copyOf(line, line.length * 2);
                }
                line[lineLength++] = b;
            }
        }
    }

    /** Feeds a byte array (tests). */
    public void feed(byte[] bytes) {
        feed(io.netty.buffer.Unpooled.wrappedBuffer(bytes));
    }

    private void endLine() {
        if (lineLength == 0) {
            if (hasData) {
                String event = data.toString();
                data.setLength(0);
                hasData = false;
                onEvent.accept(event);
            }
            return;
        }
        if (startsWith("data")) {
            int at = 4;
            if (lineLength == at || line[at] == ':') {
                at = Math.min(at + 1, lineLength);
                if (at < lineLength && line[at] == ' ') {
                    at++;
                }
                if (hasData) {
                    data.append('\n');
                }
                data.append(new String(line, at, lineLength - at, StandardCharsets.UTF_8));
                hasData = true;
            }
        }
        lineLength = 0;
    }

    private boolean startsWith(String field) {
        if (lineLength < field.length()) {
            return false;
        }
        for (int i = 0; i < field.length(); i++) {
            if (line[i] != field.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
