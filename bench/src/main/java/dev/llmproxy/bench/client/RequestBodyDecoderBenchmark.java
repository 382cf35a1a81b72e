package dev.llmproxy.bench.client;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.Zstd;
import dev.llmproxy.client.DecodedBody;
import dev.llmproxy.client.RequestBodyDecoder;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * {@link RequestBodyDecoder#decode} of one compressed chat request, as the proxy would run it on a request that
 * arrives with {@code Content-Encoding}: the body is a chat-completions JSON of {@code kilobytes} KB (varied English
 * words, so it compresses about as well as a real conversation), compressed the way clients do — gzip at the JDK's
 * default level (Claude Code), zstd at level 3 (Codex), br at quality 5. The score is microseconds per body, input
 * wrapping, decoding into pooled buffers and release included; decoded MB/s = kilobytes / 1000 / score × 10^6.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class RequestBodyDecoderBenchmark {

    @Param({"gzip", "zstd", "br"})
    public String coding;

    @Param({"50", "500"})
    public int kilobytes;

    private final RequestBodyDecoder decoder = new RequestBodyDecoder(10 * 1024 * 1024);
    private byte[] compressed;

    @Setup
    public void setUp() throws IOException {
        byte[] json = chatJson(kilobytes * 1000);
        compressed = switch (coding) {
            case "gzip" -> gzip(json);
            case "zstd" -> Zstd.compress(json, 3);
            case "br" -> {
                Brotli4jLoader.ensureAvailability();
                yield Encoder.compress(json, new Encoder.Parameters().setQuality(5));
            }
            default -> throw new IllegalArgumentException("coding: " + coding);
        };
        DecodedBody check = decode();
        if (check.failed() || check.body().readableBytes() != json.length) {
            throw new IllegalStateException("decoding " + coding + " failed: " + check.error());
        }
        check.body().release();
    }

    @Benchmark
    public int decodeBody() {
        DecodedBody decoded = decode();
        int size = decoded.body().readableBytes();
        decoded.body().release();
        return size;
    }

    private DecodedBody decode() {
        return decoder.decode(coding, Unpooled.wrappedBuffer(compressed), PooledByteBufAllocator.DEFAULT);
    }

    /** A chat-completions request of about {@code bytes} bytes: turns of words drawn from a small vocabulary. */
    private static byte[] chatJson(int bytes) {
        String[] words = ("the of and to in a is that for it as was with be by on not he this are or his from at"
                + " which but have an they you were her she there been one all we their has would when if so no"
                + " function return const request stream token upstream latency proxy buffer model error retry"
                + " window context message assistant user system content tool call result value index").split(" ");
        Random random = new Random(42);
        StringBuilder json = new StringBuilder("{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[");
        for (int turn = 0; json.length() < bytes - 100; turn++) {
            json.append(turn == 0 ? "" : ",").append("{\"role\":\"").append(turn % 2 == 0 ? "user" : "assistant")
                    .append("\",\"content\":\"");
            for (int w = 0; w < 80; w++) {
                json.append(words[random.nextInt(words.length)]).append(random.nextInt(12) == 0 ? ". " : " ");
            }
            json.append("\"}");
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        }
        return out.toByteArray();
    }
}
