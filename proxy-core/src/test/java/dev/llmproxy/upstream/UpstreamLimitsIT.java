package dev.llmproxy.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each upstream's own limits, through a running proxy: what an upstream says about itself
 * ({@code x-ratelimit-remaining-requests: 0} until its reset) holds the next request back instead of drawing a 429;
 * a declared {@code rpm} is never exceeded (the rest wait within the queue timeout, then 429 with Retry-After); a
 * route moves on to its next target while the first has no room; {@code /metrics} counts failovers per route and
 * reason.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamLimitsIT {
    private static final String ANSWER = FakeUpstream.chatCompletion("hi");

    @TempDir
    Path dir;

    private final List<FakeUpstream> fakes = new ArrayList<>();
    private ProxyUnderTest proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        fakes.forEach(FakeUpstream::close);
    }

    private FakeUpstream fake() {
        FakeUpstream f = FakeUpstream.start(false);
        f.handler(FakeUpstream.json(200, ANSWER));
        fakes.add(f);
        return f;
    }

    private void startProxy(String yaml, String... settings) throws IOException {
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        Map<String, String> all = ProxyUnderTest.settings(settings);
        all.put("CONFIG_FILE", file.toString());
        proxy = ProxyUnderTest.start(all);
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    void anUpstreamThatSaysNoRequestIsLeftIsNotAskedAgainBeforeItsReset() throws Exception {
        FakeUpstream up = fake();
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        up.handler((request, exchange) -> {
            arrivals.add(System.nanoTime());
            exchange.respond(200, Map.of("content-type", "application/json",
                    "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "1.5s"),
                    ANSWER.getBytes(StandardCharsets.UTF_8));
        });
        startProxy("""
                upstreams:
                  - name: up
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m]
                """.formatted(up.baseUrl()));
        assertThat(proxy.postJson("/v1/chat/completions", chat("m")).statusCode()).isEqualTo(200);
        HttpResponse<String> second = proxy.postJson("/v1/chat/completions", chat("m"));
        assertThat(second.statusCode()).as("held back, then sent: no 429").isEqualTo(200);
        assertThat(arrivals).hasSize(2);
        assertThat(arrivals.get(1) - arrivals.get(0)).as("the second reached the upstream after the reset")
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1400));
    }

    @Test
    void aDeclaredRpmIsNeverExceededAndWhatCannotWaitIs429WithRetryAfter() throws Exception {
        FakeUpstream up = fake();
        startProxy("""
                upstreams:
                  - name: up
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m]
                    limits: {rpm: 3}
                """.formatted(up.baseUrl()), "UPSTREAM_QUEUE_TIMEOUT_MS", "1000");
        List<Integer> statuses = new ArrayList<>();
        HttpResponse<String> refused = null;
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("m"));
            statuses.add(r.statusCode());
            if (r.statusCode() == 429) {
                refused = r;
            }
        }
        assertThat(statuses).containsExactly(200, 200, 200, 429, 429);
        assertThat(up.requests()).as("the upstream never sees more than its rpm").hasSize(3);
        JsonNode error = Json.MAPPER.readTree(refused.body());
        assertThat(error.at("/error/code").asText()).isEqualTo("rate_limit");
        assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 21L);
    }

    @Test
    void aRouteMovesOnWhileItsFirstTargetHasNoRoomAndMetricsSayWhy() throws Exception {
        FakeUpstream a = fake();
        FakeUpstream b = fake();
        startProxy("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m1]
                    limits: {rpm: 1}
                  - name: b
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m2]
                routes:
                  fast: [a/m1, b/m2]
                """.formatted(a.baseUrl(), b.baseUrl()));
        HttpResponse<String> first = proxy.postJson("/v1/chat/completions", chat("fast"));
        HttpResponse<String> second = proxy.postJson("/v1/chat/completions", chat("fast"));
        assertThat(first.headers().firstValue("x-llm-proxy-upstream")).hasValue("a");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-llm-proxy-upstream")).as("a has no room left this minute")
                .hasValue("b");
        assertThat(a.requests()).hasSize(1);

        String metrics = proxy.get("/metrics").body();
        assertThat(metrics).contains("failovers_total{route=\"fast\",reason=\"limit\",} 1.0");
        assertThat(metrics).contains("upstream_failovers_total{upstream=\"a\",} 1.0");
        assertThat(metrics).as("each upstream's keep-alive connection is back in its pool, none in use")
                .contains("upstream_connections_open{upstream=\"a\",} 1.0")
                .contains("upstream_connections_idle{upstream=\"a\",} 1.0")
                .contains("upstream_connections_open{upstream=\"b\",} 1.0")
                .contains("upstream_connections_idle{upstream=\"b\",} 1.0");
    }

    @Test
    void anUpstreamThatCannotBeReachedIsSkippedByItsRouteAndHealthSaysSo() throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        FakeUpstream b = fake();
        startProxy("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base_url: http://127.0.0.1:%d/v1
                    models: [m1]
                  - name: b
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m2]
                routes:
                  fast: [a/m1, b/m2]
                """.formatted(closed, b.baseUrl()), "CIRCUIT_BREAKER_THRESHOLD", "2",
                "CIRCUIT_BREAKER_FIRST_OPEN_MS", "60000"); // no probe during the test, however slow the machine
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = proxy.postJson("/v1/chat/completions", chat("fast"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-llm-proxy-upstream")).hasValue("b");
        }
        JsonNode health = Json.MAPPER.readTree(proxy.get("/health").body());
        assertThat(health.at("/upstreams/0/breaker").asText()).isEqualTo("open");
        assertThat(health.at("/upstreams/1/breaker").asText()).isEqualTo("closed");
        String metrics = proxy.get("/metrics").body();
        assertThat(metrics).as("two refused connections open a's breaker; then it is skipped without trying")
                .contains("failovers_total{route=\"fast\",reason=\"connect\",} 2.0")
                .contains("failovers_total{route=\"fast\",reason=\"limit\",} 3.0");
    }
}
