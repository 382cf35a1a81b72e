package dev.llmproxy.admission;

import dev.llmproxy.admission.SlidingWindowLimiter.Reservation;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link SlidingWindowLimiter}: exact pacing of calls, reservations with a bounded wait, refusals that claim nothing. */
class SlidingWindowLimiterTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final FakeNanoClock clock = new FakeNanoClock();

    @Test
    void grantsThePermitsAtOnceThenRefusesUntilTheOldestLeavesTheWindow() {
        SlidingWindowLimiter limiter = new SlidingWindowLimiter(3, MINUTE, clock);

        for (int i = 0; i < 3; i++) {
            assertThat(limiter.reserve(0)).isEqualTo(new Reservation(true, 0, 0));
        }
        assertThat(limiter.reserve(0)).isEqualTo(new Reservation(false, 0, 60 * SECOND));
        clock.advanceNanos(60 * SECOND - 1);
        assertThat(limiter.reserve(0)).isEqualTo(new Reservation(false, 0, 1));
        clock.advanceNanos(1);
        assertThat(limiter.reserve(0)).isEqualTo(new Reservation(true, 0, 0));
    }

    @Test
    void theWindowSlidesWithEachCall() {
        SlidingWindowLimiter limiter = new SlidingWindowLimiter(2, MINUTE, clock);
        limiter.reserve(0);                             // t = 0
        clock.advance(Duration.ofSeconds(30));
        limiter.reserve(0);                             // t = 30

        clock.advance(Duration.ofSeconds(29));          // t = 59: both still in the window
        assertThat(limiter.reserve(0).retryAfterNanos()).isEqualTo(SECOND);
        clock.advance(Duration.ofSeconds(1));           // t = 60: the first has left
        assertThat(limiter.reserve(0).granted()).isTrue();
        clock.advance(Duration.ofSeconds(29));          // t = 89: the calls at 30 and 60 are in the window
        assertThat(limiter.reserve(0).retryAfterNanos()).isEqualTo(SECOND);
    }

    @Test
    void reservesStartsOneWindowAfterTheCallOnePermitBack() {
        SlidingWindowLimiter limiter = new SlidingWindowLimiter(2, MINUTE, clock);
        long maxWait = Duration.ofMinutes(10).toNanos();

        long[] waits = new long[6];
        for (int i = 0; i < waits.length; i++) {
            Reservation r = limiter.reserve(maxWait);
            assertThat(r.granted()).isTrue();
            waits[i] = r.waitNanos();
        }
        assertThat(waits).containsExactly(0, 0, 60 * SECOND, 60 * SECOND, 120 * SECOND, 120 * SECOND);

        clock.advance(Duration.ofSeconds(100));
        assertThat(limiter.reserve(maxWait).waitNanos()).isEqualTo(80 * SECOND); // 180 s from the start
    }

    @Test
    void aRefusalClaimsNothing() {
        SlidingWindowLimiter limiter = new SlidingWindowLimiter(1, MINUTE, clock);
        limiter.reserve(0);

        for (int i = 0; i < 50; i++) {
            assertThat(limiter.reserve(Duration.ofSeconds(59).toNanos()))
                    .isEqualTo(new Reservation(false, 0, 60 * SECOND));
        }
        assertThat(limiter.reserve(60 * SECOND)).isEqualTo(new Reservation(true, 60 * SECOND, 0));
    }

    @Test
    void rejectsNonsenseArguments() {
        assertThatThrownBy(() -> new SlidingWindowLimiter(0, MINUTE, clock)).hasMessage("permits: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new SlidingWindowLimiter(1, Duration.ZERO, clock)).hasMessageContaining("(expected:");
        assertThatThrownBy(() -> new SlidingWindowLimiter(1, MINUTE, clock).reserve(-1))
                .hasMessage("maxWaitNanos: -1 (expected: >= 0)");
        assertThat(new SlidingWindowLimiter(7, MINUTE, clock).permits()).isEqualTo(7);
        assertThat(new SlidingWindowLimiter(7, MINUTE, clock).window()).isEqualTo(MINUTE);
    }

    @Test
    void grantsExactlyThePermitsUnderContention() throws Exception {
        // Fewer permits than threads, so that claims a whole lap apart race for the same slot.
        for (int permits = 1; permits <= 3; permits++) {
            for (int round = 0; round < 20; round++) {
                SlidingWindowLimiter limiter = new SlidingWindowLimiter(permits, MINUTE, clock);

                List<Long> waits = hammer(limiter, 4, 1_000, 0);

                assertThat(waits).as("%d permits", permits).hasSize(permits).containsOnly(0L);
            }
        }
    }

    @Test
    void reservationsUnderContentionNeverPutMoreThanThePermitsInAnyWindow() throws Exception {
        int permits = 2;
        SlidingWindowLimiter limiter = new SlidingWindowLimiter(permits, MINUTE, clock);

        List<Long> waits = hammer(limiter, 4, 50, Duration.ofDays(1).toNanos());

        assertThat(waits).hasSize(200);
        long[] starts = waits.stream().mapToLong(Long::longValue).sorted().toArray();
        for (int i = 0; i + permits < starts.length; i++) {
            assertThat(starts[i + permits] - starts[i]).as("start %d and start %d", i, i + permits)
                    .isGreaterThanOrEqualTo(60 * SECOND);
        }
        // 200 calls at 2 a minute: the last cannot start before 99 minutes (a skipped turn may delay it further).
        assertThat(starts[starts.length - 1]).isGreaterThanOrEqualTo(99 * 60 * SECOND);
        assertThat(Arrays.stream(starts).filter(s -> s == 0).count()).isEqualTo(permits);
    }

    /** Every granted wait, from {@code threads} threads making {@code attempts} reservations each at one instant. */
    private static List<Long> hammer(SlidingWindowLimiter limiter, int threads, int attempts, long maxWait)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Long>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<List<Long>> worker = () -> {
                    start.await();
                    List<Long> granted = new ArrayList<>();
                    for (int i = 0; i < attempts; i++) {
                        Reservation r = limiter.reserve(maxWait);
                        if (r.granted()) {
                            granted.add(r.waitNanos());
                        }
                    }
                    return granted;
                };
                results.add(pool.submit(worker));
            }
            start.countDown();
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> result : results) {
                all.addAll(result.get(30, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }
}
