package dev.llmproxy.admission;

import java.util.concurrent.TimeUnit;

/**
 * A per-minute limit as an allowance refilled continuously up to the limit ({@code limit / 60 s} per second), so a
 * minute's allowance is never exceeded and never bunched at a window edge. It may go below zero (tokens charged after
 * the fact): later requests then wait until it is positive again. Not thread-safe: its owner holds a lock.
 */
public final class MinuteAllowance {
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    private final long limit;
    private double left;

    /** Full at the start; {@code limit} 0 means no limit (every method is then a no-op). */
    public MinuteAllowance(long limit) {
        this.limit = limit;
        this.left = limit;
    }

    public boolean limited() {
        return limit > 0;
    }

    public long limit() {
        return limit;
    }

    /** What is left now (after {@link #refill}). */
    public double left() {
        return left;
    }

    /** Adds what {@code elapsedNanos} earned, never beyond the limit. */
    public void refill(long elapsedNanos) {
        if (limit > 0 && elapsedNanos > 0) {
            left = Math.min(limit, left + (double) elapsedNanos * limit / MINUTE);
        }
    }

    /** Takes {@code amount} (negative gives back, never beyond the limit). */
    public void take(double amount) {
        if (limit > 0) {
            left = Math.min(limit, left - amount);
        }
    }

    /** How long until at least {@code needed} is left; 0 when it is already. */
    public long waitFor(double needed) {
        return left >= needed ? 0 : (long) Math.ceil((needed - left) * MINUTE / limit);
    }

    /** How long until the allowance is full again. */
    public long untilFull() {
        return (long) ((limit - left) * MINUTE / limit);
    }
}
