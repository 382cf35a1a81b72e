package dev.llmproxy.cluster;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class RedisHealthTest {

    private Instant now = Instant.parse("2026-12-02T10:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final RedisHealth health = new RedisHealth(clock);

    @Test
    void startsDownUntilRedisFirstAnswersAndRecoversOncePerOutage() {
        AtomicInteger recoveries = new AtomicInteger();
        health.onRecovered(recoveries::incrementAndGet);
        assertThat(health.admitsCalls()).isFalse();
        assertThat(health.snapshot().since()).isEqualTo(now);

        now = now.plusSeconds(3);
        health.succeeded();
        health.succeeded();
        assertThat(health.admitsCalls()).isTrue();
        assertThat(health.snapshot().since()).isEqualTo(now);
        assertThat(recoveries).hasValue(1);

        now = now.plusSeconds(60);
        health.failed(new RedisCommandTimeoutException("EVALSHA timed out after 200 ms"));
        health.failed(new RedisConnectionException("Connection closed"));
        RedisHealth.Snapshot down = health.snapshot();
        assertThat(down.up()).isFalse();
        assertThat(down.since()).isEqualTo(now);
        assertThat(down.lastError()).isEqualTo("RedisConnectionException: Connection closed");
        assertThat(down.timeouts()).isEqualTo(1);
        assertThat(down.unreachable()).isEqualTo(1);

        health.succeeded();
        assertThat(recoveries).hasValue(2);
    }

    @Test
    void anErrorReplyFailsItsCallButLeavesRedisUpUnlessItSaysTheServerCannotServe() {
        health.succeeded();

        health.failed(new RedisCommandExecutionException("WRONGTYPE Operation against a key holding the wrong kind"));
        assertThat(health.admitsCalls()).isTrue();
        assertThat(health.snapshot().errors()).isEqualTo(1);
        assertThat(health.snapshot().lastError()).contains("WRONGTYPE");

        health.failed(new RedisCommandExecutionException("LOADING Redis is loading the dataset in memory"));
        assertThat(health.admitsCalls()).isFalse();
        assertThat(health.snapshot().errors()).isEqualTo(2);
    }

    @Test
    void countsCallsSentAndAnsweredWithoutRedis() {
        health.callSent();
        health.callSent();
        health.callShortCircuited();

        assertThat(health.snapshot().calls()).isEqualTo(2);
        assertThat(health.snapshot().shortCircuited()).isEqualTo(1);
    }
}
