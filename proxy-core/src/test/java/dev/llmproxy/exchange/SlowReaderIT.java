package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.ResponseHead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that stops reading a stream for longer than the stream idle timeout: the proxy stops reading the upstream
 * (backpressure), and that silence is the client's — no upstream timeout, no error event, no breaker fault — so the
 * whole stream arrives once the client reads again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowReaderIT {
    private FakeUpstream upstream;
    private ProxyUnderTest proxy;

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
    void aClientPausingLongerThanTheIdleTimeoutGetsTheWholeStreamAndTheUpstreamIsNotBlamed() throws Exception {
        upstream = FakeUpstream.start(false);
        StringBuilder event = new StringBuilder("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
        event.append("x".repeat(8 * 1024)).append("\"}}]}\n\n");
        byte[] one = event.toString().getBytes(StandardCharsets.UTF_8);
        int events = 2000; // 16 MB: far more than the socket buffers and the proxy's water marks hold
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenRun(() -> send(exchange, one, events)));
        proxy = ProxyUnderTest.start(upstream, Map.of("UPSTREAM_STREAM_IDLE_TIMEOUT_MS", "3000",
                "CIRCUIT_BREAKER_THRESHOLD", "1"));
        String body = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (RawHttpClient client = RawHttpClient.connectSlowReader(proxy.baseUrl(), 16 * 1024)) {
            client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length(), body.getBytes(StandardCharsets.UTF_8));
            // not reading: more than two idle periods (3 s each: on a loaded machine the fake upstream itself can
            // pause for over a second between writes, which a shorter period would call an upstream stall)
            Thread.sleep(7000);
            ResponseHead head = client.readHead(Duration.ofSeconds(10));
            assertThat(head.status()).isEqualTo(200);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] piece;
            while ((piece = client.readBodyChunk(Duration.ofSeconds(10))) != null) {
                got.write(piece);
            }
            String text = got.toString(StandardCharsets.UTF_8);
            assertThat(text).doesNotContain("\"error\"");
            assertThat(text.split("data: \\{", -1).length - 1).as("every event arrived").isEqualTo(events);
        }
        JsonNode health = Json.MAPPER.readTree(proxy.get("/health").body());
        assertThat(health.at("/upstreams/0/breaker").asText()).as("the client's pause is no upstream fault")
                .isEqualTo("closed");
    }

    @Test
    void theFinalErrorEventReachesAClientThatWasNotReadingWhenTheUpstreamFailed() throws Exception {
        upstream = FakeUpstream.start(false);
        StringBuilder event = new StringBuilder("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
        event.append("x".repeat(8 * 1024)).append("\"}}]}\n\n");
        byte[] one = event.toString().getBytes(StandardCharsets.UTF_8);
        int events = 200; // 1.6 MB: more than the client's socket takes while it does not read
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenRun(() -> sendThen(exchange, one, events, exchange::close)));
        proxy = ProxyUnderTest.start(upstream, Map.of());
        String body = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (RawHttpClient client = RawHttpClient.connectSlowReader(proxy.baseUrl(), 16 * 1024)) {
            client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length(), body.getBytes(StandardCharsets.UTF_8));
            Thread.sleep(3000); // not reading while the upstream sends everything and closes mid-stream
            ResponseHead head = client.readHead(Duration.ofSeconds(10));
            assertThat(head.status()).isEqualTo(200);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try {
                byte[] piece;
                while ((piece = client.readBodyChunk(Duration.ofSeconds(10))) != null) {
                    got.write(piece);
                }
            } catch (java.io.EOFException e) {
                // the connection was closed under the body: what arrived is checked below
            }
            String text = got.toString(StandardCharsets.UTF_8);
            assertThat(text.substring(Math.max(0, text.length() - 400)))
                    .as("the stream ends with the proxy's error event, even though it was queued behind the client")
                    .contains("data: {\"error\":");
        }
    }

    private static void sendThen(FakeUpstream.Exchange exchange, byte[] event, int left, Runnable then) {
        if (left == 0) {
            then.run();
            return;
        }
        exchange.sendChunk(event).thenRun(() -> sendThen(exchange, event, left - 1, then));
    }

    private static void send(FakeUpstream.Exchange exchange, byte[] event, int left) {
        if (left == 0) {
            exchange.end();
            return;
        }
        exchange.sendChunk(event).thenRun(() -> send(exchange, event, left - 1));
    }
}
