package dev.llmproxy.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the SSE fuzzers share: an input read as one control byte and a stream, the chunk boundaries the control byte
 * chooses, and a plain reference reading of the SSE framing to hold the assembler to. Test code only.
 */
final class SseFuzzInput {
    final int control;
    final byte[] stream;

    private SseFuzzInput(int control, byte[] stream) {
        this.control = control;
        this.stream = stream;
    }

    /** The first byte is the control byte; the rest is the stream. */
    static SseFuzzInput of(byte[] input) {
        return input.length == 0 ? new SseFuzzInput(0, input)
                : new SseFuzzInput(input[0] & 0xFF, Arrays.copyOfRange(input, 1, input.length));
    }

    /** Chunk lengths covering the stream, chosen from the control byte: from one byte each to a few dozen. */
    int[] chunkLengths() {
        SplittableRandom random = new SplittableRandom(control);
        int maxChunk = 1 + (control & 0x1F);
        List<Integer> lengths = new ArrayList<>();
        for (int left = stream.length; left > 0; ) {
            int n = Math.min(left, 1 + random.nextInt(maxChunk));
            lengths.add(n);
            left -= n;
        }
        return lengths.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * {@code stream[from, from+length)} in a new buffer of {@code alloc} that starts with {@code skip} bytes already
     * read, so a reader that ignores the reader index is caught.
     */
    static ByteBuf chunk(ByteBufAllocator alloc, byte[] stream, int from, int length, int skip) {
        ByteBuf buf = alloc.buffer(skip + length);
        for (int i = 0; i < skip; i++) {
            buf.writeByte('\n');
        }
        buf.writeBytes(stream, from, length);
        buf.readerIndex(skip);
        return buf;
    }

    /** The SSE framing read the plain way: complete events in order, then the bytes of an incomplete one. */
    record Framing(List<byte[]> events, byte[] rest) {
    }

    /** Lines end at CRLF, LF or CR; an empty line ends an event; a lone CR at the very end ends its line. */
    static Framing frame(byte[] s) {
        List<byte[]> events = new ArrayList<>();
        int eventStart = 0;
        boolean lineEmpty = true;
        int i = 0;
        while (i < s.length) {
            byte b = s[i];
            if (b == '\r' || b == '\n') {
                int next = i + 1;
                if (b == '\r' && next < s.length && s[next] == '\n') {
                    next++;
                }
                if (lineEmpty) {
                    events.add(Arrays.copyOfRange(s, eventStart, next));
                    eventStart = next;
                }
                lineEmpty = true;
                i = next;
            } else {
                lineEmpty = false;
                i++;
            }
        }
        return new Framing(events, Arrays.copyOfRange(s, eventStart, s.length));
    }

    /** The data of one event as the SSE spec defines it, read the plain way; null without a data line. */
    static String data(byte[] event) {
        List<String> values = new ArrayList<>();
        int i = 0;
        while (i < event.length) {
            int end = i;
            while (end < event.length && event[end] != '\r' && event[end] != '\n') {
                end++;
            }
            String line = new String(event, i, end - i, StandardCharsets.ISO_8859_1);
            if (line.equals("data") || line.startsWith("data:")) {
                int valueStart = i + Math.min(5, end - i);
                if (valueStart < end && event[valueStart] == ' ') {
                    valueStart++;
                }
                values.add(new String(event, valueStart, end - valueStart, StandardCharsets.UTF_8));
            }
            i = end + 1; // past the CR or LF (or the end)
            if (end < event.length && event[end] == '\r' && i < event.length && event[i] == '\n') {
                i++;
            }
        }
        return values.isEmpty() ? null : String.join("\n", values);
    }

    static byte[] concat(List<byte[]> parts, byte[] tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        out.writeBytes(tail);
        return out.toByteArray();
    }
}
