package dev.llmproxy.exchange;

import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.ResponseHead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that goes away closes its upstream connection — never returned to the pool — on every path: while the
 * proxy waits for the response head, mid-stream, and during a non-stream call; and while it waits for a pooled
 * connection (DESIGN invariant 5).
 */
class CancellationIT {
    private static final Logger log = LoggerFactory.getLogger(CancellationIT.class);
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
    void closesUpstreamWhenClientAbortsBeforeTheStreamStarted() throws Exception {
        start(Map.of());
        CompletableFuture<FakeUpstream.Exchange> stalled = stallEveryRequest();
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            send(client, true);
            FakeUpstream.Exchange exchange = stalled.get(10, TimeUnit.SECONDS);
            assertUpstreamClosedAfterAbort(client, exchange);
        }
    }

    @Test
    void closesUpstreamWhenClientAbortsANonStreamCall() throws Exception {
        start(Map.of());
        CompletableFuture<FakeUpstream.Exchange> stalled = stallEveryRequest();
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            send(client, false);
            FakeUpstream.Exchange exchange = stalled.get(10, TimeUnit.SECONDS);
            assertUpstreamClosedAfterAbort(client, exchange);
        }
    }

    @Test
    void closesUpstreamWhenClientAbortsMidStream() throws Exception {
        start(Map.of());
        CompletableFuture<FakeUpstream.Exchange> streaming = new CompletableFuture<>();
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(v -> exchange.sendChunk(FakeUpstream.sseEvent("{\"n\":1}")))
                .thenRun(() -> streaming.complete(exchange)));
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            send(client, true);
            ResponseHead head = client.readHead(WAIT);
            assertThat(head.status()).isEqualTo(200);
            assertThat(new String(client.readBodyChunk(WAIT), StandardCharsets.UTF_8)).startsWith("data: {\"n\":1}");
            assertUpstreamClosedAfterAbort(client, streaming.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aClientThatGivesUpWhileWaitingForAConnectionNeverGetsOne() throws Exception {
        start(Map.of("UPSTREAM_POOL_MAX_CONNECTIONS", "1", "IO_THREADS", "1"));
        CompletableFuture<FakeUpstream.Exchange> first = new CompletableFuture<>();
        upstream.handler((request, exchange) -> {
            if (!first.isDone()) {
                first.complete(exchange); // holds the only connection
            } else {
                exchange.respondJson(200, "{\"ok\":true}");
            }
        });
        try (RawHttpClient holder = RawHttpClient.connect(proxy.port());
             RawHttpClient waiter = RawHttpClient.connect(proxy.port())) {
            send(holder, false);
            FakeUpstream.Exchange held = first.get(10, TimeUnit.SECONDS);
            send(waiter, false);
            await().atMost(WAIT).until(() -> proxy.server().inFlight() == 2);
            waiter.abort();
            await().atMost(WAIT).until(() -> proxy.server().inFlight() == 1);

            held.respondJson(200, "{\"ok\":\"first\"}");
            assertThat(holder.readHead(WAIT).status()).isEqualTo(200);
            assertThat(new String(holder.readFullBody(WAIT), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":\"first\"}");
        }
        await().atMost(WAIT).until(() -> proxy.server().inFlight() == 0);
        assertThat(upstream.requests()).as("the abandoned request never went upstream").hasSize(1);
        assertThat(proxy.server().upstreamPool().idleConnections()).isEqualTo(1);
    }

    @Test
    void noSlotOrConnectionLeaksAfterManyAborts() throws Exception {
        start(Map.of());
        upstream.handler((request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(v -> exchange.sendChunk(FakeUpstream.sseEvent("{\"n\":1}"))));
        for (int i = 0; i < 30; i++) {
            try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
                send(client, i % 2 == 0);
                if (i % 3 == 0) {
                    client.readHead(WAIT);
                }
                client.abort();
            }
        }
        await().atMost(WAIT).until(() -> proxy.server().inFlight() == 0);
        // Connections that carried an aborted request are closed; ones that finished connecting after their
        // caller left never carried anything and wait, idle, for the next request.
        var pool = proxy.server().upstreamPool();
        await().atMost(WAIT).until(() -> pool.openConnections() == pool.idleConnections()
                && upstream.openConnections() == pool.idleConnections());
        upstream.handler(FakeUpstream.json(200, "{\"ok\":true}"));
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            send(client, false);
            assertThat(client.readHead(WAIT).status()).isEqualTo(200);
        }
    }

    private CompletableFuture<FakeUpstream.Exchange> stallEveryRequest() {
        CompletableFuture<FakeUpstream.Exchange> stalled = new CompletableFuture<>();
        upstream.handler((request, exchange) -> stalled.complete(exchange));
        return stalled;
    }

    private void assertUpstreamClosedAfterAbort(RawHttpClient client, FakeUpstream.Exchange exchange)
            throws Exception {
        long aborted = System.nanoTime();
        client.abort();
        exchange.clientClosed().get(5, TimeUnit.SECONDS);
        long micros = (System.nanoTime() - aborted) / 1000;
        log.info("client abort → upstream connection closed in {} µs", micros);
        await().atMost(WAIT).until(() -> proxy.server().inFlight() == 0);
        assertThat(proxy.server().upstreamPool().idleConnections()).as("a cancelled connection is never pooled")
                .isZero();
    }

    private static void send(RawHttpClient client, boolean stream) throws Exception {
        String json = "{\"model\":\"openai/gpt-4o-mini\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        client.send(StreamingIT.post("/v1/chat/completions", json), json.getBytes(StandardCharsets.UTF_8));
    }
}
