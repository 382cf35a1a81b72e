package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.demo.DemoUpstream;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.RecordedRequest;
import dev.llmproxy.testing.ResponseHead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /tts} against a scripted TTS engine: only the engine's {@code /} is reachable, validation happens before any
 * engine call, every status a media player relies on passes through (206, 304, 416), the audio streams in bounded
 * memory to a slow client, and failures have the envelope.
 */
class TtsIT {
    private static final Logger log = LoggerFactory.getLogger(TtsIT.class);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private FakeUpstream engine;
    private ProxyUnderTest proxy;

    private void start(String... settings) {
        engine = FakeUpstream.start(false);
        engine.handler((request, exchange) -> exchange.respond(200,
                Map.of("content-type", "audio/wav", "accept-ranges", "bytes", "etag", "\"e1\"",
                        "set-cookie", "engine=1", "x-engine-internal", "yes"), "RIFFdata".getBytes(StandardCharsets.UTF_8)));
        Map<String, String> overrides = new HashMap<>();
        overrides.put("TTS_PROXY_TARGET", engine.baseUrl().toString());
        for (int i = 0; i < settings.length; i += 2) {
            overrides.put(settings[i], settings[i + 1]);
        }
        proxy = ProxyUnderTest.start(engine, overrides); // the same fake also plays the (unused) OpenAI upstream
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void forwardsOnlyTheKnownParametersToTheEnginesRootWithTheMediaHeaders() throws Exception {
        start();
        HttpResponse<String> r = proxy.get("/tts?text=%D0%9F%D1%80%D0%B8%D0%B2%D1%96%D1%82&voice=natalia&scale=1.5"
                        + "&name=hello&extra=x", "Range", "bytes=0-3", "If-None-Match", "\"e0\"", "Authorization",
                "Bearer secret", "Cookie", "a=b", "Accept", "audio/wav");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("RIFFdata");
        assertThat(r.headers().firstValue("etag")).hasValue("\"e1\"");
        assertThat(r.headers().firstValue("accept-ranges")).hasValue("bytes");
        assertThat(r.headers().firstValue("set-cookie")).as("engine cookies stay behind").isEmpty();
        assertThat(r.headers().firstValue("x-engine-internal")).isEmpty();

        RecordedRequest seen = engine.awaitRequest(WAIT);
        assertThat(seen.method()).isEqualTo("GET");
        assertThat(seen.uri()).isEqualTo("/?text=%D0%9F%D1%80%D0%B8%D0%B2%D1%96%D1%82&voice=natalia&scale=1.5&name=hello");
        assertThat(seen.header("range")).isEqualTo("bytes=0-3");
        assertThat(seen.header("if-none-match")).isEqualTo("\"e0\"");
        assertThat(seen.header("accept")).isEqualTo("audio/wav");
        assertThat(seen.header("authorization")).isNull();
        assertThat(seen.header("cookie")).isNull();
    }

    @Test
    void invalidRequestsAre400WithoutAnEngineCallAndOtherPathsDoNotExist() throws Exception {
        start("TTS_MAX_TEXT_CHARS", "5");
        assertInvalid(proxy.get("/tts"), "text");
        assertInvalid(proxy.get("/tts?text="), "text");
        assertInvalid(proxy.get("/tts?text=%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80"),
                "text");
        assertInvalid(proxy.get("/tts?text=hi&voice=darth"), "voice");
        assertInvalid(proxy.get("/tts?text=hi&scale=9"), "scale");
        assertInvalid(proxy.get("/tts?text=hi&scale=loud"), "scale");
        assertThat(proxy.get("/tts?text=%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80").statusCode())
                .as("five characters (code points) fit").isEqualTo(200);
        assertThat(proxy.get("/tts/../../etc/passwd?text=hi").statusCode()).isEqualTo(404);
        assertThat(proxy.get("/tts/a/b?text=hi").statusCode()).isEqualTo(404);
        assertThat(engine.requests()).hasSize(1);
    }

    @Test
    void rangeConditionalAndErrorStatusesPassThroughUnchanged() throws Exception {
        start();
        engine.handler((request, exchange) -> {
            String range = request.header("range");
            if (request.header("if-none-match") != null) {
                exchange.respond(304, Map.of("etag", "\"e1\""), new byte[0]);
            } else if ("bytes=9999-".equals(range)) {
                exchange.respond(416, Map.of("content-range", "bytes */100"), new byte[0]);
            } else {
                exchange.respond(206, Map.of("content-type", "audio/wav", "content-range", "bytes 10-19/100"),
                        "0123456789".getBytes(StandardCharsets.UTF_8));
            }
        });
        HttpResponse<String> partial = proxy.get("/tts?text=hi", "Range", "bytes=10-19");
        assertThat(partial.statusCode()).isEqualTo(206);
        assertThat(partial.headers().firstValue("content-range")).hasValue("bytes 10-19/100");
        assertThat(partial.body()).isEqualTo("0123456789");
        HttpResponse<String> cached = proxy.get("/tts?text=hi", "If-None-Match", "\"e1\"");
        assertThat(cached.statusCode()).isEqualTo(304);
        assertThat(cached.headers().firstValue("etag")).hasValue("\"e1\"");
        HttpResponse<String> unsatisfiable = proxy.get("/tts?text=hi", "Range", "bytes=9999-");
        assertThat(unsatisfiable.statusCode()).isEqualTo(416);
        assertThat(unsatisfiable.headers().firstValue("content-range")).hasValue("bytes */100");
    }

    @Test
    void headGivesTheEnginesHeadersWithoutABodyAndOptionsListsTheMethods() throws Exception {
        start();
        engine.handler((request, exchange) -> {
            assertThat(request.method()).isEqualTo("HEAD");
            exchange.startStream(200, Map.of("content-type", "audio/wav", "content-length", "123456",
                    "accept-ranges", "bytes")).thenRun(exchange::end);
        });
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send("HEAD /tts?text=hi HTTP/1.1\nHost: p");
            ResponseHead head = client.readHead(WAIT);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("123456");
            assertThat(head.header("accept-ranges")).isEqualTo("bytes");
            assertThat(client.readBodyChunk(WAIT)).as("no body").isNull();
            client.send("OPTIONS /tts HTTP/1.1\nHost: p");
            ResponseHead options = client.readHead(WAIT);
            assertThat(options.status()).isEqualTo(204);
            assertThat(options.header("allow")).isEqualTo("GET, HEAD, OPTIONS");
        }
    }

