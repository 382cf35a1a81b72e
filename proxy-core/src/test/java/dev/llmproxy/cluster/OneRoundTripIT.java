package dev.llmproxy.cluster;

import dev.llmproxy.config.ClientKeyDigest;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RedisMonitor;
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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What one request through Redis costs, counted on a real {@code redis-server} with {@code MONITOR}: with every shared
 * limit in force (the client key's rpm, tpm, rpd, concurrency and monthly budget, the upstream's rpm, tpm and
 * concurrency, its pauses, the per-(client, model) {@code RATE_LIMIT_PER_MINUTE} bucket), exactly one script before the upstream sees the request and exactly one after the
 * response; and a refusal on one limit (the client's concurrency) takes nothing from the others.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OneRoundTripIT {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final String KEY = "team-a-key-0123456789";
    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dir;

    private final ExecutorService clients = Executors.newFixedThreadPool(4);
    private final LinkedBlockingQueue<FakeUpstream.Exchange> held = new LinkedBlockingQueue<>();
    private ProxyUnderTest proxy;
    private FakeUpstream upstream;

    @AfterEach
    void stop() {
        clients.shutdownNow();
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** A proxy whose upstream holds each request until the test answers it. */
    private String start(String clientLimits) throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler((request, exchange) -> held.add(exchange));
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: up
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m]
                    limits: {rpm: 1000, tpm: 1000000, concurrency: 10, scope: upstream}
                clients:
                  - name: team-a
                    key_sha256: %s
                    limits: %s
                """.formatted(upstream.baseUrl(), ClientKeyDigest.of(KEY).hex(), clientLimits),
                StandardCharsets.UTF_8);
        String prefix = "it-" + UUID.randomUUID() + ":";
        // a long lease time to live: the heartbeat that renews leases comes every 20 s, not during the count
        proxy = ProxyUnderTest.start(ProxyUnderTest.settings("CONFIG_FILE", file.toString(), "REDIS_URL", REDIS.url(),
                "REDIS_KEY_PREFIX", prefix, "REDIS_LEASE_TTL_MS", "60000", "RATE_LIMIT_ENABLED", "true",
                "RATE_LIMIT_PER_MINUTE", "1000"));
        return prefix;
    }

    private Future<HttpResponse<String>> send() {
        return clients.submit(() -> proxy.postJson("/v1/chat/completions", CHAT, "Authorization", "Bearer " + KEY));
    }

    private FakeUpstream.Exchange awaitUpstream() throws InterruptedException {
        FakeUpstream.Exchange exchange = held.poll(20, TimeUnit.SECONDS);
        assertThat(exchange).as("the upstream got the request").isNotNull();
        return exchange;
    }

    private static CompletableFuture<Void> answer(FakeUpstream.Exchange exchange) {
        return exchange.respondJson(200, FakeUpstream.chatCompletion("hi"));
    }

    /**
     * The request path's round trips: the commands a client sent (not those a script ran, which MONITOR shows as
     * from {@code lua}) naming this test's keys, less the replica registry's and totals'.
     */
    private static List<String> requestCommands(RedisMonitor monitor, String prefix) {
        return monitor.lines(prefix).stream().filter(l -> !l.contains(" lua] ") && !l.contains(prefix + "replica"))
                .toList();
    }

    @Test
    void oneScriptBeforeTheUpstreamCallAndOneAfterTheResponse() throws Exception {
        String prefix = start("{rpm: 100, tpm: 100000, rpd: 1000, concurrency: 5, monthly_tokens: 1000000}");
        // a first request loads what loads lazily (scripts after NOSCRIPT, connections)
        Future<HttpResponse<String>> warm = send();
        answer(awaitUpstream());
        assertThat(warm.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        try (RedisMonitor monitor = new RedisMonitor(REDIS.port())) {
            await().pollDelay(Duration.ofMillis(300)).until(() -> true); // the warm-up's settling call has landed
            int before = requestCommands(monitor, prefix).size();

            Future<HttpResponse<String>> response = send();
            FakeUpstream.Exchange exchange = awaitUpstream();
            List<String> beforeUpstream = requestCommands(monitor, prefix).subList(before,
                    requestCommands(monitor, prefix).size());
            assertThat(beforeUpstream).as("every shared limit checked in one round trip").hasSize(1);
            assertThat(beforeUpstream.get(0)).contains("\"EVALSHA\"")
                    .contains(prefix + "bucket:client:team-a:rpm").contains(prefix + "lease:client:team-a")
                    .contains(prefix + "count:client:team-a:requests").contains(prefix + "count:client:team-a:tokens")
                    .contains(prefix + "pause:upstream:up").contains(prefix + "bucket:upstream:up:rpm")
                    .contains(prefix + "lease:upstream:up").contains(prefix + "bucket:rate:client:team-a:m");

            answer(exchange);
            HttpResponse<String> ok = response.get(20, TimeUnit.SECONDS);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("x-ratelimit-limit-requests")).hasValue("100");
            await().atMost(Duration.ofSeconds(5)).until(() -> requestCommands(monitor, prefix).size() > before + 1);
            await().pollDelay(Duration.ofMillis(500)).until(() -> true); // nothing else follows
            List<String> after = requestCommands(monitor, prefix).subList(before + 1,
                    requestCommands(monitor, prefix).size());
            assertThat(after).as("leases, tpm and month charged in one call").hasSize(1);
            assertThat(after.get(0)).contains("\"EVALSHA\"").contains(prefix + "lease:client:team-a")
                    .contains(prefix + "lease:upstream:up").contains(prefix + "count:client:team-a:tokens")
                    .contains(prefix + "bucket:client:team-a:tpm").contains(prefix + "bucket:upstream:up:tpm");
        }
    }

    @Test
    void aConcurrencyRefusalTakesNothingFromTheOtherLimits() throws Exception {
        String prefix = start("{rpm: 6, rpd: 100, concurrency: 1}");
        Future<HttpResponse<String>> first = send();
        FakeUpstream.Exchange exchange = awaitUpstream();

        HttpResponse<String> refused = send().get(20, TimeUnit.SECONDS);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(Json.MAPPER.readTree(refused.body()).at("/error/code").asText()).isEqualTo("client_rate_limit");
        assertThat(Json.MAPPER.readTree(refused.body()).at("/error/message").asText()).contains("in flight");
        assertThat(refused.headers().firstValue("retry-after")).isPresent();

        answer(exchange);
        HttpResponse<String> ok = first.get(20, TimeUnit.SECONDS);
        assertThat(ok.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("5");
        await().atMost(Duration.ofSeconds(5)).until(() -> REDIS.command("ZCARD", prefix + "lease:client:team-a")
                .equals(":0"));
        Future<HttpResponse<String>> third = send();
        answer(awaitUpstream());
        // the refused request took no rpm token (one comes back every 10 s): 6 - 2, not 6 - 3
        assertThat(third.get(20, TimeUnit.SECONDS).headers().firstValue("x-ratelimit-remaining-requests"))
                .hasValue("4");
        String today = "d:" + LocalDate.now(ZoneOffset.UTC);
        assertThat(REDIS.value("GET", prefix + "count:client:team-a:requests:" + today))
                .as("the refused request was not counted in the day").isEqualTo("2");
        assertThat(upstream.requests()).hasSize(2);
    }
}
