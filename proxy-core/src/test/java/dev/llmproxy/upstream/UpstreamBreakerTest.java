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
        assertThat(b.tryPass(T0)).as("the first pause is a second: a blip costs seconds").isEqualTo(SECOND);

        long later = T0 + SECOND;
        assertThat(b.tryPass(later)).as("the probe").isZero();
        assertThat(b.tryPass(later)).as("only one probe at a time").isPositive();
        b.fault(later);
        assertThat(b.state(later)).as("the probe failed: open again").isEqualTo(UpstreamBreaker.State.OPEN);
        assertThat(b.tryPass(later)).as("for twice as long").isEqualTo(2 * SECOND);
        assertThat(b.tryPass(later + 2 * SECOND)).isZero();
        b.success();
        assertThat(b.state(later + 2 * SECOND)).isEqualTo(UpstreamBreaker.State.CLOSED);
    }

    @Test
    void failedProbesDoubleThePauseUpToTheOpenPeriod() {
        UpstreamBreaker b = new UpstreamBreaker(1, Duration.ofSeconds(10));
        long now = T0;
        b.fault(now);
        long[] pauses = new long[6];
        for (int i = 0; i < pauses.length; i++) {
            pauses[i] = b.tryPass(now);
            now += pauses[i];
            assertThat(b.tryPass(now)).isZero();
            b.fault(now);
        }
        assertThat(pauses).containsExactly(SECOND, 2 * SECOND, 4 * SECOND, 8 * SECOND, 10 * SECOND, 10 * SECOND);
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
