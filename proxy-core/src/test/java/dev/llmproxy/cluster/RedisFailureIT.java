package dev.llmproxy.cluster;

import dev.llmproxy.cluster.BucketDecision.Verdict;
import dev.llmproxy.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static dev.llmproxy.cluster.Replicas.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class RedisFailureIT {

    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final Duration TIMEOUT = Duration.ofMillis(300);
    /** Generous on a shared machine; what matters is that nothing waits for Redis to come back. */
    private static final Duration PROMPTLY = TIMEOUT.plusSeconds(2);
    private static final BucketSpec RPM = BucketSpec.perMinute("client:f:rpm", 600, 600, 1);

    private final Replicas replicas = new Replicas(REDIS.url());

    @AfterEach
    void closeReplicasAndReviveRedis() throws Exception {
        replicas.close();
        if (!"+PONG".equals(pingQuietly())) {
            REDIS.restart();
        }
    }

    /** A replica whose calls time out after {@link #TIMEOUT}, once it has answered one. */
    private SharedLimits startWithShortTimeout() {
        SharedLimits limits = replicas.startUnconnectedAndWait(replicas.config(TIMEOUT));
        // on a busy machine a first call may itself take longer than 300 ms
        await().atMost(Duration.ofSeconds(10)).until(() -> admit(limits).allowed());
        return limits;
    }

    @Test
    void aFrozenRedisAnswersUnavailableWithinTheTimeoutThenAtOnceUntilItThaws() throws Exception {
        SharedLimits limits = startWithShortTimeout();

        REDIS.freeze();
        try {
            long started = System.nanoTime();
            BucketDecision stalled = admit(limits);
            Duration waited = Duration.ofNanos(System.nanoTime() - started);

            assertThat(stalled.verdict()).isEqualTo(Verdict.UNAVAILABLE);
            assertThat(waited).isGreaterThanOrEqualTo(TIMEOUT.minusMillis(20)).isLessThan(PROMPTLY);
            RedisHealth.Snapshot down = limits.health().snapshot();
            assertThat(down.up()).isFalse();
            assertThat(down.timeouts()).isGreaterThanOrEqualTo(1);
            assertThat(down.lastError()).contains("RedisCommandTimeoutException");

            // down: every kind of call is answered at once, without going to Redis
            long before = limits.health().snapshot().shortCircuited();
            assertThat(admit(limits)).isEqualTo(BucketDecision.UNAVAILABLE);
            assertThat(get(limits.leases().acquire(replicas.loop(), "u", 1))).isEqualTo(LeaseGrant.UNAVAILABLE);
            assertThat(get(limits.counters().read(replicas.loop(), "c"))).isEqualTo(PeriodCounts.UNAVAILABLE);
            assertThat(get(limits.upstreams().pauseLeft(replicas.loop(), "u"))).isEqualTo(-1L);
            assertThat(get(limits.upstreams().pause(replicas.loop(), "u", Duration.ofSeconds(1)))).isEqualTo(-1L);
            assertThat(get(limits.replicas().count(replicas.loop()))).isEqualTo(-1);
            assertThat(limits.health().snapshot().shortCircuited()).isEqualTo(before + 6);
        } finally {
            REDIS.thaw();
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> admit(limits).allowed());
        assertThat(limits.health().snapshot().up()).isTrue();
    }

    @Test
    void aKilledRedisIsNoticedAtOnceAndARestartedOneServesAgainWithUsageMadeMeanwhile() throws Exception {
        SharedLimits limits = replicas.start();
        assertThat(get(limits.counters().add(replicas.loop(), "client:k:tokens", 5)).day()).isEqualTo(5);

        REDIS.kill();
        await().atMost(Duration.ofSeconds(10)).until(() -> admit(limits).verdict() == Verdict.UNAVAILABLE);
        assertThat(limits.health().snapshot().up()).isFalse();
        PeriodCounts duringOutage = get(limits.counters().add(replicas.loop(), "client:k:tokens", 7));
        assertThat(duringOutage.available()).isFalse();
        assertThat(limits.counters().pendingUsage()).isEqualTo(7);
        assertThat(limits.status().redis().up()).isFalse();

        REDIS.restart();

        await().atMost(Duration.ofSeconds(15)).until(() -> limits.health().admitsCalls());
        // the restarted Redis is empty: its script cache too, yet the scripts run
        assertThat(admit(limits).allowed()).isTrue();
        // usage kept during the outage was added once Redis answered; what was in the lost Redis is gone with it
        await().atMost(Duration.ofSeconds(10))
                .until(() -> get(limits.counters().read(replicas.loop(), "client:k:tokens")).day() == 7);
        assertThat(limits.counters().pendingUsage()).isZero();
        assertThat(get(limits.replicas().count(replicas.loop()))).isEqualTo(1);
    }

    @Test
    void aReplicaStartsBeforeItsRedisAndConnectsWhenItComes() throws Exception {
        REDIS.kill();
        SharedLimits limits = replicas.startUnconnected(replicas.config(), SharedClock.server(),
                Replicas.TEST_TIMINGS, Clock.systemUTC());

        assertThat(limits.awaitConnected(Duration.ofMillis(300))).isFalse();
        long started = System.nanoTime();
        assertThat(admit(limits)).isEqualTo(BucketDecision.UNAVAILABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PROMPTLY);
        await().atMost(Duration.ofSeconds(10)).until(() -> !limits.health().snapshot().lastError().isEmpty());
        assertThat(limits.status().redis().up()).isFalse();

        REDIS.restart();

        assertThat(limits.awaitConnected(Duration.ofSeconds(15))).isTrue();
        assertThat(admit(limits).allowed()).isTrue();
    }

    private BucketDecision admit(SharedLimits limits) {
        return get(limits.buckets().admit(replicas.loop(), List.of(), List.of(RPM)));
    }

    private static String pingQuietly() {
        try {
            return REDIS.command("PING");
        } catch (Exception e) {
            return "";
        }
    }
}
