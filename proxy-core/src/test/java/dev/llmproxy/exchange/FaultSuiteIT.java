package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FaultyUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.ResponseHead;
import dev.llmproxy.upstream.PerEventLoopUpstreamPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fault suite: each way an upstream can fail, for a unary and a streamed chat request, against the real proxy.
 * For every fault the client gets the documented answer (a status and the error envelope before the head; after
 * it, a final SSE error event on a stream, or a cut body otherwise), the admission slot and the upstream connection
 * are given back ({@code upstream_active_current} is 0 and the pool holds no connection outside its idle list, the
 * upstream sees none left open), and the next request succeeds. README's fault table states the same outcomes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultSuiteIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String REPLY = FaultSuiteITReplies.CONTENT;

    enum Mode { UNARY, STREAM }

    /** How the client saw the response body end. */
    enum Ending { COMPLETE, CUT }

    /**
     * What the client sees.
     *
     * @param status    the response status
     * @param errorCode the envelope's {@code error.code} (status ≥ 400), or the code of the stream's final error event;
     *                  null for none
     * @param ending    whether the body ended by its framing or the connection was cut under it
     * @param keptAlive whether the client connection stays open for its next request
     */
    record Outcome(int status, String errorCode, Ending ending, boolean keptAlive) {
    }

    enum Fault {
        REFUSED,
        NEVER_ANSWERS,
        HEAD_THEN_STALL,
        RESET_MID_BODY,
        MALFORMED_HTTP,
        INVALID_BODY,
        BODY_SHORTER_THAN_CONTENT_LENGTH,
        BODY_LONGER_THAN_CONTENT_LENGTH,
        POOLED_CONNECTION_CLOSED_WHILE_IDLE,
        POOLED_CONNECTION_CLOSED_ON_REUSE,
        INFORMATIONAL_THEN_200,
        SLOW_TRICKLE
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                Arguments.of(Fault.REFUSED, Mode.UNARY, new Outcome(502, "upstream_unreachable", Ending.COMPLETE, true)),
                Arguments.of(Fault.REFUSED, Mode.STREAM, new Outcome(502, "upstream_unreachable", Ending.COMPLETE, true)),
                Arguments.of(Fault.NEVER_ANSWERS, Mode.UNARY, new Outcome(504, "upstream_timeout", Ending.COMPLETE, true)),
                Arguments.of(Fault.NEVER_ANSWERS, Mode.STREAM, new Outcome(504, "upstream_timeout", Ending.COMPLETE, true)),
                Arguments.of(Fault.HEAD_THEN_STALL, Mode.UNARY, new Outcome(200, null, Ending.CUT, false)),
                Arguments.of(Fault.HEAD_THEN_STALL, Mode.STREAM, new Outcome(200, "upstream_timeout", Ending.COMPLETE, true)),
                Arguments.of(Fault.RESET_MID_BODY, Mode.UNARY, new Outcome(200, null, Ending.CUT, false)),
                Arguments.of(Fault.RESET_MID_BODY, Mode.STREAM,
                        new Outcome(200, "upstream_connection_lost", Ending.COMPLETE, true)),
                Arguments.of(Fault.MALFORMED_HTTP, Mode.UNARY, new Outcome(502, "upstream_bad_response", Ending.COMPLETE, true)),
                Arguments.of(Fault.MALFORMED_HTTP, Mode.STREAM, new Outcome(502, "upstream_bad_response", Ending.COMPLETE, true)),
                Arguments.of(Fault.INVALID_BODY, Mode.UNARY, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.INVALID_BODY, Mode.STREAM, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.BODY_SHORTER_THAN_CONTENT_LENGTH, Mode.UNARY, new Outcome(200, null, Ending.CUT, false)),
                Arguments.of(Fault.BODY_SHORTER_THAN_CONTENT_LENGTH, Mode.STREAM,
                        new Outcome(200, "upstream_connection_lost", Ending.COMPLETE, true)),
                Arguments.of(Fault.BODY_LONGER_THAN_CONTENT_LENGTH, Mode.UNARY, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.BODY_LONGER_THAN_CONTENT_LENGTH, Mode.STREAM, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.POOLED_CONNECTION_CLOSED_WHILE_IDLE, Mode.UNARY, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.POOLED_CONNECTION_CLOSED_WHILE_IDLE, Mode.STREAM, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.POOLED_CONNECTION_CLOSED_ON_REUSE, Mode.UNARY, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.POOLED_CONNECTION_CLOSED_ON_REUSE, Mode.STREAM, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.INFORMATIONAL_THEN_200, Mode.UNARY, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.INFORMATIONAL_THEN_200, Mode.STREAM, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.SLOW_TRICKLE, Mode.UNARY, new Outcome(200, null, Ending.COMPLETE, true)),
                Arguments.of(Fault.SLOW_TRICKLE, Mode.STREAM, new Outcome(200, null, Ending.COMPLETE, true)));
    }

    private FaultyUpstream upstream;
    private ProxyUnderTest proxy;

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("faults")
    void eachFaultHasItsAnswerReleasesEverythingAndTheNextRequestSucceeds(Fault fault, Mode mode, Outcome expected)
            throws Exception {
        upstream = FaultyUpstream.start();
        proxy = ProxyUnderTest.start(Map.of("OPENAI_BASE_URL", upstream.baseUrl().toString(), "OPENAI_API_KEY", "k",
                "UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "1500", "UPSTREAM_STREAM_IDLE_TIMEOUT_MS", "1500",
                "IO_THREADS", "1")); // one loop, one pool: the connection a request finds pooled is the last one used
        AtomicInteger scripted = new AtomicInteger();
        int faultyRequest = faultyRequest(fault);
        upstream.script((head, c) -> {
            int n = scripted.incrementAndGet();
            if (n == faultyRequest) {
                misbehave(fault, mode, c);
            } else if (n == 1 && fault == Fault.POOLED_CONNECTION_CLOSED_WHILE_IDLE) {
                FaultSuiteITReplies.healthy(mode, c);
                c.pause(Duration.ofMillis(100));
                c.close(); // with the connection idle in the proxy's pool
            } else {
                FaultSuiteITReplies.healthy(mode, c);
            }
        });
        if (fault == Fault.REFUSED) {
            upstream.stopListening();
        }
        for (int i = 1; i < faultyRequest; i++) {
            try (RawHttpClient warmUp = RawHttpClient.connect(proxy.baseUrl())) {
                assertThat(send(warmUp, mode).outcome.status()).isEqualTo(200);
            }
        }
        PerEventLoopUpstreamPool pool = proxy.server().upstreamPool();
        if (fault == Fault.POOLED_CONNECTION_CLOSED_WHILE_IDLE) {
            await().atMost(WAIT).until(() -> pool.openConnections() == 0); // the upstream closed the pooled one
        }

        try (RawHttpClient client = RawHttpClient.connect(proxy.baseUrl())) {
            Seen seen = send(client, mode);
            assertThat(seen.outcome).as("%s %s: %s", fault, mode, seen.body).isEqualTo(expected);
            if (expected.status() == 200 && expected.errorCode() == null && expected.ending() == Ending.COMPLETE
                    && fault != Fault.INVALID_BODY) {
                assertThat(seen.body).contains(REPLY);
            }

            // the slot, the upstream connection and the pool
            if (fault == Fault.REFUSED) {
                upstream.listenAgain();
            }
            await().atMost(WAIT).until(() -> gauge("upstream_active_current") == 0
                    && gauge("upstream_queue_length") == 0);
            await().atMost(WAIT).until(() -> pool.openConnections() == pool.idleConnections()
                    && upstream.openConnections() == pool.idleConnections());

            // the next request, on the same client connection when it was kept alive
            Seen next;
            if (seen.outcome.keptAlive()) {
                next = send(client, mode);
            } else {
                try (RawHttpClient again = RawHttpClient.connect(proxy.baseUrl())) {
                    next = send(again, mode);
                }
            }
            assertThat(next.outcome).as("the request after %s %s: %s", fault, mode, next.body)
                    .isEqualTo(new Outcome(200, null, Ending.COMPLETE, true));
            assertThat(next.body).contains(REPLY);
        }
        await().atMost(WAIT).until(() -> gauge("upstream_active_current") == 0);
    }

    @org.junit.jupiter.api.Test
    void aTwoSecondOutageCostsSecondsOfRefusalsNotTheBreakersFullMinute() throws Exception {
        upstream = FaultyUpstream.start();
        upstream.script((head, c) -> FaultSuiteITReplies.healthy(Mode.UNARY, c));
        proxy = ProxyUnderTest.start(Map.of("OPENAI_BASE_URL", upstream.baseUrl().toString(), "OPENAI_API_KEY", "k",
                "CIRCUIT_BREAKER_THRESHOLD", "2", "IO_THREADS", "1")); // CIRCUIT_BREAKER_TIMEOUT_MS: 60 s
        String chat = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertThat(proxy.postJson("/v1/chat/completions", chat).statusCode()).isEqualTo(200);

        upstream.stopListening();
        upstream.closeConnections();
        await().atMost(WAIT).until(() -> proxy.postJson("/v1/chat/completions", chat).statusCode() == 503);
        Thread.sleep(2000); // the rest of the outage
        upstream.listenAgain();

        long back = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> proxy.postJson("/v1/chat/completions", chat).statusCode() == 200);
        assertThat(Duration.ofNanos(System.nanoTime() - back))
                .as("short first open periods and probes, not 60 s of 503s").isLessThan(Duration.ofSeconds(30));
        JsonNode health = Json.MAPPER.readTree(proxy.get("/health").body());
        assertThat(health.at("/upstreams/0/breaker").asText()).isEqualTo("closed");
    }

    /** Returns which scripted request (1, 2, …) meets the fault; the ones before it are answered properly. */
    private static int faultyRequest(Fault fault) {
        return switch (fault) {
            case REFUSED -> 0; // it never reaches the upstream
            case POOLED_CONNECTION_CLOSED_WHILE_IDLE, POOLED_CONNECTION_CLOSED_ON_REUSE -> 2;
            default -> 1;
        };
    }

    private static void misbehave(Fault fault, Mode mode, FaultyUpstream.Connection c) throws IOException {
        boolean stream = mode == Mode.STREAM;
        switch (fault) {
            case NEVER_ANSWERS -> c.stall();
            case HEAD_THEN_STALL -> {
                c.write(stream ? FaultSuiteITReplies.SSE_HEAD : FaultSuiteITReplies.jsonHead(400));
                if (stream) {
                    c.chunk(FaultSuiteITReplies.event("first"));
                }
                c.stall();
            }
            case RESET_MID_BODY -> {
                if (stream) {
                    c.write(FaultSuiteITReplies.SSE_HEAD);
                    c.chunk(FaultSuiteITReplies.event("first"));
                    c.chunk("data: {\"choices\":[{\"index\":0,\"delta\":{\"con"); // half an event
                } else {
                    c.write(FaultSuiteITReplies.jsonHead(400));
                    c.write("{\"id\":\"c\",\"choices\":[");
                }
                c.pause(Duration.ofMillis(100));
                c.reset();
            }
            case MALFORMED_HTTP -> c.write("HTTP/1.1 2OO OK\r\nContent-Type: application/json\r\n\r\n{}");
            case INVALID_BODY -> {
                if (stream) {
                    c.write(FaultSuiteITReplies.SSE_HEAD);
                    c.chunk("this is not an event\n\n");
                    c.chunk("data: {not json\n\n");
                    c.chunk("data: [DONE]\n\n");
                    c.write("0\r\n\r\n");
                } else {
                    String body = "{\"choices\":[{not json";
                    c.write(FaultSuiteITReplies.jsonHead(body.length()) + body);
                }
            }
            case BODY_SHORTER_THAN_CONTENT_LENGTH -> {
                String body = stream ? FaultSuiteITReplies.event("first") : "{\"id\":\"c\",\"choices\":[";
                c.write((stream ? FaultSuiteITReplies.sseHeadWithLength(body.length() + 100)
                        : FaultSuiteITReplies.jsonHead(body.length() + 100)) + body);
                c.pause(Duration.ofMillis(100));
                c.close();
            }
            case BODY_LONGER_THAN_CONTENT_LENGTH -> {
                String body = stream ? FaultSuiteITReplies.event(REPLY) + "data: [DONE]\n\n"
                        : FaultSuiteITReplies.completion();
                c.write((stream ? FaultSuiteITReplies.sseHeadWithLength(body.length())
                        : FaultSuiteITReplies.jsonHead(body.length())) + body + "EXTRA BYTES NOBODY ASKED FOR");
            }
            case POOLED_CONNECTION_CLOSED_WHILE_IDLE -> FaultSuiteITReplies.healthy(mode, c); // on a new connection
            case POOLED_CONNECTION_CLOSED_ON_REUSE -> c.close();
            case INFORMATIONAL_THEN_200 -> {
                c.write("HTTP/1.1 100 Continue\r\n\r\n");
                c.pause(Duration.ofMillis(50));
                FaultSuiteITReplies.healthy(mode, c);
            }
            case SLOW_TRICKLE -> {
                byte[] all = FaultSuiteITReplies.healthyBytes(mode);
                int piece = Math.max(1, all.length / 12);
                for (int at = 0; at < all.length; at += piece) {
                    c.write(Arrays.copyOfRange(all, at, Math.min(all.length, at + piece)));
                    c.pause(Duration.ofMillis(200));
                }
            }
        }
    }

    /** What the client got: the outcome, and the decoded body as text. */
    private record Seen(Outcome outcome, String body) {
    }

    private static Seen send(RawHttpClient client, Mode mode) throws IOException {
        String body = "{\"model\":\"m\"," + (mode == Mode.STREAM ? "\"stream\":true," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length(), body.getBytes(StandardCharsets.UTF_8));
        ResponseHead head = client.readHead(WAIT);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        Ending ending = Ending.COMPLETE;
        try {
            byte[] piece;
            while ((piece = client.readBodyChunk(WAIT)) != null) {
                got.write(piece);
            }
        } catch (EOFException | SocketException e) {
            ending = Ending.CUT;
        }
        String text = got.toString(StandardCharsets.UTF_8);
        String code = null;
        if (head.status() >= 400) {
            JsonNode error = Json.MAPPER.readTree(text).path("error");
            code = error.path("code").asText(null);
        } else {
            Matcher m = Pattern.compile("data: (\\{\"error\".*)\n\n").matcher(text);
            while (m.find()) {
                code = Json.MAPPER.readTree(m.group(1)).at("/error/code").asText(null);
            }
        }
        boolean keptAlive = ending == Ending.COMPLETE && !"close".equalsIgnoreCase(head.header("connection"))
                && !client.awaitClosedByPeer(Duration.ofMillis(300));
        return new Seen(new Outcome(head.status(), code, ending, keptAlive), text);
    }

    private long gauge(String name) throws IOException, InterruptedException {
        String metrics = proxy.get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + name + " ([0-9.eE+-]+)$").matcher(metrics);
        if (!m.find()) {
            throw new AssertionError(name + " not in /metrics");
        }
        return (long) Double.parseDouble(m.group(1));
    }
}
