package dev.llmproxy.admission;

import dev.llmproxy.admission.TokenBucket.Decision;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TokenBucket} against a {@link FakeNanoClock}: every decision and every number in it is exact. */
class TokenBucketTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final FakeNanoClock clock = new FakeNanoClock();

    @Test
    void fiveAMinuteWithBurstFiveDeniesTheSixthForTwelveSeconds() {
        TokenBucket bucket = new TokenBucket(5, 5, clock);

        for (int i = 1; i <= 5; i++) {
            assertThat(bucket.tryAcquire()).isEqualTo(new Decision(true, 5, 5 - i, 0, i * 12 * SECOND));
        }
        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(false, 5, 0, 12 * SECOND, 60 * SECOND));
    }

    @Test
    void refillsOneTokenPerInterval() {
        TokenBucket bucket = new TokenBucket(5, 5, clock);
        drain(bucket, 5);

        clock.advanceNanos(12 * SECOND - 1);
        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(false, 5, 0, 1, 48 * SECOND + 1));
        clock.advanceNanos(1);
        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(true, 5, 0, 0, 60 * SECOND));
        clock.advance(Duration.ofSeconds(30));
        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(true, 5, 1, 0, 42 * SECOND));
        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(true, 5, 0, 0, 54 * SECOND));
        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(false, 5, 0, 6 * SECOND, 54 * SECOND));
    }

    @Test
    void deniedAttemptsCostNothing() {
        TokenBucket bucket = new TokenBucket(5, 5, clock);
        drain(bucket, 5);
        clock.advance(Duration.ofSeconds(6));

        for (int i = 0; i < 100; i++) {
            assertThat(bucket.tryAcquire().retryAfterNanos()).isEqualTo(6 * SECOND);
        }
        clock.advance(Duration.ofSeconds(6));
        assertThat(bucket.tryAcquire().allowed()).isTrue();
    }

    @Test
    void aLongIdleBucketHoldsNoMoreThanTheBurst() {
        TokenBucket bucket = new TokenBucket(30, 3, clock);
        clock.advance(Duration.ofHours(5));

        assertThat(drain(bucket, 10)).containsExactly(true, true, true, false, false, false, false, false, false, false);
    }

    @Test
    void burstOneSpacesRequestsAtTheRate() {
        TokenBucket bucket = new TokenBucket(60, 1, clock);

        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(true, 1, 0, 0, SECOND));
        assertThat(bucket.tryAcquire()).isEqualTo(new Decision(false, 1, 0, SECOND, SECOND));
        clock.advance(Duration.ofMillis(999));
        assertThat(bucket.tryAcquire().allowed()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(bucket.tryAcquire().allowed()).isTrue();
    }

    @Test
    void fractionalRatesAreHonoured() {
        TokenBucket bucket = new TokenBucket(0.5, 1, clock);

        assertThat(bucket.tryAcquire().allowed()).isTrue();
        assertThat(bucket.tryAcquire().retryAfterNanos()).isEqualTo(120 * SECOND);
    }

    @Test
    void isIdleExactlyWhenFull() {
        TokenBucket bucket = new TokenBucket(5, 5, clock);
        assertThat(bucket.idle(clock.nanoTime())).isTrue();

        bucket.tryAcquire();
        assertThat(bucket.idle(clock.nanoTime())).isFalse();
        assertThat(bucket.idle(clock.nanoTime() + 12 * SECOND - 1)).isFalse();
        assertThat(bucket.idle(clock.nanoTime() + 12 * SECOND)).isTrue();
    }

    @Test
    void retiresOnlyWhenIdleAndThenAdmitsNothing() {
        TokenBucket bucket = new TokenBucket(5, 5, clock);
        bucket.tryAcquire();
        assertThat(bucket.retireIfIdle(clock.nanoTime())).isFalse();
        assertThat(bucket.tryAcquireUnlessRetired()).isNotNull();

        clock.advance(Duration.ofSeconds(24));
        assertThat(bucket.retireIfIdle(clock.nanoTime())).isTrue();
        assertThat(bucket.tryAcquireUnlessRetired()).isNull();
        assertThat(bucket.idle(clock.nanoTime())).isTrue();
    }

    @Test
    void rejectsNonsenseConfiguration() {
        assertThatThrownBy(() -> new TokenBucket(0, 5, clock)).hasMessageStartingWith("permitsPerMinute: 0.0 (expected:");
        assertThatThrownBy(() -> new TokenBucket(Double.NaN, 5, clock)).hasMessageContaining("(expected:");
        assertThatThrownBy(() -> new TokenBucket(Double.POSITIVE_INFINITY, 5, clock)).hasMessageContaining("(expected:");
        assertThatThrownBy(() -> new TokenBucket(5, 0, clock)).hasMessage("burst: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new TokenBucket(1e-12, Integer.MAX_VALUE, clock)).hasMessageContaining("(expected:");
    }

    @Test
    void admitsExactlyTheBurstUnderContentionAndExactlyTheRefillAfterwards() throws Exception {
        int burst = 2_000;
        TokenBucket bucket = new TokenBucket(600, burst, clock);

        assertThat(hammer(bucket, 4, 5_000)).isEqualTo(burst);
        clock.advance(Duration.ofSeconds(7)); // 70 tokens at 10 per second
        assertThat(hammer(bucket, 4, 5_000)).isEqualTo(70);
    }

    /** {@code threads} threads try {@code attempts} each, all at once; returns how many were allowed. */
    static long hammer(TokenBucket bucket, int threads, int attempts) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<Long> worker = () -> {
                    start.await();
                    long allowed = 0;
                    for (int i = 0; i < attempts; i++) {
                        if (bucket.tryAcquire().allowed()) {
                            allowed++;
                        }
                    }
                    return allowed;
                };
                results.add(pool.submit(worker));
            }
            start.countDown();
            long total = 0;
            for (Future<Long> result : results) {
                total += result.get(30, TimeUnit.SECONDS);
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Boolean> drain(TokenBucket bucket, int attempts) {
        List<Boolean> allowed = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            allowed.add(bucket.tryAcquire().allowed());
        }
        return allowed;
    }
}
