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

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three replicas of the proxy in one JVM sharing one real {@code redis-server}, in front of one fake upstream that
 * enforces its own limits (20 requests a minute, 4 at once: a 429 beyond): together they keep within the upstream's
 * declared limits and within a client key's limits as one proxy would; a client's concurrency slots held by a
 * replica that stopped talking to Redis come back after the lease time to live; a monthly token budget is charged
 * with exact usage (stream and non-stream) by whichever replica served, and refuses the next request before any
 * upstream call; Redis killed mid-run leaves {@code local} replicas answering and {@code closed} ones refusing, says so
 * on {@code /health}, and shared limits resume once it is back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicasSharedLimitsIT {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final String KEY = "team-a-key-0123456789";
    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dir;

    private final List<ProxyUnderTest> proxies = new ArrayList<>();
    private final ExecutorService clients = Executors.newFixedThreadPool(32);
    private FakeUpstream upstream;

    @AfterEach
    void stop() throws Exception {
        clients.shutdownNow();
        proxies.forEach(ProxyUnderTest::close);
        if (upstream != null) {
            upstream.close();
        }
        REDIS.thaw();
    }

    /**
     * An upstream that answers after {@code delay} and refuses with 429 what exceeds 20 a minute (a bucket of 20
     * refilled continuously, as providers count) or 4 at once.
     */
    private static final class LimitedUpstream implements FakeUpstream.Behavior {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger served = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final Duration delay;
        private double tokens = 20;
        private static final double GRACE_TOKENS = 1; // 3 s at 20 a minute
        private long refilledAt = System.nanoTime();

        LimitedUpstream(Duration delay) {
            this.delay = delay;
        }

        /**
         * Takes a request from the minute's allowance, judged one request's worth late (3 s at 20 a minute): the
         * proxy's clock runs ahead of the upstream's by each request's trip, which a loaded machine makes uneven (a
         * cold replica's first request has been seen to arrive over a second after it was admitted, which makes the
         * refill look early). That the proxy admits exactly its 20 and one per 3 s is asserted on the proxy's side.
         * The fake's one event loop calls it; synchronized anyway.
         */
        private synchronized boolean takeFromMinute() {
            long now = System.nanoTime();
            tokens = Math.min(20, tokens + (now - refilledAt) * 20.0 / TimeUnit.MINUTES.toNanos(1));
            refilledAt = now;
            if (tokens + GRACE_TOKENS < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }

        @Override
        public void handle(dev.llmproxy.testing.RecordedRequest request, FakeUpstream.Exchange exchange) {
            if (inFlight.incrementAndGet() > 4 || !takeFromMinute()) {
                inFlight.decrementAndGet();
                refused.incrementAndGet();
                exchange.respondJson(429, "{\"error\":{\"message\":\"over the upstream's limit\",\"type\":\"requests\","
                        + "\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
                return;
            }
            exchange.after(delay, () -> {
                inFlight.decrementAndGet();
                served.incrementAndGet();
                exchange.respondJson(200, FakeUpstream.chatCompletion("hi"));
            });
        }
    }

    private ProxyUnderTest replica(String prefix, String limitsYaml, String... settings) throws Exception {
        Path file = dir.resolve("llm-proxy-" + proxies.size() + ".yaml");
        Files.writeString(file, """
                upstreams:
                  - name: up
                    kind: openai-compatible
                    base_url: %s/v1
                    models: [m]
                %s
                clients:
                  - name: team-a
                    key_sha256: %s
                %s
                """.formatted(upstream.baseUrl(), limitsYaml.isEmpty() ? "" : "    limits: " + limitsYaml,
                ClientKeyDigest.of(KEY).hex(), clientLimits), StandardCharsets.UTF_8);
        Map<String, String> all = ProxyUnderTest.settings("CONFIG_FILE", file.toString(), "REDIS_URL", REDIS.url(),
                "REDIS_KEY_PREFIX", prefix, "REDIS_TIMEOUT_MS", "1000");
        for (int i = 0; i < settings.length; i += 2) {
            all.put(settings[i], settings[i + 1]);
        }
        ProxyUnderTest proxy = ProxyUnderTest.start(all);
        proxies.add(proxy);
        return proxy;
    }

    private String clientLimits = "";

    private List<ProxyUnderTest> three(String upstreamLimits, String clientLimitsYaml, String... settings)
            throws Exception {
        clientLimits = clientLimitsYaml.isEmpty() ? "" : "    limits: " + clientLimitsYaml;
        String prefix = "it-" + UUID.randomUUID() + ":";
        return List.of(replica(prefix, upstreamLimits, settings), replica(prefix, upstreamLimits, settings),
                replica(prefix, upstreamLimits, settings));
    }

    private static HttpResponse<String> chat(ProxyUnderTest proxy) throws Exception {
        return proxy.postJson("/v1/chat/completions", CHAT, "Authorization", "Bearer " + KEY);
    }

    private static String code(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body()).at("/error/code").asText();
    }

    @Test
    void threeReplicasKeepAnUpstreamsDeclaredLimitsAsOneProxyWould() throws Exception {
        upstream = FakeUpstream.start(false);
        LimitedUpstream limited = new LimitedUpstream(Duration.ofMillis(100));
        upstream.handler(limited);
        List<ProxyUnderTest> replicas = three("{rpm: 20, concurrency: 4, scope: upstream}", "",
                "UPSTREAM_QUEUE_TIMEOUT_MS", "2000");

        // 30 requests at once spread over the three: each replica alone would let all of them through
        long start = System.nanoTime();
        List<Future<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ProxyUnderTest proxy = replicas.get(i % 3);
            sent.add(clients.submit(() -> chat(proxy)));
        }
        int ok = 0;
        int limitedByProxy = 0;
        List<String> refusals = new ArrayList<>();
        for (Future<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(code(r)).as("refused by the proxy, not by the upstream").isNotEqualTo("rate_limit_exceeded");
                limitedByProxy++;
                refusals.add(Json.MAPPER.readTree(r.body()).at("/error/message").asText());
            }
        }
        long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

        assertThat(limited.refused.get()).as("no upstream 429").isZero();
        assertThat(limited.served.get()).isEqualTo(ok);
        // a full bucket of 20, then one more every 3 s the run lasted
        assertThat(ok).as("refused: %s", refusals).isBetween(20, 20 + (int) (elapsedSeconds / 3));
        assertThat(limitedByProxy).isEqualTo(30 - ok);
    }

    @Test
    void onePausesSightingByOneReplicaPausesTheOthers() throws Exception {
        upstream = FakeUpstream.start(false);
        AtomicInteger calls = new AtomicInteger();
        upstream.handler((request, exchange) -> exchange.respond(200, calls.incrementAndGet() == 1
                ? Map.of("content-type", "application/json", "x-ratelimit-remaining-requests", "0",
                        "x-ratelimit-reset-requests", "3s")
                : Map.of("content-type", "application/json"),
                FakeUpstream.chatCompletion("hi").getBytes(StandardCharsets.UTF_8)));
        List<ProxyUnderTest> replicas = three("", "", "UPSTREAM_QUEUE_TIMEOUT_MS", "500");

        assertThat(chat(replicas.get(0)).statusCode()).as("the upstream's last request until its reset").isEqualTo(200);
        HttpResponse<String> held = chat(replicas.get(1));
        assertThat(held.statusCode()).as("the other replica never saw that answer").isEqualTo(429);
        assertThat(code(held)).as("the proxy's upstream_rate_limited").isEqualTo("rate_limit");
        assertThat(calls.get()).as("refused before any upstream call").isEqualTo(1);

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
                .until(() -> chat(replicas.get(2)).statusCode() == 200);
    }

    @Test
    void aClientKeysRpmHoldsAcrossThreeReplicas() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi")));
        List<ProxyUnderTest> replicas = three("", "{rpm: 10}");

        int ok = 0;
        int refused = 0;
        for (int i = 0; i < 15; i++) {
            HttpResponse<String> r = chat(replicas.get(i % 3));
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(code(r)).isEqualTo("client_rate_limit");
                refused++;
            }
        }
        assertThat(ok).as("10 a minute across the three, not 10 each").isEqualTo(10);
        assertThat(refused).isEqualTo(5);
        assertThat(upstream.requests()).hasSize(10);

        // the monitor's totals: each replica's own row, their sum, and the client's shared counters
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
            JsonNode cluster = Json.MAPPER.readTree(replicas.get(0).get("/v1/stats", "Authorization", "Bearer " + KEY)
                    .body()).path("cluster");
            return cluster.at("/totals/replicas").asInt() == 3 && cluster.at("/totals/requests").asInt() == 10;
        });
        JsonNode cluster = Json.MAPPER.readTree(replicas.get(1).get("/v1/stats", "Authorization", "Bearer " + KEY)
                .body()).path("cluster");
        assertThat(cluster.path("replica").asText())
                .isEqualTo(Json.MAPPER.readTree(replicas.get(1).get("/health").body()).at("/redis/replica").asText());
        int sum = 0;
        for (JsonNode row : cluster.path("replicas")) {
            sum += row.path("requests").asInt();
        }
        assertThat(sum).as("the rows add up to the total").isEqualTo(cluster.at("/totals/requests").asInt());
        assertThat(cluster.at("/clients/0/name").asText()).isEqualTo("team-a");
        assertThat(cluster.at("/clients/0/requests_today").asInt()).as("admitted across the replicas; refusals"
                + " given back").isEqualTo(10);
        assertThat(cluster.at("/clients/0/tokens_this_month").asInt()).as("5 tokens each").isEqualTo(50);
    }

    @Test
    void aStoppedReplicasConcurrencySlotsComeBackAfterTheLeaseTtl() throws Exception {
        upstream = FakeUpstream.start(false);
        AtomicInteger calls = new AtomicInteger();
        upstream.handler((request, exchange) -> {
            if (calls.incrementAndGet() == 1) {
                return; // the first request stalls: its replica holds the client's only slot
            }
            exchange.respondJson(200, FakeUpstream.chatCompletion("hi"));
        });
        List<ProxyUnderTest> replicas = three("", "{concurrency: 1}", "REDIS_LEASE_TTL_MS", "1500");
        ProxyUnderTest a = replicas.get(0);
        ProxyUnderTest b = replicas.get(1);

        CompletableFuture.runAsync(() -> {
            try {
                chat(a);
            } catch (Exception e) {
                // the replica is stopped under it
            }
        }, clients);
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() == 1);
        HttpResponse<String> busy = chat(b);
        assertThat(busy.statusCode()).as("the slot is held on replica a").isEqualTo(429);
        assertThat(code(busy)).isEqualTo("client_rate_limit");

        // replica a stops talking to Redis without giving its slot back (a crash, as Redis sees it)
        a.server().sharedLimits().close();

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
                .until(() -> chat(b).statusCode() == 200);
        assertThat(calls.get()).as("the stalled request, then b's").isGreaterThanOrEqualTo(2);
    }

    @Test
    void aMonthlyBudgetIsChargedWithExactUsageByEveryReplicaThenRefusesBeforeTheUpstream() throws Exception {
        upstream = FakeUpstream.start(false);
        List<ProxyUnderTest> replicas = three("", "{monthly_tokens: 20}");
        String stream = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        List<byte[]> events = List.of(
                FakeUpstream.sseEvent("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}"),
                FakeUpstream.sseEvent("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                        + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3,\"total_tokens\":7}}"),
                FakeUpstream.sseEvent("[DONE]"));

        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi"))); // usage 5
        assertThat(chat(replicas.get(0)).statusCode()).isEqualTo(200);
        upstream.handler(FakeUpstream.sse(events, Duration.ofMillis(5))); // usage 7
        HttpResponse<String> streamed = replicas.get(1).postJson("/v1/chat/completions", stream,
                "Authorization", "Bearer " + KEY);
        assertThat(streamed.statusCode()).isEqualTo(200);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi"))); // usage 5
        assertThat(chat(replicas.get(2)).statusCode()).isEqualTo(200);
        String prefix = proxies.get(0).server().sharedLimits().config().keyPrefix();
        String month = java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
        String counter = prefix + "count:client:team-a:tokens:m:" + month;
        // charged after each response ended: exact usage, 5 + 7 + 5, whichever replica served
        await().atMost(Duration.ofSeconds(5)).until(() -> REDIS.command("INCRBY", counter, "0").equals(":17"));

        int before = upstream.requests().size();
        HttpResponse<String> fourth = chat(replicas.get(0));
        assertThat(fourth.statusCode()).as("17 of 20 used: one more request may go").isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> REDIS.command("INCRBY", counter, "0").equals(":22"));
        HttpResponse<String> refused = chat(replicas.get(1));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(code(refused)).isEqualTo("client_budget_exhausted");
        assertThat(upstream.requests()).as("refused before any upstream call").hasSize(before + 1);
    }

    @Test
    void redisKilledMidRunLocalKeepsAnsweringClosedRefusesAndSharedLimitsResume() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi")));
        String prefix = "it-" + UUID.randomUUID() + ":";
        clientLimits = "    limits: {rpm: 3}";
        ProxyUnderTest local1 = replica(prefix, "", "REDIS_FAILURE_MODE", "local");
        ProxyUnderTest local2 = replica(prefix, "", "REDIS_FAILURE_MODE", "local");
        ProxyUnderTest closed = replica(prefix, "", "REDIS_FAILURE_MODE", "closed");
        await().atMost(Duration.ofSeconds(10)).until(() -> Json.MAPPER.readTree(local1.get("/health").body())
                .at("/redis/replicas").asInt() == 3);
        assertThat(chat(local1).statusCode()).isEqualTo(200);

        REDIS.kill();
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = chat(local2);
            assertThat(r.statusCode()).as("local limits stand in: rpm 3 over 3 replicas is 1 here").isIn(200, 429);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("no request hangs on Redis")
                    .isLessThan(5_000);
        }
        HttpResponse<String> refused = chat(closed);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(code(refused)).isEqualTo("limits_unavailable");
        JsonNode down = Json.MAPPER.readTree(local2.get("/health").body());
        assertThat(down.at("/redis/up").asBoolean()).isFalse();
        assertThat(down.at("/redis/failure_mode").asText()).isEqualTo("local");
        assertThat(local2.get("/metrics").body()).containsPattern("redis_up\\{failure_mode=\"local\",?} 0\\.0");

        REDIS.restart();
        for (ProxyUnderTest p : List.of(local1, local2, closed)) {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Json.MAPPER.readTree(p.get("/health").body()).at("/redis/up").asBoolean());
        }
        assertThat(chat(closed).statusCode()).as("closed answers again").isEqualTo(200);
        // Redis came back empty: the client's 3 a minute hold across the replicas again
        int ok = 1;
        int limitedCount = 0;
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = chat(List.of(local1, local2, closed).get(i % 3));
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(code(r)).isEqualTo("client_rate_limit");
                limitedCount++;
            }
        }
        assertThat(ok).as("3 a minute across the replicas once Redis is back").isEqualTo(3);
        assertThat(limitedCount).isEqualTo(4);
    }
}
