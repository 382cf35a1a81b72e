package dev.llmproxy.cluster;

import java.util.concurrent.TimeUnit;

/**
 * Redis's answer to one {@link RequestChecks}: admitted (every check passed and everything was taken) or not
 * (nothing was taken), and per check its status and numbers, as {@code request-admit.lua} documents them. Unavailable
 * when Redis did not answer: nothing is known, and the caller applies {@code REDIS_FAILURE_MODE}. Immutable once built.
 */
public final class CheckResults {

    /** A check that passed. */
    public static final int PASSED = 0;
    /** A bucket short of tokens, a count over its limit, a budget used up, every slot taken. */
    public static final int REFUSED = 1;
    /** A pause in force. */
    public static final int PAUSED = 2;
    /** A bucket whose burst is smaller than the cost: no wait helps. */
    public static final int EXCEEDS_BURST = 3;

    private final boolean available;
    private final boolean admitted;
    private final long[] values;
    private final SharedLease[] leases;

    CheckResults(boolean available, boolean admitted, long[] values, SharedLease[] leases) {
        this.available = available;
        this.admitted = admitted;
        this.values = values;
        this.leases = leases;
    }

    static CheckResults unavailable() {
        return new CheckResults(false, false, new long[0], new SharedLease[0]);
    }

    /** False when Redis did not answer: nothing else means anything. */
    public boolean available() {
        return available;
    }

    /** Every check passed and all were taken. */
    public boolean admitted() {
        return admitted;
    }

    /** {@link #PASSED}, {@link #REFUSED}, {@link #PAUSED} or {@link #EXCEEDS_BURST}. */
    public int status(int check) {
        return (int) values[4 * check];
    }

    /**
     * A check's numbers after the decision ({@code which} 1 to 3): a pause's or bucket's wait (microseconds), a
     * bucket's remaining tokens and time until full, a count's day and month totals, a budget's month total, a
     * lease set's size.
     */
    public long value(int check, int which) {
        return values[4 * check + which];
    }

    /** A pause's or bucket's wait, in nanoseconds. */
    public long waitNanos(int check) {
        return TimeUnit.MICROSECONDS.toNanos(value(check, 1));
    }

    /** The lease a lease check took, when admitted; else null. */
    public SharedLease lease(int check) {
        return admitted && check < leases.length ? leases[check] : null;
    }
}
