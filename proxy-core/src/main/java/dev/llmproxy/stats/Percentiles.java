package dev.llmproxy.stats;

import java.util.Arrays;

/**
 * p50, p95 and p99 of one measurement, in nanoseconds, by the nearest-rank method (the smallest recorded value with at
 * least p% of the values at or below it). {@code count} is the number of values they were computed from; with none,
 * every percentile is -1. Immutable.
 */
public record Percentiles(int count, long p50, long p95, long p99) {

    public static final Percentiles NONE = new Percentiles(0, -1, -1, -1);

    /** Sorts the first {@code n} values in place and reads the three percentiles. */
    static Percentiles of(long[] values, int n) {
        if (n == 0) {
            return NONE;
        }
        Arrays.sort(values, 0, n);
        return new Percentiles(n, rank(values, n, 50), rank(values, n, 95), rank(values, n, 99));
    }

    /** Nearest rank: the value at 1-based position ceil(p·n/100). */
    static long rank(long[] sorted, int n, int percent) {
        long position = ((long) percent * n + 99) / 100;
        return sorted[(int) Math.max(0, Math.min(n - 1, position - 1))];
    }

    public boolean isEmpty() {
        return count == 0;
    }
}
