package dev.llmproxy.metrics;

import java.lang.ref.WeakReference;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * One latency distribution, recorded wait-free from any number of threads and read as exact-to-3-digits percentiles:
 * since start ({@link #snapshot()}) and over a rolling window of recent minutes ({@link #lastMinutes(int)}).
 *
 * <p><b>Threading.</b> {@link #record(long)} may be called from any thread. Each recording thread gets its own
 * {@link SingleWriterRecorder} on first use (found through a {@link ThreadLocal}, then registered in a lock-free
 * queue), so a recording thread never shares a histogram with another one: recording is a thread-local lookup,
 * HdrHistogram's writer-side phaser increment and two {@link LongAdder} additions — no lock, no CAS loop, no
 * waiting on the reader. Everything else ({@link #aggregate()}, {@link #snapshot()}, {@link #lastMinutes(int)}) is
 * the reader side: it swaps each writer's interval histogram out and adds it into a cumulative histogram and into
 * the current minute of the window, all owned by this recorder and guarded by a lock that only readers take.
 * Readers may run on any thread and concurrently with each other; a reader briefly waits for writers that are inside
 * a single {@code record} call, never for other recording. Do not read on a latency-critical path.
 *
 * <p><b>Minutes.</b> A value is counted in the minute in which a reader aggregated it, not the minute it was recorded:
 * the window is as sharp as the aggregation is frequent. Every scrape aggregates; a caller that needs a sharper window
 * than its scrape interval calls {@link #aggregate()} on a timer. Minutes are measured on the injected monotonic
 * nanosecond clock, never on wall time.
 *
 * <p><b>Values</b> are nanoseconds. Negative values ({@code -1} is {@link RequestSample}'s "did not happen") are
 * ignored; values above {@link #HIGHEST_TRACKABLE_NANOS} are clamped to it, in the histograms and in the sum. The
 * histograms are packed (memory grows with the number of distinct value buckets seen, not with the range), and keep
 * {@link #SIGNIFICANT_DIGITS} significant decimal digits.
 */
public final class LatencyRecorder {
    /** Values above one hour are clamped: a request cannot legitimately take longer, and the sum must not overflow. */
    public static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.HOURS.toNanos(1);
    public static final int SIGNIFICANT_DIGITS = 3;
    /** Window length used by {@link #LatencyRecorder()}; the stats endpoint's "last 5 minutes". */
    public static final int DEFAULT_WINDOW_MINUTES = 5;

    private static final long NANOS_PER_MINUTE = TimeUnit.MINUTES.toNanos(1);
    private static final double NANOS_PER_SECOND = 1e9;
    private static final long NO_MINUTE = Long.MIN_VALUE;

    // --- writer side
    private final ThreadLocal<Writer> writer = ThreadLocal.withInitial(this::register);
    private final Queue<Writer> writers = new ConcurrentLinkedQueue<>();
    private final LongAdder count = new LongAdder();
    private final LongAdder sumNanos = new LongAdder();

    // --- reader side, guarded by aggregation
    private final ReentrantLock aggregation = new ReentrantLock();
    private final LongSupplier nanoClock;
    private final long originNanos;
    private final Histogram cumulative = newHistogram();
    private final Histogram[] minutes;
    private final long[] minuteOfSlot;

    /** A recorder with a {@value #DEFAULT_WINDOW_MINUTES}-minute window on {@link System#nanoTime()}. */
    public LatencyRecorder() {
        this(DEFAULT_WINDOW_MINUTES, System::nanoTime);
    }

    /**
     * @param windowMinutes the longest window {@link #lastMinutes(int)} can answer, at least 1
     * @param nanoClock     monotonic nanosecond clock that cuts the window into minutes (tests inject one)
     */
    public LatencyRecorder(int windowMinutes, LongSupplier nanoClock) {
        if (windowMinutes < 1) {
            throw new IllegalArgumentException("windowMinutes: " + windowMinutes + " (expected: >= 1)");
        }
        this.nanoClock = nanoClock;
        this.originNanos = nanoClock.getAsLong();
        this.minutes = new Histogram[windowMinutes];
        this.minuteOfSlot = new long[windowMinutes];
        for (int i = 0; i < windowMinutes; i++) {
            minutes[i] = newHistogram();
            minuteOfSlot[i] = NO_MINUTE;
        }
    }

    /** Records one latency. Wait-free for the calling thread; see the class comment for the threading rule. */
    public void record(long nanos) {
        if (nanos < 0) {
            return;
        }
        long value = Math.min(nanos, HIGHEST_TRACKABLE_NANOS);
        writer.get().recorder.recordValue(value);
        count.increment();
        sumNanos.add(value);
    }

    /** Exact number of values recorded so far (a live read; no aggregation needed). */
    public long count() {
        return count.sum();
    }

    /** Exact sum of the values recorded so far, in seconds (a live read; no aggregation needed). */
    public double sumSeconds() {
        return sumNanos.sum() / NANOS_PER_SECOND;
    }

    /** The longest window {@link #lastMinutes(int)} answers. */
    public int windowMinutes() {
        return minutes.length;
    }

    /**
     * Moves everything recorded so far into the cumulative histogram and the current minute. Reader side; every read
     * does it, so calling it is only needed to sharpen minute attribution between reads.
     */
    public void aggregate() {
        aggregation.lock();
        try {
            aggregateLocked();
        } finally {
            aggregation.unlock();
        }
    }

    /**
     * Everything recorded since this recorder was created. Count and sum are exact and include values recorded up to
     * the moment of the call; percentiles include everything aggregated by this call.
     */
    public Snapshot snapshot() {
        aggregation.lock();
        try {
            aggregateLocked();
            return new Snapshot(count.sum(), sumNanos.sum() / NANOS_PER_SECOND, cumulative.copy());
        } finally {
            aggregation.unlock();
        }
    }

    /**
     * What was aggregated in the current minute and the {@code n - 1} minutes before it: nothing older than {@code n}
     * minutes is included. Count, percentiles and sum all come from the window's histogram, so the sum is precise to
     * {@value #SIGNIFICANT_DIGITS} significant digits rather than exact.
     *
     * @param n 1 to {@link #windowMinutes()}
     */
    public Snapshot lastMinutes(int n) {
        if (n < 1 || n > minutes.length) {
            throw new IllegalArgumentException("n: " + n + " (expected: 1.." + minutes.length + ")");
        }
        Histogram merged = newHistogram();
        aggregation.lock();
        try {
            long current = aggregateLocked();
            for (int i = 0; i < minutes.length; i++) {
                long minute = minuteOfSlot[i];
                if (minute != NO_MINUTE && minute > current - n && minute <= current) {
                    merged.add(minutes[i]);
                }
            }
        } finally {
            aggregation.unlock();
        }
        long total = merged.getTotalCount();
        double sumSeconds = total == 0 ? 0 : merged.getMean() * total / NANOS_PER_SECOND;
        return new Snapshot(total, sumSeconds, merged);
    }

    /** Drains every writer; returns the current minute. Caller holds {@link #aggregation}. */
    private long aggregateLocked() {
        long minute = Math.floorDiv(nanoClock.getAsLong() - originNanos, NANOS_PER_MINUTE);
        int slot = (int) Math.floorMod(minute, (long) minutes.length);
        if (minuteOfSlot[slot] != minute) {
            minutes[slot].reset();
            minuteOfSlot[slot] = minute;
        }
        for (Iterator<Writer> it = writers.iterator(); it.hasNext(); ) {
            Writer w = it.next();
            // Read liveness before draining: a thread seen dead here cannot record after the drain below.
            boolean retired = w.ownerGone();
            Histogram interval = w.recorder.getIntervalHistogram(w.recycled);
            w.recycled = interval;
            if (interval.getTotalCount() > 0) {
                cumulative.add(interval);
                minutes[slot].add(interval);
            }
            if (retired) {
                it.remove();
            }
        }
        return minute;
    }

    private Writer register() {
        Writer w = new Writer(Thread.currentThread());
        writers.add(w);
        return w;
    }

    private static Histogram newHistogram() {
        return new PackedHistogram(SIGNIFICANT_DIGITS);
    }

    /** One recording thread's recorder; {@link #recycled} belongs to the reader side. */
    private static final class Writer {
        final SingleWriterRecorder recorder = new SingleWriterRecorder(SIGNIFICANT_DIGITS, true);
        final WeakReference<Thread> owner;
        Histogram recycled;

        Writer(Thread owner) {
            this.owner = new WeakReference<>(owner);
        }

        /** The owning thread ended, so this writer will never record again and can go after its last drain. */
        boolean ownerGone() {
            Thread t = owner.get();
            return t == null || !t.isAlive();
        }
    }

    /**
     * An immutable view of a distribution at one moment. Percentiles are HdrHistogram's: the value reported for a
     * percentile is equivalent to the exact one within {@value LatencyRecorder#SIGNIFICANT_DIGITS} significant digits.
     */
    public static final class Snapshot {
        private final long count;
        private final double sumSeconds;
        private final Histogram histogram; // owned, never exposed

        Snapshot(long count, double sumSeconds, Histogram histogram) {
            this.count = count;
            this.sumSeconds = sumSeconds;
            this.histogram = histogram;
        }

        /** Number of recorded values. */
        public long count() {
            return count;
        }

        /** Sum of the recorded values, in seconds. */
        public double sumSeconds() {
            return sumSeconds;
        }

        /** True when the percentiles have no values behind them. */
        public boolean isEmpty() {
            return histogram.getTotalCount() == 0;
        }

        /**
         * Value at a percentile, in nanoseconds; 0 when empty.
         *
         * @param percentile 0 to 100
         */
        public long valueAtPercentile(double percentile) {
            return histogram.getValueAtPercentile(percentile);
        }

        /**
         * Value at a quantile, in seconds; NaN when empty (Prometheus' convention for a summary with no observations).
         *
         * @param quantile 0 to 1
         */
        public double quantileSeconds(double quantile) {
            return isEmpty() ? Double.NaN : histogram.getValueAtPercentile(quantile * 100) / NANOS_PER_SECOND;
        }

        /** Largest recorded value in seconds; 0 when empty. */
        public double maxSeconds() {
            return isEmpty() ? 0 : histogram.getMaxValue() / NANOS_PER_SECOND;
        }

        /** Mean of the recorded values in seconds; 0 when empty. */
        public double meanSeconds() {
            return count == 0 ? 0 : sumSeconds / count;
        }
    }
}
