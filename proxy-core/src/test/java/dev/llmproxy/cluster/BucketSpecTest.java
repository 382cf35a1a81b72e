package dev.llmproxy.cluster;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BucketSpecTest {

    @Test
    void perMinuteIsTheUnitOfRpmAndTpm() {
        BucketSpec tpm = BucketSpec.perMinute("client:a:tpm", 200_000, 200_000, 812);

        assertThat(tpm.period()).isEqualTo(Duration.ofMinutes(1));
        assertThat(tpm.periodMicros()).isEqualTo(60_000_000L);
    }

    @Test
    void refusesABucketThatCannotExistWithTheRuleItBroke() {
        assertThatThrownBy(() -> BucketSpec.perMinute("x", 0, 1, 1)).hasMessage("rate: 0 (expected: >= 1)");
        assertThatThrownBy(() -> BucketSpec.perMinute("x", 1, 0, 1)).hasMessage("burst: 0 (expected: >= 1)");
        assertThatThrownBy(() -> BucketSpec.perMinute("", 1, 1, 1))
                .hasMessage("name: \"\" (expected: a non-empty bucket name)");
        assertThatThrownBy(() -> new BucketSpec("x", 1, Duration.ofNanos(999), 1, 1))
                .hasMessage("period: PT0.000000999S (expected: >= 1 microsecond)");
    }

    @Test
    void timingsKeepTheHeartbeatInsideEveryTimeToLive() {
        assertThatThrownBy(() -> new RedisTimings(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(5)))
                .hasMessageStartingWith("heartbeatInterval: PT5S (expected: shorter than leaseTtl PT5S");
    }
}
