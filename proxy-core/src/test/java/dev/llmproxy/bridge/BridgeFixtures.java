package dev.llmproxy.bridge;

import dev.llmproxy.exchange.BodyConverter;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Test inputs and a driver that feeds a converter split bodies and collects what it emits (all buffers released). */
public final class BridgeFixtures {
    /** Pooled, like the server's: a leaked buffer is reported by the leak detector. */
    public static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** The chat streams every bridge's golden tests run. */
    public static final String[] STREAM_CASES = {
            "text", "tool-call", "parallel-tools", "reasoning", "length", "error-mid-stream", "cut"};
    /** The cases that also exist as a whole completion ({@code bridge/chat/<case>.json}). */
    public static final String[] COMPLETION_CASES = {"text", "tool-call", "parallel-tools", "reasoning", "length"};

    private BridgeFixtures() {
    }

    public static byte[] resource(String path) {
        try (InputStream in = BridgeFixtures.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(String path) {
        return new String(resource(path), StandardCharsets.UTF_8);
    }

    public static HttpResponse head(int status, String contentType) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        return head;
    }

    public static HttpResponse sseHead() {
        return head(200, "text/event-stream; charset=utf-8");
    }

    public static HttpResponse jsonHead() {
        return head(200, "application/json");
    }

    /** Feeds {@code body} cut at {@code cuts} (ascending offsets), then ends it; returns everything emitted. */
    public static String run(BodyConverter converter, byte[] body, int... cuts) {
        return run(converter, body, null, cuts);
    }

    /**
     * Like {@link #run(BodyConverter, byte[], int...)}, but when {@code failure} is given only the body up to the
     * last cut arrives, and the stream ends with {@link BodyConverter#onStreamError} instead of
     * {@link BodyConverter#finish}.
     */
    public static String run(BodyConverter converter, byte[] body, ProxyError failure, int... cuts) {
        List<ByteBuf> out = new ArrayList<>();
        try {
            int start = 0;
            int[] ends = cuts;
            if (failure == null) {
                ends = Arrays.copyOf(cuts, cuts.length + 1);
                ends[cuts.length] = body.length;
            }
            for (int end : ends) {
                // the input is the test's: wrapped, so paranoid tracking records what the converter allocates, not
                // every byte the assembler reads from the input
                ByteBuf chunk = Unpooled.wrappedBuffer(body, start, end - start);
                try {
                    converter.onContent(chunk, ALLOC, out::add);
                } finally {
                    chunk.release();
                }
                start = end;
            }
            if (failure == null) {
                converter.finish(ALLOC, out::add);
            } else {
                ByteBuf last = converter.onStreamError(failure, ALLOC);
                if (last != null) {
                    out.add(last);
                }
            }
        } finally {
            converter.close();
        }
        StringBuilder text = new StringBuilder();
        ByteBuf all = Unpooled.buffer();
        try {
            for (ByteBuf b : out) {
                all.writeBytes(b);
                b.release();
            }
            text.append(all.toString(StandardCharsets.UTF_8)); // joined first: a character may span buffers
        } finally {
            all.release();
        }
        return text.toString();
    }

    /** {@code count} sorted random cut offsets in {@code [0, length]}, the same for the same seed. */
    public static int[] randomCuts(Random random, int length, int count) {
        int[] cuts = new int[count];
        for (int i = 0; i < count; i++) {
            cuts[i] = random.nextInt(length + 1);
        }
        Arrays.sort(cuts);
        return cuts;
    }

    /** A chat stream of these {@code data:} values, each its own event. */
    public static byte[] sse(String... data) {
        StringBuilder stream = new StringBuilder();
        for (String value : data) {
            stream.append("data: ").append(value).append("\n\n");
        }
        return stream.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A chat chunk whose first choice has this {@code delta} JSON and finish reason (null: none). */
    public static String delta(String delta, String finishReason) {
        return "{\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
                + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}";
    }

    /** The events of an SSE text, each with its terminating blank line. */
    public static List<String> events(String sse) {
        List<String> events = new ArrayList<>();
        int start = 0;
        int end;
        while ((end = sse.indexOf("\n\n", start)) >= 0) {
            events.add(sse.substring(start, end + 2));
            start = end + 2;
        }
        if (start < sse.length()) {
            events.add(sse.substring(start));
        }
        return events;
    }

    /** An event's {@code event:} name. */
    public static String eventName(String event) {
        return event.substring("event: ".length(), event.indexOf('\n'));
    }

    /** An event's {@code data:} value. */
    public static String eventData(String event) {
        int data = event.indexOf("\ndata: ") + "\ndata: ".length();
        return event.substring(data, event.indexOf('\n', data));
    }
}
