package dev.llmproxy.upstream;

import java.time.Duration;

/**
 * One upstream's circuit breaker: {@code threshold} consecutive faults with no answer (refused, lost connection,
 * timeout, an unreadable response) open it, for {@code firstOpenFor} at first (1 s by default); then one request is let
 * through as a probe, whose success closes it and whose fault opens it again for twice as long, up to
 * {@code openFor}: a brief outage costs seconds, a long one is probed once per {@code openFor}. While open, a route skips the upstream and a lone upstream is answered 503 at once. Any answer, a 5xx
 * included, shows the upstream is up: a model's own failures open that model's breaker in admission, not this one.
 *
 * <p>Threading: any event loop; each method holds this object's lock for a few steps.
 */
public final class UpstreamBreaker {
    /** What {@code /health} shows. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final long openNanos;
    private final long firstOpenNanos;
    private long periodNanos;
    private int consecutiveFaults;
    private long openUntilNanos;
    private boolean open;
    private boolean probing;

    /** @param threshold 0 turns the breaker off; the first open period is 1 s (at most {@code openFor}) */
    public UpstreamBreaker(int threshold, Duration openFor) {
        this(threshold, openFor.compareTo(Duration.ofSeconds(1)) < 0 ? openFor : Duration.ofSeconds(1), openFor);
    }

    /**
     * @param threshold    0 turns the breaker off
     * @param firstOpenFor the first open period, doubled by each failed probe
     * @param openFor      the longest open period
     */
    public UpstreamBreaker(int threshold, Duration firstOpenFor, Duration openFor) {
        this.threshold = threshold;
        this.openNanos = openFor.toNanos();
        this.firstOpenNanos = Math.min(openNanos, firstOpenFor.toNanos());
    }

    /** 0 when a request may go (the probe, when half-open), else how long until the breaker lets one through. */
    public synchronized long tryPass(long nowNanos) {
        if (!open) {
            return 0;
        }
        long left = openUntilNanos - nowNanos;
        if (left > 0) {
            return left;
        }
        if (probing) {
            return Math.max(1, openNanos / 10); // the probe is out; its answer decides
        }
        probing = true;
        return 0;
    }

    public synchronized void success() {
        consecutiveFaults = 0;
        open = false;
        probing = false;
    }

    public synchronized void fault(long nowNanos) {
        consecutiveFaults++;
        if (threshold > 0 && (probing || consecutiveFaults >= threshold)) {
            periodNanos = probing ? Math.min(openNanos, 2 * periodNanos) : open ? periodNanos : firstOpenNanos;
            open = true;
            probing = false;
            openUntilNanos = nowNanos + periodNanos;
        }
    }

    public synchronized State state(long nowNanos) {
        if (!open) {
            return State.CLOSED;
        }
        return openUntilNanos - nowNanos > 0 && !probing ? State.OPEN : State.HALF_OPEN;
    }
}
