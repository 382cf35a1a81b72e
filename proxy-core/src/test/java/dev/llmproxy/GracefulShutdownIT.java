package dev.llmproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.ResponseHead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link ProxyServer#stop}: the listener closes at once, idle connections close, in-flight streams run to their end
 * within the grace period and are cut when it is over — and the upstream sees the cut. {@code stop} is called from
 * another thread, as the SIGTERM hook does.
 */
class GracefulShutdownIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final String STREAM_REQUEST =
            "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";

    private final CompletableFuture<Void> gate = new CompletableFuture<>();
    private final List<RawHttpClient> clients = new ArrayList<>();
    private FakeUpstream fake;
    private ProxyUnderTest proxy;

    @AfterEach
    void cleanUp() throws IOException {
        gate.complete(null);
        for (RawHttpClient client : clients) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    @Test
    void inFlightStreamRunsToItsEndWhileNewConnectionsAreRefused() throws Exception {
        List<byte[]> before = events(0, 3);
        List<byte[]> after = events(3, 8);
        startWithGatedStream(before, after);
        RawHttpClient idle = client();
        idle.send("GET /health HTTP/1.1\nHost: proxy");
        assertThat(idle.readHead(TIMEOUT).status()).isEqualTo(200);
        idle.readFullBody(TIMEOUT);
        RawHttpClient streaming = client();
        ByteArrayOutputStream received = startStream(streaming, concat(before).length);

        CompletableFuture<Void> stopped = stopAsync(Duration.ofSeconds(5));

        await().atMost(TIMEOUT).until(this::newConnectionsRefused);
        assertThat(idle.awaitClosedByPeer(TIMEOUT)).as("an idle keep-alive connection closes at once").isTrue();
        assertThat(stopped).as("stop waits for the stream in flight").isNotDone();

        gate.complete(null); // the upstream sends the rest of the stream
        received.write(streaming.readFullBody(TIMEOUT));

        assertThat(new String(received.toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo(new String(concat(List.of(concat(before), concat(after))), StandardCharsets.UTF_8));
        assertThat(streaming.awaitClosedByPeer(TIMEOUT)).as("the stream's connection closes after it").isTrue();
        stopped.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(proxy.server().inFlight()).isZero();
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void streamThatOutlivesTheGraceIsCutAndItsUpstreamConnectionClosed() throws Exception {
        fake = FakeUpstream.start(true);
        CompletableFuture<FakeUpstream.Exchange> upstream = new CompletableFuture<>();
        fake.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(ignored -> exchange.sendChunk(FakeUpstream.sseEvent("{\"n\":0}")))
                .thenRun(() -> upstream.complete(exchange))); // then nothing more: a stalled stream
        proxy = ProxyUnderTest.start(fake, Map.of());
        RawHttpClient streaming = client();
        startStream(streaming, FakeUpstream.sseEvent("{\"n\":0}").length);
        FakeUpstream.Exchange stalled = upstream.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        CompletableFuture<Void> stopped = stopAsync(Duration.ofMillis(500));

        stopped.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(streaming.awaitClosedByPeer(TIMEOUT)).as("the client connection is closed").isTrue();
        stalled.clientClosed().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS); // the upstream saw the proxy close
        await().atMost(TIMEOUT).until(() -> fake.openConnections() == 0);
    }

    /** DESIGN invariant 6: once an SSE stream has started, a failure ends it with a final error event. */
    @Test
    void streamCutAtTheEndOfTheGraceEndsWithAnErrorEvent() throws Exception {
        fake = FakeUpstream.start(false);
        byte[] first = FakeUpstream.sseEvent("{\"n\":0}");
        fake.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(ignored -> exchange.sendChunk(first)));
        proxy = ProxyUnderTest.start(fake, Map.of());
        RawHttpClient streaming = client();
        startStream(streaming, first.length);

        stopAsync(Duration.ofMillis(500)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        String tail = new String(readUntilEndOrClose(streaming), StandardCharsets.UTF_8);

        assertThat(tail).as("what the client received after the first event").startsWith("data: {\"error\":");
        JsonNode error = new ObjectMapper().readTree(tail.substring("data: ".length()).trim()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("shutting_down");
    }

    /** Optional in the spec: a request already on its way when draining starts learns that the proxy is not ready. */
    @Test
    void readyAnswers503WithConnectionCloseOnAConnectionWhoseRequestWasUnderWayWhenDrainingStarted()
            throws Exception {
        startWithGatedStream(events(0, 1), events(1, 2));
        RawHttpClient streaming = client();
        startStream(streaming, concat(events(0, 1)).length);
        RawHttpClient probing = client();
        probing.send("GET /ready HTTP/1.1\nHost: proxy\nContent-Length: 2"); // its body comes later
        await().atMost(TIMEOUT).until(() -> proxy.server().inFlight() == 2);

        CompletableFuture<Void> stopped = stopAsync(Duration.ofSeconds(5));
        await().atMost(TIMEOUT).until(this::newConnectionsRefused);
        probing.sendRaw("{}".getBytes(StandardCharsets.US_ASCII));
        ResponseHead head = probing.readHead(TIMEOUT);
        JsonNode body = new ObjectMapper().readTree(probing.readFullBody(TIMEOUT));

        assertThat(head.status()).isEqualTo(503);
        assertThat(body.get("ready").asBoolean()).isFalse();
        assertThat(head.header("connection")).as("a response written while draining says so")
                .isEqualToIgnoringCase("close");
        assertThat(probing.awaitClosedByPeer(TIMEOUT)).isTrue();
        gate.complete(null);
        stopped.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ helpers

    /** A TLS fake that streams {@code before}, waits for {@link #gate}, then streams {@code after} and ends. */
    private void startWithGatedStream(List<byte[]> before, List<byte[]> after) {
        fake = FakeUpstream.start(true);
        Duration gap = Duration.ofMillis(100); // the whole stream takes about a second
        fake.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream", "cache-control", "no-cache"))
                .thenRun(() -> send(exchange, before, 0, gap, () -> gate.thenRun(
                        () -> exchange.after(gap, () -> send(exchange, after, 0, gap, exchange::end))))));
        proxy = ProxyUnderTest.start(fake, Map.of());
    }

    private static void send(FakeUpstream.Exchange exchange, List<byte[]> chunks, int index, Duration gap,
                             Runnable then) {
        if (index == chunks.size()) {
            then.run();
            return;
        }
        exchange.sendChunk(chunks.get(index)).thenRun(() -> exchange.after(gap,
                () -> send(exchange, chunks, index + 1, gap, then)));
    }

    /** Sends the stream request and reads until {@code bytes} body bytes have arrived. */
    private static ByteArrayOutputStream startStream(RawHttpClient client, int bytes) throws IOException {
        client.send("POST /v1/chat/completions HTTP/1.1\nHost: proxy\nContent-Type: application/json\n"
                + "Content-Length: " + STREAM_REQUEST.length(), STREAM_REQUEST.getBytes(StandardCharsets.UTF_8));
        ResponseHead head = client.readHead(TIMEOUT);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("content-type")).startsWith("text/event-stream");
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        while (received.size() < bytes) {
            byte[] piece = client.readBodyChunk(TIMEOUT);
            assertThat(piece).as("body ended after %s bytes", received.size()).isNotNull();
            received.writeBytes(piece);
        }
        return received;
    }

    /** Body bytes until the body ends or the connection closes, whichever comes first. */
    private static byte[] readUntilEndOrClose(RawHttpClient client) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            byte[] piece;
            while ((piece = client.readBodyChunk(TIMEOUT)) != null) {
                all.writeBytes(piece);
            }
        } catch (EOFException | SocketException e) {
            // cut: what arrived is the answer
        }
        return all.toByteArray();
    }

    private CompletableFuture<Void> stopAsync(Duration grace) {
        return CompletableFuture.runAsync(() -> proxy.server().stop(grace));
    }

    private boolean newConnectionsRefused() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    private RawHttpClient client() throws IOException {
        RawHttpClient client = RawHttpClient.connect(proxy.port());
        clients.add(client);
        return client;
    }

    private static List<byte[]> events(int from, int to) {
        List<byte[]> events = new ArrayList<>();
        for (int i = from; i < to; i++) {
            events.add(FakeUpstream.sseEvent("{\"choices\":[{\"delta\":{\"content\":\"token " + i + "\"}}]}"));
        }
        return events;
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        parts.forEach(all::writeBytes);
        return all.toByteArray();
    }
}
