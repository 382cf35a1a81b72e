package dev.llmproxy.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
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
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The per-(client, model) bucket of {@code RATE_LIMIT_PER_MINUTE} with {@code REDIS_URL}: three replicas hold a
 * client to one bucket together (the reference kept this bucket in Redis for the same reason), refuse in the
 * reference's shape, and do not also charge a bucket of their own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicasClientRateIT {
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

    @AfterEach
    void redisBack() throws Exception {
        if (!REDIS.running()) {
            REDIS.restart();
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
                "REDIS_URL", REDIS.url(), "REDIS_KEY_PREFIX", prefix, "REDIS_TIMEOUT_MS", "1000",
                "RATE_LIMIT_ENABLED", "true", "RATE_LIMIT_PER_MINUTE", "6", "REDIS_LEASE_TTL_MS", "3000"));
        proxies.add(proxy);
        return proxy;
    }

    private static HttpResponse<String> chat(ProxyUnderTest proxy, String model) throws Exception {
        return proxy.postJson("/v1/chat/completions",
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    @Test
    void threeReplicasHoldOneClientToOneBucketPerModel() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler((request, exchange) -> exchange.respondJson(200, FakeUpstream.chatCompletion("hi")));
        String prefix = "it-" + UUID.randomUUID() + ":";
        List<ProxyUnderTest> replicas = List.of(replica(prefix), replica(prefix), replica(prefix));

        long start = System.nanoTime();
        int ok = 0;
        HttpResponse<String> refused = null;
        for (int i = 0; i < 15; i++) {
            HttpResponse<String> r = chat(replicas.get(i % 3), "m");
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                refused = r;
            }
        }
        long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

        // a bucket of 6, refilled one every 10 s; each replica alone would have let 6 through, 15 in all
        assertThat(ok).isBetween(6, 6 + (int) (elapsedSeconds / 10));
        assertThat(upstream.requests()).hasSize(ok);
        assertThat(refused).isNotNull();
        JsonNode body = Json.MAPPER.readTree(refused.body());
        assertThat(body.at("/error/code").asText()).isEqualTo("rate_limit");
        assertThat(body.at("/rate_limit/limit").asInt()).isEqualTo(6);
        assertThat(body.at("/rate_limit/used").asInt()).isEqualTo(6);
        assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 10L);
        assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");

        // another model has its own bucket
        assertThat(chat(replicas.get(1), "n").statusCode()).isEqualTo(200);
    }

    @Test
    void aBucketTakenInRedisIsNotChargedInProcessToo() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler((request, exchange) -> exchange.respondJson(200, FakeUpstream.chatCompletion("hi")));
        String prefix = "it-" + UUID.randomUUID() + ":";
        ProxyUnderTest proxy = replica(prefix);
        for (int i = 0; i < 6; i++) {
            assertThat(chat(proxy, "m").statusCode()).isEqualTo(200);
        }
        assertThat(chat(proxy, "m").statusCode()).isEqualTo(429);

        // Redis forgets the bucket: only a replica that had also counted in process would still refuse
        assertThat(REDIS.command("DEL", prefix + "bucket:rate:ip:127.0.0.1:m")).isEqualTo(":1");
        assertThat(chat(proxy, "m").statusCode()).isEqualTo(200);
    }

    @Test
    void whileRedisIsAwayEachReplicaHoldsItsShareOfTheBucket() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler((request, exchange) -> exchange.respondJson(200, FakeUpstream.chatCompletion("hi")));
        String prefix = "it-" + UUID.randomUUID() + ":";
        List<ProxyUnderTest> replicas = List.of(replica(prefix), replica(prefix), replica(prefix));
        ProxyUnderTest one = replicas.get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> Json.MAPPER.readTree(one.get("/health").body())
                .at("/redis/replicas").asInt() == 3);

        REDIS.kill();
        int ok = 0;
        HttpResponse<String> refused = null;
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = chat(one, "m");
            if (r.statusCode() == 200) {
                ok++;
            } else {
                refused = r;
            }
        }
        // 6 a minute over 3 replicas: 2 here, as long as they cannot count together
        assertThat(ok).isEqualTo(2);
        assertThat(refused).isNotNull();
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Json.MAPPER.readTree(refused.body()).at("/rate_limit/limit").asInt()).isEqualTo(2);
    }
}
