package dev.llmproxy.upstream;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamBreakerTest {
    private static final long T0 = 1_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    @Test
    void opensAfterConsecutiveFaultsThenLetsOneProbeDecide() {
        UpstreamBreaker b = new UpstreamBreaker(3, Duration.ofSeconds(10));
        b.fault(T0);
        b.fault(T0);
        b.success();
        b.fault(T0);
        b.fault(T0);
        assertThat(b.tryPass(T0)).as("a success in between resets the count").isZero();
        b.fault(T0);
        assertThat(b.state(T0)).isEqualTo(UpstreamBreaker.State.OPEN);
        assertThat(b.tryPass(T0 + SECOND)).isEqualTo(9 * SECOND);

        long later = T0 + 10 * SECOND;
        assertThat(b.tryPass(later)).as("the probe").isZero();
        assertThat(b.tryPass(later)).as("only one probe at a time").isPositive();
        b.fault(later);
        assertThat(b.state(later)).as("the probe failed: open again").isEqualTo(UpstreamBreaker.State.OPEN);
        assertThat(b.tryPass(later + 10 * SECOND)).isZero();
        b.success();
        assertThat(b.state(later + 10 * SECOND)).isEqualTo(UpstreamBreaker.State.CLOSED);
    }

    @Test
    void aZeroThresholdNeverOpens() {
        UpstreamBreaker off = new UpstreamBreaker(0, Duration.ofSeconds(10));
        for (int i = 0; i < 100; i++) {
            off.fault(T0);
        }
        assertThat(off.tryPass(T0)).isZero();
    }
}
