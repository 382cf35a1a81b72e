package dev.llmproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);
    private static final long MICROS = 1_000;

    private final AtomicLong clock = new AtomicLong(123_456_789L);
    private final LatencyRecorder recorder = new LatencyRecorder(5, clock::get);

    @Test
    void percentilesOfAUniformDistributionMatchAnExactCalculation() {
        List<Long> values = new ArrayList<>();
        for (long us = 1; us <= 10_000; us++) {
            values.add(us * MICROS);
        }
        Collections.shuffle(values, new Random(42));
        values.forEach(recorder::record);

        LatencyRecorder.Snapshot snapshot = recorder.snapshot();

        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        assertThat(snapshot.count()).isEqualTo(10_000);
        assertThat(snapshot.sumSeconds()).isCloseTo(Arrays.stream(sorted).sum() / 1e9, withinPercentage(1e-9));
        for (double p : new double[] {50, 95, 99, 99.9}) {
            assertThat(snapshot.valueAtPercentile(p)).as("p%s", p)
                    .isCloseTo(nearestRank(sorted, p), withinPercentage(0.1));
        }
        assertThat(snapshot.quantileSeconds(0.99)).isCloseTo(0.0099, withinPercentage(0.1));
    }

    @Test
    void percentilesOfASkewedDistributionMatchAnExactCalculation() {
        // Log-normal around 200 ms: the shape of real request latencies, long right tail included.
        Random random = new Random(7);
        long[] values = new long[100_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) (200e6 * Math.exp(0.8 * random.nextGaussian()));
            recorder.record(values[i]);
        }

        LatencyRecorder.Snapshot snapshot = recorder.snapshot();

        long[] sorted = values.clone();
        Arrays.sort(sorted);
        for (double p : new double[] {50, 95, 99}) {
            assertThat(snapshot.valueAtPercentile(p)).as("p%s", p)
                    .isCloseTo(nearestRank(sorted, p), withinPercentage(0.1));
        }
        assertThat(snapshot.maxSeconds()).isCloseTo(sorted[sorted.length - 1] / 1e9, withinPercentage(0.1));
    }

    @Test
    void ignoresNegativeValuesAndClampsHugeOnes() {
        recorder.record(-1);
        recorder.record(Long.MAX_VALUE);

        LatencyRecorder.Snapshot snapshot = recorder.snapshot();

        assertThat(snapshot.count()).isEqualTo(1);
        assertThat(snapshot.sumSeconds()).isEqualTo(3600.0);
        assertThat(snapshot.valueAtPercentile(100))
                .isCloseTo(LatencyRecorder.HIGHEST_TRACKABLE_NANOS, withinPercentage(0.1));
    }

    @Test
    void anEmptyRecorderReportsNaNQuantilesAndZeroCount() {
        LatencyRecorder.Snapshot snapshot = recorder.snapshot();

        assertThat(snapshot.isEmpty()).isTrue();
        assertThat(snapshot.count()).isZero();
        assertThat(snapshot.quantileSeconds(0.5)).isNaN();
        assertThat(snapshot.meanSeconds()).isZero();
        assertThat(recorder.lastMinutes(5).quantileSeconds(0.99)).isNaN();
    }

    @Test
    void losesNoValueWhileWritersRecordAndAReaderAggregates() throws Exception {
        int writers = 4;
        int perWriter = 250_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long expectedSum = 0;
        for (int w = 0; w < writers; w++) {
            int offset = w;
            for (int i = 0; i < perWriter; i++) {
                expectedSum += valueFor(offset, i);
            }
            threads.add(new Thread(() -> {
                await(start);
                for (int i = 0; i < perWriter; i++) {
                    recorder.record(valueFor(offset, i));
                }
            }, "writer-" + w));
        }
        Thread reader = new Thread(() -> {
            await(start);
            long last = 0;
            try {
                while (writing.get()) {
                    LatencyRecorder.Snapshot s = recorder.snapshot();
                    assertThat(s.count()).isGreaterThanOrEqualTo(last);
                    last = s.count();
                    recorder.lastMinutes(5);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "reader");

        threads.forEach(Thread::start);
        reader.start();
        start.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(1));
        }
        writing.set(false);
        reader.join(TimeUnit.MINUTES.toMillis(1));

        assertThat(failure.get()).isNull();
        long total = (long) writers * perWriter;
        LatencyRecorder.Snapshot all = recorder.snapshot();
        assertThat(all.count()).isEqualTo(total);
        assertThat(all.sumSeconds()).isEqualTo(expectedSum / 1e9);
        // The histograms saw every value too: the window (one minute of a still clock) holds all of them.
        assertThat(recorder.lastMinutes(5).count()).isEqualTo(total);
    }

    @Test
    void countsValuesOfThreadsThatHaveEnded() throws Exception {
        for (int i = 0; i < 3; i++) {
            Thread t = new Thread(() -> recorder.record(5 * MICROS));
            t.start();
            t.join();
            recorder.aggregate(); // retires the ended writer after its last drain
        }
        Thread late = new Thread(() -> recorder.record(7 * MICROS));
        late.start();
        late.join();

        assertThat(recorder.lastMinutes(1).count()).isEqualTo(4);
        assertThat(recorder.snapshot().count()).isEqualTo(4);
    }

    @Test
    void rollingWindowDropsMinutesOlderThanItsLength() {
        recordAndAggregate(100, millis(1));          // minute 0
        clock.addAndGet(2 * MINUTE);
        recordAndAggregate(10, millis(50));          // minute 2

        assertThat(recorder.lastMinutes(5).count()).isEqualTo(110);
        assertThat(recorder.lastMinutes(3).count()).isEqualTo(110);
        assertThat(recorder.lastMinutes(2).count()).isEqualTo(10);
        assertThat(recorder.lastMinutes(2).quantileSeconds(0.5)).isCloseTo(0.05, withinPercentage(0.1));

        clock.addAndGet(3 * MINUTE);                 // minute 5 reuses minute 0's slot
        recordAndAggregate(1, millis(300));

        assertThat(recorder.lastMinutes(1).count()).isEqualTo(1);
        assertThat(recorder.lastMinutes(5).count()).isEqualTo(11);
        assertThat(recorder.lastMinutes(5).sumSeconds()).isCloseTo(0.8, withinPercentage(0.1));

        clock.addAndGet(5 * MINUTE);                 // minute 10: everything is older than the window

        LatencyRecorder.Snapshot window = recorder.lastMinutes(5);
        assertThat(window.count()).isZero();
        assertThat(window.quantileSeconds(0.99)).isNaN();
        assertThat(recorder.snapshot().count()).as("since start keeps everything").isEqualTo(111);
    }

    @Test
    void aValueCountsInTheMinuteItWasAggregatedIn() {
        recorder.record(millis(1));                  // recorded in minute 0, never read there
        clock.addAndGet(7 * MINUTE);

        assertThat(recorder.lastMinutes(1).count()).isEqualTo(1);
    }

    @Test
    void rejectsWindowsItCannotAnswer() {
        assertThatThrownBy(() -> recorder.lastMinutes(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> recorder.lastMinutes(6)).hasMessage("n: 6 (expected: 1..5)");
        assertThatThrownBy(() -> new LatencyRecorder(0, clock::get)).isInstanceOf(IllegalArgumentException.class);
    }

    private void recordAndAggregate(int n, long nanos) {
        for (int i = 0; i < n; i++) {
            recorder.record(nanos);
        }
        recorder.aggregate();
    }

    private static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** The smallest value with at least p% of the values at or below it. */
    private static long nearestRank(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    private static long valueFor(int writer, int i) {
        return MICROS * (1 + (i * 31L + writer * 7L) % 50_000);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