    @Test
    void anUnreachableOrFailingEngineIs502AndASilentOneIs504() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        engine = FakeUpstream.start(false);
        proxy = ProxyUnderTest.start(engine, Map.of("TTS_PROXY_TARGET", "http://127.0.0.1:" + closed));
        HttpResponse<String> unreachable = proxy.get("/tts?text=hi");
        assertThat(unreachable.statusCode()).isEqualTo(502);
        assertThat(code(unreachable)).isEqualTo("tts_upstream_error");
        proxy.close();

        proxy = ProxyUnderTest.start(engine, Map.of("TTS_PROXY_TARGET", engine.baseUrl().toString(),
                "TTS_FIRST_BYTE_TIMEOUT_MS", "300"));
        engine.handler(FakeUpstream.json(500, "{\"error\":\"engine exploded\"}"));
        HttpResponse<String> failing = proxy.get("/tts?text=hi");
        assertThat(failing.statusCode()).isEqualTo(502);
        assertThat(code(failing)).isEqualTo("tts_upstream_error");
        engine.handler((request, exchange) -> { }); // never answers
        HttpResponse<String> silent = proxy.get("/tts?text=hi");
        assertThat(silent.statusCode()).isEqualTo(504);
    }

    @Test
    void aLargeBodyThroughASlowClientKeepsTheProxysMemoryBounded() throws Exception {
        start();
        long total = 256L * 1024 * 1024;
        int chunk = 64 * 1024;
        AtomicLong sent = new AtomicLong();
        MessageDigest sentDigest = MessageDigest.getInstance("SHA-256");
        engine.handler((request, exchange) -> exchange.startStream(200, Map.of("content-type", "audio/wav",
                "content-length", Long.toString(total))).thenRun(() -> pump(exchange, chunk, total, sent, sentDigest)));
        try (RawHttpClient client = RawHttpClient.connectSlowReader(proxy.baseUrl(), 16 * 1024)) {
            client.send("GET /tts?text=long HTTP/1.1\nHost: p");
            long stalledAt = awaitStall(sent);
            long pending = proxy.server().clientPendingOutboundBytes();
            log.info("slow /tts client: engine stalled after {} KiB of {} KiB; proxy holds {} KiB", stalledAt / 1024,
                    total / 1024, pending / 1024);
            assertThat(stalledAt).isLessThan(total / 4);
            assertThat(pending).isLessThanOrEqualTo(512 * 1024);

            assertThat(client.readHead(Duration.ofSeconds(30)).status()).isEqualTo(200);
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

    @Test
    void aClientThatAbortsMidDownloadClosesTheEngineConnection() throws Exception {
        start();
        CompletableFuture<FakeUpstream.Exchange> streaming = new CompletableFuture<>();
        engine.handler((request, exchange) -> exchange.startStream(200, Map.of("content-type", "audio/wav",
                        "content-length", "1000000"))
                .thenCompose(v -> exchange.sendChunk(new byte[4096]))
                .thenRun(() -> streaming.complete(exchange)));
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send("GET /tts?text=hi HTTP/1.1\nHost: p");
            assertThat(client.readHead(WAIT).status()).isEqualTo(200);
            assertThat(client.readBodyChunk(WAIT)).isNotEmpty();
            FakeUpstream.Exchange exchange = streaming.get(10, TimeUnit.SECONDS);
            client.abort();
            exchange.clientClosed().get(5, TimeUnit.SECONDS);
        }
        await().atMost(WAIT).until(() -> proxy.server().inFlight() == 0);
    }

    @Test
    void withClientKeysTtsNeedsOneAndAcceptsItInTheQueryForAudioElements() throws Exception {
        start("PROXY_SERVER_KEY", "k-audio-123");
        assertThat(proxy.get("/tts?text=hi").statusCode()).isEqualTo(401);
        assertThat(proxy.get("/tts?text=hi&key=wrong").statusCode()).isEqualTo(401);
        assertThat(proxy.get("/tts?text=hi&key=k-audio-123").statusCode()).isEqualTo(200);
        assertThat(proxy.get("/tts?text=hi", "X-Proxy-Key", "k-audio-123").statusCode()).isEqualTo(200);
        assertThat(engine.requests()).allSatisfy(r -> assertThat(r.uri()).doesNotContain("k-audio-123"));
    }

    @Test
    void openAiSpeechPassesThroughToTheMainUpstream() throws Exception {
        start();
        engine.handler((request, exchange) -> {
            assertThat(request.uri()).isEqualTo("/audio/speech");
            exchange.startStream(200, Map.of("content-type", "audio/mpeg"))
                    .thenCompose(v -> exchange.sendChunk("ID3".getBytes(StandardCharsets.UTF_8)))
                    .thenCompose(v -> exchange.sendChunk("mp3-frames".getBytes(StandardCharsets.UTF_8)))
                    .thenRun(exchange::end);
        });
        HttpResponse<String> r = proxy.postJson("/v1/audio/speech",
                "{\"model\":\"openai/gpt-4o-mini-tts\",\"input\":\"Hello\",\"voice\":\"alloy\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("audio/mpeg");
        assertThat(r.body()).isEqualTo("ID3mp3-frames");
        assertThat(proxy.postJson("/v1/audio/speech", "{\"model\":\"m\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void everyRangeThroughTheProxyHasTheDemoEnginesBytes() throws Exception {
        try (DemoUpstream demo = DemoUpstream.start(new DemoConfig(Duration.ZERO), Set.of("openai/gpt-4o-mini"))) {
            engine = FakeUpstream.start(false);
            proxy = ProxyUnderTest.start(engine, Map.of("TTS_PROXY_TARGET", demo.baseUrl().toString()));
            HttpClient direct = HttpClient.newHttpClient();
            String query = "?text=" + URLEncoder.encode("Привіт, світ! Hello", StandardCharsets.UTF_8)
                    + "&voice=natalia&scale=1.2";
            for (String range : new String[]{null, "bytes=0-99", "bytes=1000-1999", "bytes=-500", "bytes=5000-",
                    "bytes=99999999-"}) {
                HttpRequest.Builder viaDemo = HttpRequest.newBuilder(demo.baseUrl().resolve("/" + query));
                if (range != null) {
                    viaDemo.header("Range", range);
                }
                HttpResponse<byte[]> expected = direct.send(viaDemo.build(), HttpResponse.BodyHandlers.ofByteArray());
                HttpResponse<byte[]> got = range == null ? getBytes("/tts" + query)
                        : getBytes("/tts" + query, "Range", range);
                assertThat(got.statusCode()).as(String.valueOf(range)).isEqualTo(expected.statusCode());
                assertThat(got.headers().firstValue("content-range")).isEqualTo(
                        expected.headers().firstValue("content-range"));
                assertThat(got.body()).as(String.valueOf(range)).isEqualTo(expected.body());
            }
            String etag = getBytes("/tts" + query).headers().firstValue("etag").orElseThrow();
            assertThat(getBytes("/tts" + query, "If-None-Match", etag).statusCode()).isEqualTo(304);
            assertThat(getBytes("/tts" + query, "Range", "bytes=0-9", "If-Range", etag).statusCode()).isEqualTo(206);
            assertThat(getBytes("/tts" + query, "Range", "bytes=0-9", "If-Range", "\"stale\"").statusCode())
                    .isEqualTo(200);
        }
    }

    private HttpResponse<byte[]> getBytes(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.baseUrl().resolve(path));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    // ---------------------------------------------------------------- helpers

    private static void assertInvalid(HttpResponse<String> r, String param) throws IOException {
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
        assertThat(error.path("param").asText()).isEqualTo(param);
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    }

    private static String code(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body()).at("/error/code").asText();
    }

    private static void pump(FakeUpstream.Exchange exchange, int chunkSize, long total, AtomicLong sent,
                             MessageDigest digest) {
        long done = sent.get();
        if (done >= total) {
            exchange.end();
            return;
        }
        byte[] chunk = new byte[(int) Math.min(chunkSize, total - done)];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) ((done + i) * 17 >>> 2);
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
        long[] since = {System.nanoTime()};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            long now = progress.get();
            if (now != last[0]) {
                last[0] = now;
                since[0] = System.nanoTime();
                return false;
            }
            return now > 0 && System.nanoTime() - since[0] > TimeUnit.MILLISECONDS.toNanos(700);
        });
        return last[0];
    }
}
