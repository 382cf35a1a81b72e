package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.ResponseHead;
import io.netty.handler.codec.DateFormatter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo's TTS engine over real HTTP: the WAV it generates, byte ranges, validators and conditional requests,
 * validation, HEAD and OPTIONS, keep-alive, and — with its own demo upstream each — backpressure towards a slow
 * reader and cancellation when the client leaves mid-download.
 */
class DemoTtsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String TEXT = "Добрий день! The demo speaks.";

    private static DemoUpstream upstream;
    private static HttpClient client;
    private static LogCapture logs;

    @BeforeAll
    static void startUpstream() throws InterruptedException {
        logs = LogCapture.install();
        upstream = DemoUpstream.start(new DemoConfig(Duration.ZERO));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    @AfterAll
    static void stopUpstream() throws InterruptedException {
        upstream.close();
        LogCapture.provokeLeakReports();
        try {
            assertThat(logs.problems()).as("warnings, errors and leak reports").isEmpty();
        } finally {
            logs.close();
        }
    }

    @AfterEach
    void loggedNoProblem() {
        assertThat(logs.problems()).as("warnings, errors and leak reports").isEmpty();
    }

    // ---------------------------------------------------------------- the file

    @Test
    void servesAValidWavWhoseDataSizeMatchesContentLength() throws Exception {
        HttpResponse<byte[]> response = get(query(TEXT, ""));

        assertThat(response.statusCode()).isEqualTo(200);
        byte[] body = response.body();
        long contentLength = response.headers().firstValueAsLong("content-length").orElseThrow();
        assertThat(body).hasSize((int) contentLength);
        ByteBuffer header = ByteBuffer.wrap(body, 0, 44).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(body, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
        assertThat(Integer.toUnsignedLong(header.getInt(4))).isEqualTo(contentLength - 8);
        assertThat(new String(body, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("WAVEfmt ");
        assertThat(header.getShort(20)).as("PCM").isEqualTo((short) 1);
        assertThat(header.getShort(22)).as("channels").isEqualTo((short) 1);
        assertThat(header.getInt(24)).as("sample rate").isEqualTo(16_000);
        assertThat(header.getShort(34)).as("bits per sample").isEqualTo((short) 16);
        assertThat(new String(body, 36, 4, StandardCharsets.US_ASCII)).isEqualTo("data");
        assertThat(Integer.toUnsignedLong(header.getInt(40))).isEqualTo(contentLength - 44);
        // 100 ms per character (code point), 16-bit samples at 16 kHz
        assertThat(contentLength - 44).isEqualTo(TEXT.codePointCount(0, TEXT.length()) * 3_200L);
        assertThat(contentLength(query(TEXT + TEXT, ""))).isEqualTo(2 * (contentLength - 44) + 44);
    }

    @Test
    void sendsTheHeadersAnAudioPlayerAndACacheNeed() throws Exception {
        HttpResponse<byte[]> response = get(query(TEXT, "&name=greeting"));
        var headers = response.headers();

        assertThat(headers.firstValue("content-type")).hasValue("audio/wav");
        assertThat(headers.firstValue("accept-ranges")).hasValue("bytes");
        assertThat(headers.firstValue("etag")).hasValueSatisfying(tag -> assertThat(tag).matches("\"[^\"]+\""));
        assertThat(headers.firstValue("cache-control")).hasValue("public, max-age=3600");
        assertThat(headers.firstValue("content-disposition")).hasValue("inline; filename=\"greeting.wav\"");
        assertThat(headers.firstValue("server")).hasValue("llm-proxy-demo-upstream");
        Date lastModified = DateFormatter.parseHttpDate(headers.firstValue("last-modified").orElseThrow());
        assertThat(lastModified).isNotNull().isBeforeOrEqualTo(new Date());
        assertThat(DateFormatter.parseHttpDate(headers.firstValue("date").orElseThrow())).isNotNull();

        assertThat(get(query(TEXT, "")).headers().firstValue("content-disposition"))
                .hasValue("inline; filename=\"tts.wav\"");
        assertThat(get(query(TEXT, "&name=report.WAV")).headers().firstValue("content-disposition"))
                .hasValue("inline; filename=\"report.wav\"");
        assertThat(get(query(TEXT, "&name=" + enc("звіт \"1\""))).headers().firstValue("content-disposition"))
                .hasValue("inline; filename=\"____ _1_.wav\"; filename*=UTF-8''%D0%B7%D0%B2%D1%96%D1%82%20%221%22.wav");
    }

    @Test
    void generatesTheSameBytesForTheSameQueryAndOthersForAnyAudibleChange() throws Exception {
        HttpResponse<byte[]> first = get(query(TEXT, ""));
        HttpResponse<byte[]> again = get(query(TEXT, ""));
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(etag(again)).isEqualTo(etag(first));

        for (String other : List.of(query(TEXT.replace('!', '?'), ""), query(TEXT, "&voice=natalia"),
                query(TEXT, "&scale=1.5"))) {
            HttpResponse<byte[]> response = get(other);
            assertThat(response.statusCode()).as(other).isEqualTo(200);
            assertThat(etag(response)).as(other).isNotEqualTo(etag(first));
            assertThat(response.body()).as(other).hasSameSizeAs(first.body());
            assertThat(Arrays.equals(response.body(), 44, response.body().length, first.body(), 44,
                    first.body().length)).as("audio of %s differs", other).isFalse();
        }
        HttpResponse<byte[]> shorter = get(query(TEXT, "&seconds=2"));
        assertThat(etag(shorter)).isNotEqualTo(etag(first));
        assertThat(shorter.body()).hasSize(44 + 64_000);
        // the file name is not part of the audio
        HttpResponse<byte[]> named = get(query(TEXT, "&name=other"));
        assertThat(named.body()).isEqualTo(first.body());
        assertThat(etag(named)).isEqualTo(etag(first));
    }

    @Test
    void overridesTheDurationWithSeconds() throws Exception {
        assertThat(contentLength(query("hi", "&seconds=2"))).isEqualTo(44 + 2 * 32_000);
        assertThat(contentLength(query("hi", "&seconds=0.5"))).isEqualTo(44 + 16_000);
        assertThat(contentLength(query("hi", "&seconds=36000"))).isEqualTo(44 + 36_000L * 32_000);
    }

    // ---------------------------------------------------------------- ranges

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "bytes=0-99;      0;    99",
            "bytes=1000-1999; 1000; 1999",
            "bytes=-500;      -500; -1",
            "bytes=5000-;     5000; -1"})
    void servesEachRangeAsTheSameSliceOfTheFullBody(String range, long first, long last) throws Exception {
        byte[] full = get(query(TEXT, "")).body();
        int from = (int) (first < 0 ? full.length + first : first);
        int to = (int) (last < 0 ? full.length + last : last);

        HttpResponse<byte[]> partial = get(query(TEXT, ""), "Range", range);

        assertThat(partial.statusCode()).isEqualTo(206);
        assertThat(partial.headers().firstValue("content-range")).hasValue("bytes " + from + "-" + to + "/" + full.length);
        assertThat(partial.headers().firstValueAsLong("content-length")).hasValue(to - from + 1);
        assertThat(partial.headers().firstValue("content-type")).hasValue("audio/wav");
        assertThat(partial.headers().firstValue("accept-ranges")).hasValue("bytes");
        assertThat(partial.headers().firstValue("etag")).isPresent();
        assertThat(partial.body()).isEqualTo(Arrays.copyOfRange(full, from, to + 1));
    }

    @Test
    void answersARangeBeyondTheEndWith416AndTheLength() throws Exception {
        long length = contentLength(query(TEXT, ""));
        for (String range : List.of("bytes=" + length + "-", "bytes=" + (length + 10) + "-" + (length + 20), "bytes=-0")) {
            HttpResponse<byte[]> response = get(query(TEXT, ""), "Range", range);
            assertThat(response.statusCode()).as(range).isEqualTo(416);
            assertThat(response.headers().firstValue("content-range")).hasValue("bytes */" + length);
            JsonNode error = Json.MAPPER.readTree(response.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("range_not_satisfiable");
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        }
    }

    @Test
    void servesTheWholeFileForMalformedOrMultipleRanges() throws Exception {
        byte[] full = get(query(TEXT, "")).body();
        for (String range : List.of("bytes=500-100", "bytes=abc", "items=0-10", "bytes=0-99,200-299")) {
            HttpResponse<byte[]> response = get(query(TEXT, ""), "Range", range);
            assertThat(response.statusCode()).as(range).isEqualTo(200);
            assertThat(response.headers().firstValue("content-range")).isEmpty();
            assertThat(response.body()).isEqualTo(full);
        }
    }

    // ---------------------------------------------------------------- validators

    @Test
    void answers304WhenIfNoneMatchNamesTheCurrentEtag() throws Exception {
        String etag = etag(get(query(TEXT, "")));
        for (String ifNoneMatch : List.of(etag, "\"other\", " + etag, "W/" + etag, "*")) {
            HttpResponse<byte[]> response = get(query(TEXT, ""), "If-None-Match", ifNoneMatch);
            assertThat(response.statusCode()).as(ifNoneMatch).isEqualTo(304);
            assertThat(response.body()).isEmpty();
            assertThat(response.headers().firstValue("etag")).hasValue(etag);
            assertThat(response.headers().firstValue("cache-control")).hasValue("public, max-age=3600");
        }
        HttpResponse<byte[]> changed = get(query(TEXT, ""), "If-None-Match", "\"tts-stale\"");
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(changed.body()).hasSize((int) contentLength(query(TEXT, "")));
        assertThat(get(query(TEXT, ""), "If-None-Match", etag, "Range", "bytes=0-9").statusCode())
                .as("a matching If-None-Match wins over Range").isEqualTo(304);
    }

    @Test
    void answers304WhenIfModifiedSinceIsNotOlderThanLastModified() throws Exception {
        String lastModified = get(query(TEXT, "")).headers().firstValue("last-modified").orElseThrow();
        Date date = DateFormatter.parseHttpDate(lastModified);
        String earlier = DateFormatter.format(new Date(date.getTime() - 1000));

        assertThat(get(query(TEXT, ""), "If-Modified-Since", lastModified).statusCode()).isEqualTo(304);
        assertThat(get(query(TEXT, ""), "If-Modified-Since", earlier).statusCode()).isEqualTo(200);
        assertThat(get(query(TEXT, ""), "If-Modified-Since", "not a date").statusCode()).isEqualTo(200);
        assertThat(get(query(TEXT, ""), "If-None-Match", "\"tts-stale\"", "If-Modified-Since", lastModified)
                .statusCode()).as("If-None-Match present: If-Modified-Since is not evaluated").isEqualTo(200);
    }

    @Test
    void honoursIfRangeOnlyForTheCurrentEtagOrLastModified() throws Exception {
        HttpResponse<byte[]> full = get(query(TEXT, ""));
        String etag = etag(full);
        String lastModified = full.headers().firstValue("last-modified").orElseThrow();

        for (String current : List.of(etag, lastModified)) {
            HttpResponse<byte[]> partial = get(query(TEXT, ""), "Range", "bytes=100-199", "If-Range", current);
            assertThat(partial.statusCode()).as(current).isEqualTo(206);
            assertThat(partial.body()).isEqualTo(Arrays.copyOfRange(full.body(), 100, 200));
        }
        String older = DateFormatter.format(new Date(DateFormatter.parseHttpDate(lastModified).getTime() - 60_000));
        for (String stale : List.of("\"tts-stale\"", "W/" + etag, older)) {
            HttpResponse<byte[]> whole = get(query(TEXT, ""), "Range", "bytes=100-199", "If-Range", stale);
            assertThat(whole.statusCode()).as(stale).isEqualTo(200);
            assertThat(whole.headers().firstValue("content-range")).isEmpty();
            assertThat(whole.body()).isEqualTo(full.body());
        }
    }

    // ---------------------------------------------------------------- methods and validation

    @Test
    void answersHeadWithTheHeadersOfGetAndNoBody() throws Exception {
        HttpResponse<byte[]> get = get(query(TEXT, ""));
        HttpResponse<byte[]> head = send(HttpRequest.newBuilder(uri(query(TEXT, "")))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        for (String name : List.of("content-type", "content-length", "accept-ranges", "etag", "last-modified",
                "cache-control", "content-disposition")) {
            assertThat(head.headers().firstValue(name)).as(name).isEqualTo(get.headers().firstValue(name));
        }
        HttpResponse<byte[]> headWithRange = send(HttpRequest.newBuilder(uri(query(TEXT, "")))
                .header("Range", "bytes=0-9").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(headWithRange.statusCode()).as("range handling is defined for GET only").isEqualTo(200);
    }

    @Test
    void keepsTheConnectionOpenAcrossAudioAnswersOfEveryKind() throws Exception {
        String path = query(TEXT, "");
        try (RawHttpClient raw = RawHttpClient.connect(upstream.baseUrl())) {
            raw.send("GET " + path + " HTTP/1.1\nHost: x\nRange: bytes=0-9");
            assertThat(raw.readHead(TIMEOUT).status()).isEqualTo(206);
            assertThat(raw.readFullBody(TIMEOUT)).hasSize(10);

            raw.send("HEAD " + path + " HTTP/1.1\nHost: x");
            ResponseHead head = raw.readHead(TIMEOUT);
            assertThat(head.status()).isEqualTo(200);
            assertThat(raw.readFullBody(TIMEOUT)).isEmpty();

            raw.send("GET " + path + " HTTP/1.1\nHost: x\nIf-None-Match: " + head.header("etag"));
            assertThat(raw.readHead(TIMEOUT).status()).isEqualTo(304);
            assertThat(raw.readFullBody(TIMEOUT)).isEmpty();

            raw.send("GET " + path + " HTTP/1.1\nHost: x\nRange: bytes=-0");
            assertThat(raw.readHead(TIMEOUT).status()).isEqualTo(416);
            raw.readFullBody(TIMEOUT);

            raw.send("GET " + path + " HTTP/1.1\nHost: x");
            assertThat(raw.readHead(TIMEOUT).status()).isEqualTo(200);
            assertThat(raw.readFullBody(TIMEOUT)).hasSize(Integer.parseInt(head.header("content-length")));

            raw.send("GET /v1/models HTTP/1.1\nHost: x");
            assertThat(raw.readHead(TIMEOUT).status()).isEqualTo(200);
            raw.readFullBody(TIMEOUT);
        }
    }

    @Test
    void rejectsWhatTheEngineWouldRefuseWithTheOpenAiEnvelope() throws Exception {
        record Refused(String path, String param) {
        }
        for (Refused refused : List.of(
                new Refused("/", "text"),
                new Refused("/?voice=anatol", "text"),
                new Refused("/?text=", "text"),
                new Refused("/?text=%20%20", "text"),
                new Refused(query("hi", "&voice=boris"), "voice"),
                new Refused(query("hi", "&voice=Natalia"), "voice"),
                new Refused(query("hi", "&scale=0.05"), "scale"),
                new Refused(query("hi", "&scale=3.01"), "scale"),
                new Refused(query("hi", "&scale=abc"), "scale"),
                new Refused(query("hi", "&scale=NaN"), "scale"),
                new Refused(query("hi", "&scale=1e0"), "scale"),
                new Refused(query("hi", "&seconds=0"), "seconds"),
                new Refused(query("hi", "&seconds=36001"), "seconds"),
                new Refused(query("hi", "&seconds=-5"), "seconds"))) {
            HttpResponse<byte[]> response = get(refused.path());
            assertThat(response.statusCode()).as(refused.path()).isEqualTo(400);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
            JsonNode error = Json.MAPPER.readTree(response.body()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.path("param").asText()).as(refused.path()).isEqualTo(refused.param());
            assertThat(error.path("message").asText()).startsWith(refused.param() + ": ");
        }
        assertThat(get(query("hi", "&voice=natalia&scale=0.1")).statusCode()).isEqualTo(200);
        assertThat(get(query("hi", "&scale=3.0&voice=")).statusCode()).as("empty means default").isEqualTo(200);
    }

    @Test
    void answersOptionsWithAllowAndOtherMethodsWith405() throws Exception {
        HttpResponse<byte[]> options = send(HttpRequest.newBuilder(uri(query("hi", "")))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(options.statusCode()).isEqualTo(204);
        assertThat(options.headers().firstValue("allow")).hasValue("GET, HEAD, OPTIONS");

        for (String method : List.of("POST", "PUT", "DELETE")) {
            HttpResponse<byte[]> response = send(HttpRequest.newBuilder(uri(query("hi", "")))
                    .method(method, HttpRequest.BodyPublishers.ofString("x")));
            assertThat(response.statusCode()).as(method).isEqualTo(405);
            assertThat(response.headers().firstValue("allow")).hasValue("GET, HEAD, OPTIONS");
            assertThat(Json.MAPPER.readTree(response.body()).path("error").path("code").asText())
                    .isEqualTo("method_not_allowed");
        }
    }

    // ---------------------------------------------------------------- backpressure and cancellation

    @Test
    void streamsHundredsOfMiBToASlowReaderHoldingOnlyABoundedBacklog() throws Exception {
        String path = query("backpressure", "&seconds=7000");
        try (DemoUpstream own = DemoUpstream.start(new DemoConfig(Duration.ZERO), Set.of());
             RawHttpClient slow = RawHttpClient.connectSlowReader(own.baseUrl(), 16 * 1024)) {
            DemoWav expected = DemoTtsRequest.parse(path).wav();
            slow.send("GET " + path + " HTTP/1.1\nHost: x");
            ResponseHead head = slow.readHead(TIMEOUT);
            long length = Long.parseLong(head.header("content-length"));
            assertThat(length).isEqualTo(expected.length()).isGreaterThan(200L << 20);

            CRC32 received = new CRC32();
            CRC32 regenerated = new CRC32();
            byte[] scratch = new byte[64 * 1024];
            long total = 0;
            long slowUntil = 4L << 20;
            byte[] piece;
            while ((piece = slow.readBodyChunk(TIMEOUT)) != null) {
                received.update(piece);
                total += piece.length;
                if (total < slowUntil) {
                    Thread.sleep(2); // a slow reader for the first MiBs: the server must wait, not queue
                }
            }
            for (long at = 0; at < length; at += scratch.length) {
                int n = (int) Math.min(scratch.length, length - at);
                expected.read(at, scratch, 0, n);
                regenerated.update(scratch, 0, n);
            }

            assertThat(total).isEqualTo(length);
            assertThat(received.getValue()).as("CRC-32 of every byte").isEqualTo(regenerated.getValue());
            DemoAudioGauges gauges = own.audioGauges();
            assertThat(gauges.pauses()).as("times the stream waited for the slow reader").isPositive();
            // Netty's default high water mark (64 KiB) plus one chunk, with room to spare; a stream that ignored
            // writability would have queued most of the 200 MiB here.
            assertThat(gauges.maxPendingOutboundBytes()).isLessThanOrEqualTo(256 * 1024);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(gauges.inFlight()).isZero());
        }
    }

    @Test
    void stopsGeneratingWhenTheClientLeavesMidDownload() throws Exception {
        String path = query("leave early", "&seconds=30000");
        for (boolean reset : new boolean[]{false, true}) {
            try (DemoUpstream own = DemoUpstream.start(new DemoConfig(Duration.ZERO), Set.of())) {
                DemoAudioGauges gauges = own.audioGauges();
                RawHttpClient raw = RawHttpClient.connect(own.baseUrl());
                raw.send("GET " + path + " HTTP/1.1\nHost: x");
                long length = Long.parseLong(raw.readHead(TIMEOUT).header("content-length"));
                long read = 0;
                while (read < (1 << 20)) {
                    read += raw.readBodyChunk(TIMEOUT).length;
                }
                assertThat(gauges.inFlight()).isEqualTo(1);
                if (reset) {
                    raw.abort();
                } else {
                    raw.close();
                }

                await().atMost(TIMEOUT).untilAsserted(() -> {
                    assertThat(gauges.inFlight()).isZero();
                    assertThat(own.openConnections()).isZero();
                });
                long written = gauges.bytesWritten();
                assertThat(written).as("generated bytes of %d", length).isLessThan(length / 10);
                Thread.sleep(100);
                assertThat(gauges.bytesWritten()).as("nothing generated after the stop").isEqualTo(written);
            }
        }
        LogCapture.provokeLeakReports();
    }

    // ---------------------------------------------------------------- helpers

    private static String query(String text, String more) {
        return "/?text=" + enc(text) + more;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static URI uri(String pathAndQuery) {
        return URI.create(upstream.baseUrl() + pathAndQuery);
    }

    private static HttpResponse<byte[]> get(String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(pathAndQuery)).GET();
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return send(builder);
    }

    private static HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static long contentLength(String pathAndQuery) throws Exception {
        HttpResponse<byte[]> head = send(HttpRequest.newBuilder(uri(pathAndQuery))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(200);
        return head.headers().firstValueAsLong("content-length").orElseThrow();
    }

    private static String etag(HttpResponse<?> response) {
        return response.headers().firstValue("etag").orElseThrow();
    }
}
