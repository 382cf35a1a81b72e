package dev.llmproxy.stats;

import dev.llmproxy.metrics.LatencyRecorder;

/**
 * p50, p95 and p99 of one measurement, in nanoseconds, by the nearest-rank method (the smallest recorded value with at
 * least p% of the values at or below it). {@code count} is the number of values they were computed from; with none,
 * every percentile is -1. Immutable.
 */
public record Percentiles(int count, long p50, long p95, long p99) {

    public static final Percentiles NONE = new Percentiles(0, -1, -1, -1);

    /**
     * Reads the three percentiles of the first {@code n} values, reordering them. Selection, not a sort: a report reads
     * a few thousand values per model, and selecting the three ranks in turn, each in the part above the last,
     * visits each value about twice instead of log n times.
     */
    /** p50/p95/p99 of an HdrHistogram snapshot, in nanoseconds. */
    static Percentiles of(LatencyRecorder.Snapshot snapshot) {
        if (snapshot.isEmpty()) {
            return NONE;
        }
        long count = snapshot.count();
        return new Percentiles((int) Math.min(Integer.MAX_VALUE, count), snapshot.valueAtPercentile(50),
                snapshot.valueAtPercentile(95), snapshot.valueAtPercentile(99));
    }

    static Percentiles of(long[] values, int n) {
        if (n == 0) {
            return NONE;
        }
        int i50 = index(n, 50);
        int i95 = index(n, 95);
        int i99 = index(n, 99);
        long p50 = select(values, 0, n - 1, i50);
        long p95 = select(values, i50, n - 1, i95);
        long p99 = select(values, i95, n - 1, i99);
        return new Percentiles(n, p50, p95, p99);
    }

    /** Nearest rank: the 0-based index of 1-based position ceil(p·n/100). */
    static int index(int n, int percent) {
        long position = ((long) percent * n + 99) / 100;
        return (int) Math.max(0, Math.min(n - 1, position - 1));
    }

    /**
     * Hoare's selection: reorders {@code a[from..to]} so that {@code a[k]} holds the value a sort would put there,
     * smaller-or-equal values before it and greater-or-equal after. Median-of-three pivots; equal values split evenly
     * between the sides, so many duplicates (a constant latency) cost no more than distinct ones.
     */
    private static long select(long[] a, int from, int to, int k) {
        int lo = from;
        int hi = to;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long pivot = medianOfThree(a[lo], a[mid], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long swap = a[i];
                    a[i] = a[j];
                    a[j] = swap;
                    i++;
                    j--;
                }
            }
            // Now a[lo..j] <= pivot <= a[i..hi], and anything strictly between j and i equals the pivot.
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }

    private static long medianOfThree(long a, long b, long c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    public boolean isEmpty() {
        return count == 0;
    }
}
