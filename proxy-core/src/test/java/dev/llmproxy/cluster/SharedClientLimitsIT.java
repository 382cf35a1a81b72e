package dev.llmproxy.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.config.ClientKeyDigest;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two replicas of the proxy sharing one real {@code redis-server}: a client key's {@code rpm} holds across both (the
 * third request is refused by whichever replica gets it), {@code /health} shows Redis and the replicas, and with
 * Redis frozen the replicas keep serving with their local limits ({@code local}) or refuse ({@code closed}).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SharedClientLimitsIT {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final String KEY = "team-a-key-0123456789";

    @TempDir
    Path dir;

    private final List<ProxyUnderTest> proxies = new ArrayList<>();
    private FakeUpstream upstream;

    @AfterEach
    void stop() throws Exception {
        proxies.forEach(ProxyUnderTest::close);
        if (upstream != null) {
            upstream.close();
        }
        REDIS.thaw();
    }

    private ProxyUnderTest replica(String prefix, String failureMode) throws IOException {
        if (upstream == null) {
            upstream = FakeUpstream.start(false);
            upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi")));
        }
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: up
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m]
                clients:
                  - name: team-a
                    key_sha256: %s
                    limits: {rpm: 2}
                """.formatted(upstream.baseUrl(), ClientKeyDigest.of(KEY).hex()), StandardCharsets.UTF_8);
        ProxyUnderTest proxy = ProxyUnderTest.start(ProxyUnderTest.settings("CONFIG_FILE", file.toString(),
                "REDIS_URL", REDIS.url(), "REDIS_KEY_PREFIX", prefix, "REDIS_FAILURE_MODE", failureMode));
        proxies.add(proxy);
        return proxy;
    }

    private static HttpResponse<String> chat(ProxyUnderTest proxy) throws Exception {
        return proxy.postJson("/v1/chat/completions",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "Authorization", "Bearer " + KEY);
    }

    private static String prefix() {
        return "it-" + UUID.randomUUID() + ":";
    }

    @Test
    void aClientsRpmHoldsAcrossReplicas() throws Exception {
        String prefix = prefix();
        ProxyUnderTest a = replica(prefix, "local");
        ProxyUnderTest b = replica(prefix, "local");

        HttpResponse<String> first = chat(a);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-ratelimit-limit-requests")).hasValue("2");
        assertThat(first.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("1");
        assertThat(chat(b).statusCode()).as("the second, on the other replica").isEqualTo(200);
        HttpResponse<String> third = chat(a);
        assertThat(third.statusCode()).as("each replica alone would allow 2: together they allow 2").isEqualTo(429);
        assertThat(Json.MAPPER.readTree(third.body()).at("/error/code").asText()).isEqualTo("client_rate_limit");
        assertThat(third.headers().firstValue("retry-after")).isPresent();
        assertThat(upstream.requests()).hasSize(2);

        JsonNode health = Json.MAPPER.readTree(a.get("/health").body());
        assertThat(health.at("/redis/up").asBoolean()).isTrue();
        assertThat(health.at("/redis/failure_mode").asText()).isEqualTo("local");
        assertThat(a.get("/health").body()).doesNotContain(REDIS.url());
    }

    @Test
    void withRedisFrozenLocalModeKeepsServingAndClosedModeRefuses() throws Exception {
        ProxyUnderTest local = replica(prefix(), "local");
        ProxyUnderTest closed = replica(prefix(), "closed");
        REDIS.freeze();
        HttpResponse<String> served = chat(local);
        assertThat(served.statusCode()).as("local limits stand in").isEqualTo(200);
        HttpResponse<String> refused = chat(closed);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(refused.body()).at("/error/code").asText()).isEqualTo("limits_unavailable");
    }
}
