package dev.llmproxy.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import dev.llmproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An upstream's 429 seen by one replica holds every replica back: the model it paused is answered locally by the
 * others (no upstream call), another model is not, and a replica started during the pause starts paused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicasLearnedQuotaIT {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @TempDir
    Path dir;

    private final List<ProxyUnderTest> proxies = new ArrayList<>();
    private FakeUpstream upstream;

    @AfterEach
    void stop() {
        proxies.forEach(ProxyUnderTest::close);
        if (upstream != null) {
            upstream.close();
        }
    }

    private ProxyUnderTest replica(String prefix) throws Exception {
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: up
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m, n]
                """.formatted(upstream.baseUrl()), StandardCharsets.UTF_8);
        ProxyUnderTest proxy = ProxyUnderTest.start(ProxyUnderTest.settings("CONFIG_FILE", file.toString(),
                "REDIS_URL", REDIS.url(), "REDIS_KEY_PREFIX", prefix, "REDIS_TIMEOUT_MS", "1000"));
        proxies.add(proxy);
        return proxy;
    }

    private static HttpResponse<String> chat(ProxyUnderTest proxy, String model) throws Exception {
        return proxy.postJson("/v1/chat/completions",
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private static boolean paused(ProxyUnderTest proxy, String model) throws Exception {
        JsonNode observed = Json.MAPPER.readTree(proxy.get("/v1/rate-limits/observed").body());
        return observed.findValue(model) != null && observed.findValue(model).has("paused_until");
    }

    private int callsFor(String model) {
        int n = 0;
        for (RecordedRequest r : upstream.requests()) {
            if (r.bodyString().contains("\"" + model + "\"")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void a429WithRetryAfterSeenByOneReplicaPausesThatModelOnEveryReplica() throws Exception {
        upstream = FakeUpstream.start(false);
        AtomicInteger refusals = new AtomicInteger();
        upstream.handler((request, exchange) -> {
            if (request.bodyString().contains("\"m\"")) {
                refusals.incrementAndGet();
                exchange.respond(429, Map.of("content-type", "application/json", "retry-after", "30"),
                        ("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,"
                                + "\"code\":\"rate_limit_exceeded\"}}").getBytes(StandardCharsets.UTF_8));
            } else {
                exchange.respondJson(200, FakeUpstream.chatCompletion("hi"));
            }
        });
        String prefix = "it-" + UUID.randomUUID() + ":";
        List<ProxyUnderTest> replicas = List.of(replica(prefix), replica(prefix), replica(prefix));

        HttpResponse<String> first = chat(replicas.get(0), "m");
        assertThat(first.statusCode()).isEqualTo(429);
        assertThat(first.headers().firstValue("retry-after")).hasValue("30");
        assertThat(callsFor("m")).isEqualTo(1);

        // the news travels in milliseconds; the observed report shows when it has arrived
        await().atMost(Duration.ofSeconds(5)).until(() -> paused(replicas.get(1), "m") && paused(replicas.get(2), "m"));
        for (ProxyUnderTest other : replicas.subList(1, 3)) {
            HttpResponse<String> held = chat(other, "m");
            assertThat(held.statusCode()).as(held.body()).isEqualTo(429);
            long retryAfter = Long.parseLong(held.headers().firstValue("retry-after").orElseThrow());
            assertThat(retryAfter).isBetween(20L, 30L);
            assertThat(Json.MAPPER.readTree(held.body()).at("/error/message").asText())
                    .contains("the proxy holds requests back");
            assertThat(chat(other, "n").statusCode()).as("another model goes on").isEqualTo(200);
        }
        assertThat(callsFor("m")).as("no replica spent another call on the paused model").isEqualTo(1);

        ProxyUnderTest late = replica(prefix);
        await().atMost(Duration.ofSeconds(5)).until(() -> paused(late, "m"));
        assertThat(chat(late, "m").statusCode()).isEqualTo(429);
        assertThat(callsFor("m")).isEqualTo(1);
        assertThat(refusals.get()).isEqualTo(1);
    }
}
