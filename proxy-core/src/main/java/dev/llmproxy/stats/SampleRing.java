package dev.llmproxy.stats;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The most recent {@code capacity} values of one measurement, for percentiles computed when a report is built.
 *
 * <p><b>Stop-gap.</b> HdrHistogram is not on proxy-core's classpath yet; once the {@code proxy-metrics} recorders land
 * this ring is replaced by them. Until then percentiles are exact over the values the ring still holds: the last
 * {@code capacity} recorded, older ones overwritten.
 *
 * <p>Threading: any number of writers, lock-free (one {@code getAndIncrement} and one volatile store). A reader racing a
 * writer may see the previous lap's value in the slot being written, which is an older sample of the same
 * measurement, never a torn or invented one.
 */
final class SampleRing {
    /** Stored values are {@code value + 1}, so that 0 means "never written". */
    private static final long EMPTY = 0;

    private final AtomicLongArray values;
    private final int mask;
    private final AtomicLong written = new AtomicLong();

    SampleRing(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: a power of two)");
        }
        this.values = new AtomicLongArray(capacity);
        this.mask = capacity - 1;
    }

    /** Records a value; negative values mean "did not happen" and are ignored. */
    void record(long value) {
        if (value < 0) {
            return;
        }
        long index = written.getAndIncrement();
        values.set((int) (index & mask), Math.min(value, Long.MAX_VALUE - 1) + 1);
    }

    /** Copies the held values into {@code into} from {@code offset}; returns the new offset. */
    int copyTo(long[] into, int offset) {
        int n = size();
        for (int i = 0; i < n; i++) {
            long stored = values.get(i);
            if (stored != EMPTY) {
                into[offset++] = stored - 1;
            }
        }
        return offset;
    }

    /** How many values the ring holds, at most its capacity. */
    int size() {
        return (int) Math.min(written.get(), values.length());
    }

    int capacity() {
        return values.length();
    }
}
