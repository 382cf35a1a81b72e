package dev.llmproxy.exchange;

import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.ResponseHead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Streams pass through unbuffered and byte for byte, one upstream chunk at a time, and a slow client holds the
 * upstream back instead of filling the proxy's memory (DESIGN invariants 1–3).
 */
class StreamingIT {
    private static final Logger log = LoggerFactory.getLogger(StreamingIT.class);
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Asks for usage itself, so the proxy injects nothing and relays the upstream's chunking untouched. */
    private static final String CHAT = "{\"model\":\"openai/gpt-4o-mini\",\"stream\":true,"
            + "\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;

    @BeforeEach
    void start() {
        upstream = FakeUpstream.start(true);
        proxy = ProxyUnderTest.start(upstream, Map.of());
    }

    @AfterEach
    void stop() {
        proxy.close();
        upstream.close();
    }

    @Test
    void eachUpstreamChunkReachesTheClientByteExactBeforeTheNextIsSent() throws Exception {
        String stream = ": keep-alive comment\n\n"
                + "event: message\nid: 1\ndata: {\"choices\":[{\"delta\":{\"content\":\"h\u00e9llo \uD83C\uDF0D\"}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"\u4f60\u597d\"}}]}\r\n\r\n"
                + "retry: 1000\n"
                + "data: line one\ndata: line two\n\n"
                + "data: [DONE]\n\n";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        int emoji = indexOf(bytes, "\uD83C\uDF0D".getBytes(StandardCharsets.UTF_8));
        int cjk = indexOf(bytes, "\u4f60".getBytes(StandardCharsets.UTF_8));
        int crlf = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        // split inside a comment, mid-line, inside a 4-byte and a 3-byte UTF-8 character, between \r and \n,
        // between the two line ends of an event boundary, and at an ordinary boundary
        int[] cuts = {3, 30, emoji + 2, cjk + 1, crlf + 1, crlf + 3, bytes.length - 9, bytes.length - 1};
        List<byte[]> chunks = split(bytes, cuts);

        CompletableFuture<FakeUpstream.Exchange> streaming = new CompletableFuture<>();
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream; charset=utf-8", "x-request-id", "req-1"))
                .thenRun(() -> streaming.complete(exchange)));

        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send(post("/v1/chat/completions", CHAT), CHAT.getBytes(StandardCharsets.UTF_8));
            ResponseHead head = client.readHead(WAIT);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-type")).isEqualTo("text/event-stream; charset=utf-8");
            assertThat(head.header("x-accel-buffering")).isEqualTo("no");
            assertThat(head.header("cache-control")).isEqualTo("no-cache");
            assertThat(head.header("x-request-id")).isEqualTo("req-1");
            assertThat(head.header("transfer-encoding")).isEqualTo("chunked");

            FakeUpstream.Exchange exchange = streaming.get(10, TimeUnit.SECONDS);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            List<Long> latenciesMicros = new ArrayList<>();
            for (byte[] chunk : chunks) {
                exchange.sendChunk(chunk).get(10, TimeUnit.SECONDS);
                long sent = System.nanoTime();
                byte[] got = readExactly(client, chunk.length);
                latenciesMicros.add((System.nanoTime() - sent) / 1000);
                assertThat(got).as("chunk delivered alone and unchanged").isEqualTo(chunk);
                received.write(got);
            }
            exchange.end().get(10, TimeUnit.SECONDS);
            assertThat(client.readBodyChunk(WAIT)).as("end of body").isNull();
            assertThat(received.toByteArray()).isEqualTo(bytes);
            log.info("upstream chunk → client latency (µs, includes the test's own socket read): {}",
                    latenciesMicros);
        }
    }

    @Test
    void aSlowClientHoldsTheUpstreamBackWithBoundedProxyMemory() throws Exception {
        int chunkSize = 64 * 1024;
        long total = 64L * 1024 * 1024;
        AtomicLong sentByUpstream = new AtomicLong();
        MessageDigest sentDigest = MessageDigest.getInstance("SHA-256");
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "application/octet-stream",
                        "content-length", Long.toString(total)))
                .thenRun(() -> pump(exchange, chunkSize, total, sentByUpstream, sentDigest)));

        try (RawHttpClient client = RawHttpClient.connectSlowReader(proxy.baseUrl(), 16 * 1024)) {
            client.send(post("/v1/chat/completions", CHAT), CHAT.getBytes(StandardCharsets.UTF_8));
            // the client reads nothing: once socket buffers fill, the upstream must stall
            long stalledAt = awaitStall(sentByUpstream);
            long pending = proxy.server().clientPendingOutboundBytes();
            log.info("slow client: upstream stalled after {} KiB of {} KiB; proxy holds {} KiB for the client",
                    stalledAt / 1024, total / 1024, pending / 1024);
            assertThat(stalledAt).as("upstream stopped well before the end").isLessThan(total / 2);
            assertThat(pending).as("bytes the proxy queues for the client").isLessThanOrEqualTo(512 * 1024);

            ResponseHead head = client.readHead(Duration.ofSeconds(30));
            assertThat(head.status()).isEqualTo(200);
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            long received = 0;
            byte[] piece;
            while ((piece = client.readBodyChunk(Duration.ofSeconds(30))) != null) {
                got.update(piece);
                received += piece.length;
            }
            assertThat(received).isEqualTo(total);
            synchronized (sentDigest) {
                assertThat(got.digest()).isEqualTo(sentDigest.digest());
            }
        }
    }

    /** Writes the next chunk as soon as the previous write completed: as fast as the proxy lets it. */
    private static void pump(FakeUpstream.Exchange exchange, int chunkSize, long total, AtomicLong sent,
                             MessageDigest digest) {
        long done = sent.get();
        if (done >= total) {
            exchange.end();
            return;
        }
        byte[] chunk = new byte[(int) Math.min(chunkSize, total - done)];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) ((done + i) * 31 >>> 3);
        }
        synchronized (digest) {
            digest.update(chunk);
        }
        exchange.sendChunk(chunk).thenRun(() -> {
            sent.addAndGet(chunk.length);
            pump(exchange, chunkSize, total, sent, digest);
        });
    }

    private static long awaitStall(AtomicLong progress) {
        long[] last = {-1};
        long[] stableSince = {System.nanoTime()};
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            long now = progress.get();
            if (now != last[0]) {
                last[0] = now;
                stableSince[0] = System.nanoTime();
                return false;
            }
            return now > 0 && System.nanoTime() - stableSince[0] > TimeUnit.MILLISECONDS.toNanos(700);
        });
        return last[0];
    }

    private static byte[] readExactly(RawHttpClient client, int n) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < n) {
            byte[] piece = client.readBodyChunk(WAIT);
            assertThat(piece).as("stream ended early").isNotNull();
            out.write(piece);
        }
        return out.toByteArray();
    }

    static String post(String path, String json) {
        return "POST " + path + " HTTP/1.1\nHost: proxy\nContent-Type: application/json\nContent-Length: "
                + json.getBytes(StandardCharsets.UTF_8).length + "\n";
    }

    private static List<byte[]> split(byte[] bytes, int[] cuts) {
        List<byte[]> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            chunks.add(Arrays.copyOfRange(bytes, from, cut));
            from = cut;
        }
        chunks.add(Arrays.copyOfRange(bytes, from, bytes.length));
        return chunks;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }
}
