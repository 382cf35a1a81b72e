package dev.llmproxy.admission;

import dev.llmproxy.admission.CircuitBreaker.Pass;
import dev.llmproxy.admission.CircuitBreaker.Pass.Verdict;
import dev.llmproxy.admission.CircuitBreaker.State;
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

/** {@link CircuitBreaker}: consecutive faults open it, one probe after the open period, the probe decides. */
class CircuitBreakerTest {

    private static final Duration OPEN_FOR = Duration.ofSeconds(30);
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final FakeNanoClock clock = new FakeNanoClock();
    /** A fixed period, for the basic cycle; {@link #aBriefOutageCostsSecondsAndEachFailedProbeDoublesThePause} escalates. */
    private final CircuitBreaker breaker = new CircuitBreaker(3, OPEN_FOR, OPEN_FOR, clock);

    @Test
    void aBriefOutageCostsSecondsAndEachFailedProbeDoublesThePause() {
        CircuitBreaker escalating = new CircuitBreaker(1, Duration.ofSeconds(60), clock);
        escalating.onFailure();
        assertThat(escalating.tryPass()).as("the first open period is a second, not the minute")
                .isEqualTo(new Pass(Verdict.REJECT, SECOND));
        long[] pauses = new long[8];
        for (int i = 0; i < pauses.length; i++) {
            pauses[i] = escalating.tryPass().retryAfterNanos();
            clock.advanceNanos(pauses[i]);
            assertThat(escalating.tryPass().verdict()).isEqualTo(Verdict.PROBE);
            escalating.onFailure(); // the upstream is still down
        }
        assertThat(pauses).containsExactly(SECOND, 2 * SECOND, 4 * SECOND, 8 * SECOND, 16 * SECOND, 32 * SECOND,
                60 * SECOND, 60 * SECOND);

        clock.advance(Duration.ofSeconds(60));
        assertThat(escalating.tryPass().verdict()).isEqualTo(Verdict.PROBE);
        escalating.onSuccess();
        escalating.onFailure();
        assertThat(escalating.tryPass().retryAfterNanos()).as("a success starts the next outage short again")
                .isEqualTo(SECOND);
    }

    @Test
    void aTwoSecondOutageIsOverForClientsWithinSeconds() {
        CircuitBreaker b = new CircuitBreaker(1, Duration.ofSeconds(60), clock);
        long outageEnds = clock.nanoTime() + 2 * SECOND;
        long start = clock.nanoTime();
        b.onFailure(); // the outage begins
        while (true) {
            Pass pass = b.tryPass();
            if (pass.permitted()) {
                if (clock.nanoTime() >= outageEnds) {
                    b.onSuccess();
                    break;
                }
                b.onFailure();
            } else {
                clock.advanceNanos(pass.retryAfterNanos());
            }
        }
        assertThat(clock.nanoTime() - start).as("back in service").isLessThanOrEqualTo(4 * SECOND);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void staysClosedWhileFaultsAreNotConsecutive() {
        breaker.onFailure();
        breaker.onFailure();
        breaker.onSuccess();
        breaker.onFailure();
        breaker.onFailure();

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.consecutiveFailures()).isEqualTo(2);
        assertThat(breaker.tryPass()).isEqualTo(new Pass(Verdict.ALLOW, 0));
    }

    @Test
    void opensAtTheThresholdAndRejectsWithTheTimeLeft() {
        failTimes(3);
        assertThat(breaker.state()).isEqualTo(State.OPEN);

        assertThat(breaker.tryPass()).isEqualTo(new Pass(Verdict.REJECT, 30 * SECOND));
        clock.advance(Duration.ofSeconds(12));
        Pass pass = breaker.tryPass();
        assertThat(pass.permitted()).isFalse();
        assertThat(pass.retryAfterNanos()).isEqualTo(18 * SECOND);
    }

    @Test
    void afterTheOpenPeriodLetsExactlyOneProbeThrough() {
        failTimes(3);
        clock.advance(OPEN_FOR);

        assertThat(breaker.tryPass()).isEqualTo(new Pass(Verdict.PROBE, 0));
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryPass()).isEqualTo(new Pass(Verdict.REJECT, 30 * SECOND));
        assertThat(breaker.tryPass().permitted()).isFalse();
    }

    @Test
    void aSuccessfulProbeClosesAndForgetsTheFaults() {
        failTimes(3);
        clock.advance(OPEN_FOR);
        breaker.tryPass();

        breaker.onSuccess();

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.consecutiveFailures()).isZero();
        assertThat(breaker.tryPass().verdict()).isEqualTo(Verdict.ALLOW);
        failTimes(2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED); // a full threshold again before it opens
    }

    @Test
    void aFailedProbeReopensForAnotherPeriod() {
        failTimes(3);
        clock.advance(OPEN_FOR);
        breaker.tryPass();
        clock.advance(Duration.ofSeconds(2));

        breaker.onFailure();

        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.tryPass()).isEqualTo(new Pass(Verdict.REJECT, 30 * SECOND));
        clock.advance(OPEN_FOR);
        assertThat(breaker.tryPass().verdict()).isEqualTo(Verdict.PROBE);
    }

    @Test
    void aProbeThatNeverReportsBackIsReplacedAfterThePeriod() {
        failTimes(3);
        clock.advance(OPEN_FOR);
        assertThat(breaker.tryPass().verdict()).isEqualTo(Verdict.PROBE);

        clock.advanceNanos(OPEN_FOR.toNanos() - 1);
        assertThat(breaker.tryPass()).isEqualTo(new Pass(Verdict.REJECT, 1));
        clock.advanceNanos(1);
        assertThat(breaker.tryPass().verdict()).isEqualTo(Verdict.PROBE);
    }

    @Test
    void outcomesReportedWhileOpenChangeNothing() {
        failTimes(3);
        clock.advance(Duration.ofSeconds(10));

        breaker.onSuccess(); // a call admitted before the breaker opened
        breaker.onFailure();

        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.tryPass().retryAfterNanos()).isEqualTo(20 * SECOND);
    }

    @Test
    void rejectsNonsenseConfiguration() {
        assertThatThrownBy(() -> new CircuitBreaker(0, OPEN_FOR, clock)).hasMessage("threshold: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new CircuitBreaker(1, Duration.ZERO, clock)).hasMessageContaining("(expected:");
        assertThatThrownBy(() -> new CircuitBreaker(1, Duration.ofSeconds(2), Duration.ofSeconds(1), clock))
                .hasMessageStartingWith("firstOpenFor: PT2S (expected:");
    }

    @Test
    void concurrentCallersAfterTheOpenPeriodGetOneProbeBetweenThem() throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 200; round++) {
                CircuitBreaker contended = new CircuitBreaker(1, OPEN_FOR, clock);
                contended.onFailure();
                clock.advance(OPEN_FOR);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> probes = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Callable<Integer> caller = () -> {
                        start.await();
                        int mine = 0;
                        for (int i = 0; i < 100; i++) {
                            if (contended.tryPass().verdict() == Verdict.PROBE) {
                                mine++;
                            }
                        }
                        return mine;
                    };
                    probes.add(pool.submit(caller));
                }
                start.countDown();
                int total = 0;
                for (Future<Integer> probe : probes) {
                    total += probe.get(30, TimeUnit.SECONDS);
                }
                assertThat(total).as("round %d", round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void failTimes(int n) {
        for (int i = 0; i < n; i++) {
            breaker.onFailure();
        }
    }
}
