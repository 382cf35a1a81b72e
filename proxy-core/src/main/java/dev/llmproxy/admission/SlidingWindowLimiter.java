package dev.llmproxy.admission;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * At most {@code permits} calls in any window of length {@code window}, exactly: paces calls to one GitHub model
 * below its per-minute quota, so that the proxy is not the cause of an upstream 429.
 *
 * <p>It reserves rather than refuses: a caller that may wait up to {@code maxWaitNanos} is given a start time and
 * must not call upstream before it. The state is a ring of {@code permits} slots, each holding the start of the last
 * call granted in it, and a sequence that deals the slots out in turn. A call in a slot starts no earlier than one
 * window after the slot's previous call, so each slot holds at most one start in any window and the ring at most
 * {@code permits}: the bound holds by construction, whatever the interleaving.
 *
 * <p>Thread-safe and lock-free: a caller reads the next slot, CASes the sequence to claim that turn, then CASes the
 * slot from the value it read to its start. The second CAS fails only if a caller a whole lap ahead or behind wrote
 * the same slot meanwhile ({@code permits} claims in flight at once); the turn is then skipped and the caller tries
 * the next slot. A skipped turn can make a later caller wait for a slot that is not the oldest, so under that much
 * contention a start may come later than strictly needed; it never comes earlier. A refusal claims nothing.
 *
 * <p>Starts are when a call may go out; a caller that goes out later spends that slack, so a caller that wants a
 * margin against the upstream's own clock configures a slightly longer window.
 */
public final class SlidingWindowLimiter {

    private final NanoClock clock;
    private final int permits;
    private final long windowNanos;
    private final AtomicLongArray starts;
    private final AtomicLong sequence = new AtomicLong();

    public SlidingWindowLimiter(int permits, Duration window, NanoClock clock) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits: " + permits + " (expected: >= 1)");
        }
        if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException("window: " + window + " (expected: > 0 and at most a year)");
        }
        this.clock = clock;
        this.permits = permits;
        this.windowNanos = window.toNanos();
        this.starts = new AtomicLongArray(permits);
        long longAgo = clock.nanoTime() - windowNanos;
        for (int i = 0; i < permits; i++) {
            starts.set(i, longAgo);
        }
    }

    /**
     * Claims the next start if it is at most {@code maxWaitNanos} away.
     *
     * @param maxWaitNanos how long the caller is prepared to wait before calling upstream; 0 = only right now
     */
    public Reservation reserve(long maxWaitNanos) {
        if (maxWaitNanos < 0) {
            throw new IllegalArgumentException("maxWaitNanos: " + maxWaitNanos + " (expected: >= 0)");
        }
        for (;;) {
            long now = clock.nanoTime();
            long turn = sequence.get();
            int slot = (int) (turn % permits);
            long previous = starts.get(slot);
            long free = previous + windowNanos;
            long wait = free - now > 0 ? free - now : 0;
            if (wait > maxWaitNanos) {
                return new Reservation(false, 0, wait);
            }
            if (sequence.compareAndSet(turn, turn + 1) && starts.compareAndSet(slot, previous, now + wait)) {
                return new Reservation(true, wait, 0);
            }
        }
    }

    public int permits() {
        return permits;
    }

    public Duration window() {
        return Duration.ofNanos(windowNanos);
    }

    /**
     * @param granted         a start was claimed; the caller must call upstream after {@code waitNanos}, not before
     * @param waitNanos       when granted: how long to wait before calling (0 = now)
     * @param retryAfterNanos when refused: how long until a call could go out without waiting
     */
    public record Reservation(boolean granted, long waitNanos, long retryAfterNanos) {
    }
}
