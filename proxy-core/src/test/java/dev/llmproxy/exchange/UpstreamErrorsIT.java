package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.ResponseHead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every failure has a shape (DESIGN invariant 6): before the head a real status and the OpenAI envelope, after an SSE
 * stream started a final error event, never a 200 with an empty body; upstream errors pass through untouched.
 */
class UpstreamErrorsIT {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;

    private void start(Map<String, String> settings) {
        upstream = FakeUpstream.start(true);
        proxy = ProxyUnderTest.start(upstream, settings);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void refusedConnectionIs502WithTheEnvelope() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        proxy = ProxyUnderTest.start(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:" + closedPort,
                "GITHUB_TOKEN", ProxyUnderTest.SERVER_TOKEN));
        for (boolean stream : new boolean[]{false, true}) {
            var response = proxy.postJson("/v1/chat/completions", chat(stream));
            assertThat(response.statusCode()).isEqualTo(502);
            assertEnvelope(response.body(), "upstream_error", "upstream_unreachable");
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        }
    }

    @Test
    void noFirstByteInTimeIs504AndTheUpstreamConnectionIsClosed() throws Exception {
        start(Map.of("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "300"));
        var stalled = new java.util.concurrent.CompletableFuture<FakeUpstream.Exchange>();
        upstream.handler((request, exchange) -> stalled.complete(exchange));
        var response = proxy.postJson("/v1/chat/completions", chat(true));
        assertThat(response.statusCode()).isEqualTo(504);
        assertEnvelope(response.body(), "upstream_error", "upstream_timeout");
        stalled.get(5, TimeUnit.SECONDS).clientClosed().get(5, TimeUnit.SECONDS);
    }

    @Test
    void upstreamErrorStatusesAndBodiesPassThroughUnchangedExcept429InTheReferenceShape() throws Exception {
        start(Map.of());
        String body429 = "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit of 10 per 60s exceeded "
                + "for UserByModelByMinute. Please wait 46 seconds before retrying.\",\"details\":\"x\"}}";
        upstream.handler((request, exchange) -> exchange.respond(429, Map.of(
                "content-type", "application/json", "retry-after", "46", "x-ratelimit-type", "UserByModelByMinute",
                "x-ratelimit-timeremaining", "46", "x-request-id", "rid-429"),
                body429.getBytes(StandardCharsets.UTF_8)));
        // a stream request gets the upstream's real status and an envelope, never a 200 (REFERENCE §12.1)
        var limited = proxy.postJson("/v1/chat/completions", chat(true));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertEnvelope(limited.body(), "rate_limit_exceeded", "rate_limit");
        assertThat(Json.MAPPER.readTree(limited.body()).at("/rate_limit/retry_after_seconds").asInt()).isEqualTo(46);
        assertThat(limited.headers().firstValue("retry-after")).hasValue("46");
        assertThat(limited.headers().firstValue("x-ratelimit-type")).hasValue("UserByModelByMinute");
        assertThat(limited.headers().firstValue("x-request-id")).hasValue("rid-429");
        for (int status : new int[]{400, 401, 403, 404, 422, 500, 503}) {
            String body = "{\"error\":{\"code\":\"c" + status + "\",\"message\":\"m" + status + "\"}}";
            upstream.handler(FakeUpstream.json(status, body));
            var response = proxy.postJson("/v1/embeddings", "{\"model\":\"m\",\"input\":\"x\"}");
            assertThat(response.statusCode()).isEqualTo(status);
            assertThat(response.body()).isEqualTo(body);
        }
    }

    @Test
    void resetMidStreamEndsTheStreamWithAnErrorEventAfterCompletingThePartialEvent() throws Exception {
        start(Map.of());
        byte[] first = FakeUpstream.sseEvent("{\"n\":1}");
        byte[] partial = "data: {\"n\":2, \"cho".getBytes(StandardCharsets.UTF_8);
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(v -> exchange.sendChunk(first))
                .thenCompose(v -> exchange.sendChunk(partial))
                .thenRun(() -> exchange.after(Duration.ofMillis(50), exchange::reset)));
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send(StreamingIT.post("/v1/chat/completions", chat(true)), chat(true).getBytes(StandardCharsets.UTF_8));
            ResponseHead head = client.readHead(WAIT);
            assertThat(head.status()).isEqualTo(200);
            String body = new String(client.readFullBody(WAIT), StandardCharsets.UTF_8);
            String expectedPrefix = new String(first, StandardCharsets.UTF_8) + new String(partial, StandardCharsets.UTF_8)
                    + "\n\ndata: ";
            assertThat(body).startsWith(expectedPrefix).endsWith("\n\n");
            JsonNode error = Json.MAPPER.readTree(body.substring(expectedPrefix.length()));
            assertThat(error.path("error").path("code").asText()).isEqualTo("upstream_connection_lost");
            assertThat(client.awaitClosedByPeer(Duration.ofMillis(500)))
                    .as("a stream ended properly leaves the keep-alive connection open").isFalse();
        }
    }

    @Test
    void streamIdleTimeoutEndsTheStreamWithAnErrorEvent() throws Exception {
        start(Map.of("UPSTREAM_STREAM_IDLE_TIMEOUT_MS", "300"));
        var stalled = new java.util.concurrent.CompletableFuture<FakeUpstream.Exchange>();
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(v -> exchange.sendChunk(FakeUpstream.sseEvent("{\"n\":1}")))
                .thenRun(() -> stalled.complete(exchange)));
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send(StreamingIT.post("/v1/chat/completions", chat(true)), chat(true).getBytes(StandardCharsets.UTF_8));
            assertThat(client.readHead(WAIT).status()).isEqualTo(200);
            String body = new String(client.readFullBody(WAIT), StandardCharsets.UTF_8);
            assertThat(body).startsWith("data: {\"n\":1}\n\ndata: {\"error\":").contains("\"upstream_timeout\"");
        }
        stalled.get(5, TimeUnit.SECONDS).clientClosed().get(5, TimeUnit.SECONDS);
    }

    @Test
    void resetMidBodyOfANonStreamResponseTruncatesIt() throws Exception {
        start(Map.of());
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "application/json", "content-length", "1000"))
                .thenCompose(v -> exchange.sendChunk("{\"id\":\"partial".getBytes(StandardCharsets.UTF_8)))
                .thenRun(() -> exchange.after(Duration.ofMillis(50), exchange::reset)));
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send(StreamingIT.post("/v1/chat/completions", chat(false)), chat(false).getBytes(StandardCharsets.UTF_8));
            ResponseHead head = client.readHead(WAIT);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("1000");
            assertThatThrownBy(() -> client.readFullBody(WAIT)).isInstanceOf(EOFException.class);
        }
    }

    @Test
    void upstreamClosingBeforeTheHeadIs502NeverAnEmpty200() throws Exception {
        start(Map.of());
        upstream.handler((request, exchange) -> exchange.close());
        var response = proxy.postJson("/v1/chat/completions", chat(true));
        assertThat(response.statusCode()).isEqualTo(502);
        assertEnvelope(response.body(), "upstream_error", "upstream_connection_lost");
    }

    @Test
    void aStaleReusedConnectionIsRetriedOnceOnAFreshOne() throws Exception {
        start(Map.of("IO_THREADS", "1"));
        Set<Integer> seen = new HashSet<>();
        upstream.handler((request, exchange) -> {
            if (seen.add(request.connectionId()) || request.bodyString().contains("first")) {
                exchange.respondJson(200, "{\"ok\":" + request.connectionId() + "}");
            } else {
                exchange.reset(); // as if this keep-alive connection had died while idle in the pool
            }
        });
        assertThat(proxy.postJson("/v1/embeddings", "{\"model\":\"m\",\"input\":\"first\"}").statusCode())
                .isEqualTo(200);
        var second = proxy.postJson("/v1/embeddings", "{\"model\":\"m\",\"input\":\"second\"}");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).isEqualTo("{\"ok\":2}");
        assertThat(upstream.requests()).hasSize(3);
    }

    @Test
    void malformedUpstreamResponseIs502() throws Exception {
        try (ServerSocket garbage = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> answerWithGarbage(garbage), "garbage-upstream");
            server.setDaemon(true);
            server.start();
            proxy = ProxyUnderTest.start(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:" + garbage.getLocalPort(),
                    "GITHUB_TOKEN", ProxyUnderTest.SERVER_TOKEN));
            var response = proxy.postJson("/v1/chat/completions", chat(false));
            assertThat(response.statusCode()).isEqualTo(502);
            assertEnvelope(response.body(), "upstream_error", "upstream_bad_response");
        }
    }

    /** Every connection gets a nonsense status line: the proxy's model-list request as well as the chat call. */
    private static void answerWithGarbage(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread one = new Thread(() -> answerOneWithGarbage(s), "garbage-connection");
                one.setDaemon(true);
                one.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void answerOneWithGarbage(Socket socket) {
        try (Socket s = socket) {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.write(b);
            }
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 abc Nonsense\r\nContent-Length: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.getInputStream().read();
        } catch (IOException e) {
            // the proxy closed the connection: expected
        }
    }

    private static void assertEnvelope(String body, String type, String code) throws IOException {
        JsonNode error = Json.MAPPER.readTree(body).path("error");
        assertThat(error.path("type").asText()).isEqualTo(type);
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(error.has("param")).isTrue();
    }

    private static String chat(boolean stream) {
        return "{\"model\":\"openai/gpt-4o-mini\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }
}
