package dev.llmproxy.upstream;

import dev.llmproxy.config.UpstreamLimits;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamGateTest {
    private static final long T0 = 5_000_000_000L;

    private static HttpHeaders headers(String... pairs) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < pairs.length; i += 2) {
            h.add(pairs[i], pairs[i + 1]);
        }
        return h;
    }

    @Test
    void theDeclaredRpmAndConcurrencyAreKeptAndSayHowLongToWait() {
        UpstreamGate gate = new UpstreamGate(new UpstreamLimits(2, 0, 1, UpstreamLimits.Scope.UPSTREAM), T0);
        assertThat(gate.tryEnter(10, T0)).isZero();
        assertThat(gate.tryEnter(10, T0)).as("one in flight").isPositive();
        gate.leave(10, 10, T0);
        assertThat(gate.tryEnter(10, T0)).isZero();
        gate.leave(10, 10, T0);
        assertThat(gate.tryEnter(10, T0)).as("two a minute: half a minute for the next")
                .isEqualTo(TimeUnit.SECONDS.toNanos(30));
        assertThat(gate.tryEnter(10, T0 + TimeUnit.SECONDS.toNanos(30))).isZero();
    }

    @Test
    void tokensPerMinuteCountTheEstimateAndSettleToWhatWasUsed() {
        UpstreamGate gate = new UpstreamGate(new UpstreamLimits(0, 1000, 0, UpstreamLimits.Scope.MODEL), T0);
        assertThat(gate.tryEnter(800, T0)).isZero();
        assertThat(gate.tryEnter(800, T0)).as("800 + 800 > 1000").isPositive();
        gate.leave(800, 100, T0);
        assertThat(gate.tryEnter(800, T0)).as("only 100 were used").isZero();
    }

    @Test
    void remainingZeroPausesUntilTheResetAndRetryAfterOnA429PausesToo() {
        UpstreamGate gate = new UpstreamGate(UpstreamLimits.NONE, T0);
        gate.learn(200, headers("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "2s"), T0);
        assertThat(gate.tryEnter(1, T0)).isEqualTo(TimeUnit.SECONDS.toNanos(2));
        assertThat(gate.tryEnter(1, T0 + TimeUnit.SECONDS.toNanos(2))).isZero();

        UpstreamGate limited = new UpstreamGate(UpstreamLimits.NONE, T0);
        limited.learn(429, headers("retry-after-ms", "1500", "retry-after", "9"), T0);
        assertThat(limited.tryEnter(1, T0)).as("retry-after-ms is the precise one")
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(1500));
        gate.learn(200, headers("x-ratelimit-remaining-requests", "5", "x-ratelimit-reset-requests", "1m"), T0);
        assertThat(gate.tryEnter(1, T0 + TimeUnit.SECONDS.toNanos(2))).as("remaining above 0 pauses nothing").isZero();
    }

    @Test
    void readsOpenAisResetDurations() {
        assertThat(UpstreamGate.duration("6m0s")).isEqualTo(TimeUnit.MINUTES.toNanos(6));
        assertThat(UpstreamGate.duration("1.5s")).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1500));
        assertThat(UpstreamGate.duration("250ms")).isEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
        assertThat(UpstreamGate.duration("1h2m")).isEqualTo(TimeUnit.MINUTES.toNanos(62));
        assertThat(UpstreamGate.duration("soon")).isZero();
        assertThat(UpstreamGate.duration(null)).isZero();
        assertThat(UpstreamGate.retryAfter(headers("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"))).isZero();
    }
}
