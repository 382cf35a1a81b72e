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
 * Admission's own limits across replicas sharing one {@code redis-server}: an upstream's 429 seen by one replica
 * holds every replica back (the model it paused is answered locally by the others, with no upstream call; a replica
 * started during the pause starts paused), and the per-(client, model) bucket of {@code RATE_LIMIT_PER_MINUTE} is one
 * bucket for all of them (refused in the reference's shape, not charged in process too, and divided among the
 * replicas while Redis is away).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicasAdmissionIT {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @TempDir
    Path dir;

    private final List<ProxyUnderTest> proxies = new ArrayList<>();
    private FakeUpstream upstream;
    private final String prefix = "it-" + UUID.randomUUID() + ":";

    @AfterEach
    void stop() throws Exception {
        proxies.forEach(ProxyUnderTest::close);
        if (upstream != null) {
            upstream.close();
        }
        if (!REDIS.running()) {
            REDIS.restart();
        }
    }

    /** A replica in front of {@link #upstream} (models m and n), sharing this test's keys in Redis. */
    private ProxyUnderTest replica(String... settings) throws Exception {
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: up
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m, n]
                """.formatted(upstream.baseUrl()), StandardCharsets.UTF_8);
        Map<String, String> all = ProxyUnderTest.settings("CONFIG_FILE", file.toString(), "REDIS_URL", REDIS.url(),
                "REDIS_KEY_PREFIX", prefix, "REDIS_TIMEOUT_MS", "1000", "REDIS_LEASE_TTL_MS", "3000");
        for (int i = 0; i < settings.length; i += 2) {
            all.put(settings[i], settings[i + 1]);
        }
        ProxyUnderTest proxy = ProxyUnderTest.start(all);
        proxies.add(proxy);
        return proxy;
    }

    private List<ProxyUnderTest> three(String... settings) throws Exception {
        return List.of(replica(settings), replica(settings), replica(settings));
    }

    private static HttpResponse<String> chat(ProxyUnderTest proxy, String model) throws Exception {
        return proxy.postJson("/v1/chat/completions",
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private void upstreamAnswers200() {
        upstream = FakeUpstream.start(false);
        upstream.handler((request, exchange) -> exchange.respondJson(200, FakeUpstream.chatCompletion("hi")));
    }

    /** Sends {@code count} chats for m, round robin over {@code to}: how many passed, and the last refusal (a 429). */
    private static Outcome send(List<ProxyUnderTest> to, int count) throws Exception {
        int ok = 0;
        HttpResponse<String> refused = null;
        for (int i = 0; i < count; i++) {
            HttpResponse<String> r = chat(to.get(i % to.size()), "m");
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                refused = r;
            }
        }
        return new Outcome(ok, refused);
    }

    private record Outcome(int ok, HttpResponse<String> refused) {
        JsonNode refusal() throws Exception {
            assertThat(refused).as("a refusal").isNotNull();
            return Json.MAPPER.readTree(refused.body());
        }
    }

    // ------------------------------------------------------------------ what an upstream 429 teaches

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
        List<ProxyUnderTest> replicas = three();

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

        ProxyUnderTest late = replica();
        await().atMost(Duration.ofSeconds(5)).until(() -> paused(late, "m"));
        assertThat(chat(late, "m").statusCode()).isEqualTo(429);
        assertThat(callsFor("m")).isEqualTo(1);
        assertThat(refusals.get()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ RATE_LIMIT_PER_MINUTE

    private static final String[] RATE_6 = {"RATE_LIMIT_ENABLED", "true", "RATE_LIMIT_PER_MINUTE", "6"};

    @Test
    void threeReplicasHoldOneClientToOneBucketPerModel() throws Exception {
        upstreamAnswers200();
        List<ProxyUnderTest> replicas = three(RATE_6);

        long start = System.nanoTime();
        Outcome sent = send(replicas, 15);
        long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

        // a bucket of 6, refilled one every 10 s; each replica alone would have let 6 through, 15 in all
        assertThat(sent.ok()).isBetween(6, 6 + (int) (elapsedSeconds / 10));
        assertThat(upstream.requests()).hasSize(sent.ok());
        JsonNode body = sent.refusal();
        assertThat(body.at("/error/code").asText()).isEqualTo("rate_limit");
        assertThat(body.at("/rate_limit/limit").asInt()).isEqualTo(6);
        assertThat(body.at("/rate_limit/used").asInt()).isEqualTo(6);
        assertThat(Long.parseLong(sent.refused().headers().firstValue("retry-after").orElseThrow()))
                .isBetween(1L, 10L);
        assertThat(sent.refused().headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");

        // another model has its own bucket
        assertThat(chat(replicas.get(1), "n").statusCode()).isEqualTo(200);
    }

    @Test
    void aBucketTakenInRedisIsNotChargedInProcessToo() throws Exception {
        upstreamAnswers200();
        ProxyUnderTest proxy = replica(RATE_6);
        assertThat(send(List.of(proxy), 7).ok()).isEqualTo(6);

        // Redis forgets the bucket: only a replica that had also counted in process would still refuse
        assertThat(REDIS.command("DEL", prefix + "bucket:rate:ip:127.0.0.1:m")).isEqualTo(":1");
        assertThat(chat(proxy, "m").statusCode()).isEqualTo(200);
    }

    @Test
    void whileRedisIsAwayEachReplicaHoldsItsShareOfTheBucket() throws Exception {
        upstreamAnswers200();
        ProxyUnderTest one = three(RATE_6).get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> Json.MAPPER.readTree(one.get("/health").body())
                .at("/redis/replicas").asInt() == 3);

        REDIS.kill();
        Outcome sent = send(List.of(one), 6);

        // 6 a minute over 3 replicas: 2 here, as long as they cannot count together
        assertThat(sent.ok()).isEqualTo(2);
        assertThat(sent.refusal().at("/rate_limit/limit").asInt()).isEqualTo(2);
    }
}
