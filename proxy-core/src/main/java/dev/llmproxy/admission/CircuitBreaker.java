package dev.llmproxy.admission;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Stops calling one upstream model after {@code threshold} consecutive upstream faults; after an open period lets
 * one probe through, which closes it on success or reopens it on failure. The first open period is short
 * ({@code firstOpenFor}, 1 s by default) and each failed probe doubles it, up to {@code openFor}: a brief outage
 * costs seconds of 503s, a long one is probed at most once per {@code openFor}. Counts only what the caller reports
 * as an upstream fault (5xx, connect failure, timeout); a client's 4xx is not the model's fault and must not be
 * reported.
 *
 * <p>State encoding: one {@link AtomicReference} to an immutable snapshot (state, consecutive faults, a deadline,
 * the current open period), replaced by CAS. The deadline needs all 64 bits of a nano clock, so packing it with the
 * state into one long would cost precision or range; a reference costs an allocation only on a transition, which is
 * rare, and the hot path (closed, no recent fault) is one volatile read with no write.
 *
 * <p>A probe whose caller never reports back (the client went away before the upstream call) would hold the breaker
 * half-open for ever; so a probe outstanding for the current open period is presumed lost and the next caller
 * probes again. Outcomes are not tied to the call that produced them: a success reported while half-open closes the
 * breaker even if it came from a call that started before it opened (the upstream answered, which is what the probe
 * asks), and any outcome reported while open is ignored (the probe decides).
 *
 * <p>Thread-safe and lock-free; every method may be called from any thread.
 */
public final class CircuitBreaker {

    public enum State { CLOSED, OPEN, HALF_OPEN }

    /** The first open period unless given: long enough to spare a failing upstream, short enough for a blip. */
    public static final Duration FIRST_OPEN_FOR = Duration.ofSeconds(1);

    private static final Snapshot HEALTHY = new Snapshot(State.CLOSED, 0, 0, 0);

    private final int threshold;
    private final long firstOpenNanos;
    private final long openForNanos;
    private final NanoClock clock;
    private final AtomicReference<Snapshot> snapshot = new AtomicReference<>(HEALTHY);

    /**
     * @param threshold consecutive faults that open the breaker
     * @param openFor   the longest open period (a breaker whose probes keep failing waits this long between them)
     */
    public CircuitBreaker(int threshold, Duration openFor, NanoClock clock) {
        this(threshold, openFor.compareTo(FIRST_OPEN_FOR) < 0 ? openFor : FIRST_OPEN_FOR, openFor, clock);
    }

    /**
     * @param firstOpenFor the open period after the breaker first opens; doubled by each failed probe
     * @param openFor      the longest open period; also bounds how long a probe may stay unanswered
     */
    public CircuitBreaker(int threshold, Duration firstOpenFor, Duration openFor, NanoClock clock) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold: " + threshold + " (expected: >= 1)");
        }
        if (openFor.isNegative() || openFor.isZero() || openFor.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException("openFor: " + openFor + " (expected: > 0 and at most a year)");
        }
        if (firstOpenFor.isNegative() || firstOpenFor.isZero() || firstOpenFor.compareTo(openFor) > 0) {
            throw new IllegalArgumentException("firstOpenFor: " + firstOpenFor + " (expected: > 0 and at most "
                    + openFor + ")");
        }
        this.threshold = threshold;
        this.firstOpenNanos = firstOpenFor.toNanos();
        this.openForNanos = openFor.toNanos();
        this.clock = clock;
    }

    /** May this call go upstream? {@link Pass.Verdict#PROBE} goes to exactly one caller per half-open period. */
    public Pass tryPass() {
        for (;;) {
            Snapshot s = snapshot.get();
            if (s.state == State.CLOSED) {
                return Pass.ALLOW;
            }
            long now = clock.nanoTime();
            long left = s.deadlineNanos - now;
            if (left > 0) {
                // OPEN: until the probe may go; HALF_OPEN: until the outstanding probe is presumed lost.
                return Pass.reject(left);
            }
            if (snapshot.compareAndSet(s, new Snapshot(State.HALF_OPEN, s.failures, now + s.periodNanos,
                    s.periodNanos))) {
                return Pass.PROBE;
            }
        }
    }

    /** The upstream answered (any status that is not an upstream fault). Closes a half-open breaker. */
    public void onSuccess() {
        for (;;) {
            Snapshot s = snapshot.get();
            if (s == HEALTHY || s.state == State.OPEN) {
                return;
            }
            if (snapshot.compareAndSet(s, HEALTHY)) {
                return;
            }
        }
    }

    /** An upstream fault. Opens the breaker at the threshold, or reopens it while half-open. */
    public void onFailure() {
        for (;;) {
            Snapshot s = snapshot.get();
            Snapshot next;
            switch (s.state) {
                case OPEN:
                    return;
                case HALF_OPEN:
                    next = opened(s.failures, Math.min(openForNanos, 2 * s.periodNanos)); // the probe failed
                    break;
                default:
                    int failures = s.failures + 1;
                    next = failures >= threshold ? opened(failures, firstOpenNanos)
                            : new Snapshot(State.CLOSED, failures, 0, 0);
            }
            if (snapshot.compareAndSet(s, next)) {
                return;
            }
        }
    }

    /**
     * The state as stored: an open breaker whose period is over still reads OPEN until a caller takes the probe.
     */
    public State state() {
        return snapshot.get().state;
    }

    /** Faults in a row since the last success. */
    public int consecutiveFailures() {
        return snapshot.get().failures;
    }

    @Override
    public String toString() {
        Snapshot s = snapshot.get();
        return "CircuitBreaker[" + s.state + ", failures=" + s.failures + "]";
    }

    private Snapshot opened(int failures, long periodNanos) {
        return new Snapshot(State.OPEN, Math.min(failures, threshold), clock.nanoTime() + periodNanos, periodNanos);
    }

    /**
     * @param deadlineNanos OPEN: when a probe may go; HALF_OPEN: when the probe is presumed lost; CLOSED: unused
     * @param periodNanos   the open period in force (OPEN, HALF_OPEN); 0 when closed
     */
    private record Snapshot(State state, int failures, long deadlineNanos, long periodNanos) {
    }

    /**
     * @param verdict         ALLOW (closed), PROBE (the one half-open trial: report its outcome), REJECT
     * @param retryAfterNanos when rejected: until the next probe may go; 0 otherwise
     */
    public record Pass(Verdict verdict, long retryAfterNanos) {

        public enum Verdict { ALLOW, PROBE, REJECT }

        static final Pass ALLOW = new Pass(Verdict.ALLOW, 0);
        static final Pass PROBE = new Pass(Verdict.PROBE, 0);

        static Pass reject(long retryAfterNanos) {
            return new Pass(Verdict.REJECT, retryAfterNanos);
        }

        /** ALLOW or PROBE: the call may go upstream. */
        public boolean permitted() {
            return verdict != Verdict.REJECT;
        }
    }
}
