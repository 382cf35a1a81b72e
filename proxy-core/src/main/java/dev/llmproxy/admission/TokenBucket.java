package dev.llmproxy.admission;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket for one key, kept as GCRA (the generic cell rate algorithm): the whole state is one number, the
 * theoretical arrival time (TAT), the moment by which every admitted request would have been served had they been
 * spaced exactly at the sustained rate. A request is admitted when moving the TAT one interval forward keeps it at
 * most {@code burst} intervals ahead of now. A full bucket is simply a TAT in the past.
 *
 * <p>Thread-safe and lock-free: a decision reads the clock once and moves the TAT with one compare-and-set, retrying
 * only when another thread moved it first. A denied attempt writes nothing, so it costs the client nothing: the
 * reference counted rejected requests too, which kept a client that retried early locked out for the whole window.
 *
 * <p>Rates are held as whole nanoseconds per token ({@code round(60 s / permitsPerMinute)}); for any rate a person
 * would configure the rounding is below a nanosecond per token.
 */
public final class TokenBucket {

    /**
     * The TAT of a bucket that {@link KeyedBuckets} has dropped. Kept in the same word as the TAT so that dropping and
     * consuming cannot both succeed; no reading of a monotonic clock is 292 years before its origin.
     */
    static final long RETIRED = Long.MIN_VALUE;

    private final NanoClock clock;
    private final int burst;
    private final long intervalNanos;
    private final long capacityNanos;
    private final AtomicLong tat;

    /**
     * @param permitsPerMinute the sustained rate; fractions allowed (0.5 = one every two minutes)
     * @param burst            how many requests a full bucket admits at once; also the limit reported to clients
     * @param clock            the time source; the bucket starts full at its current reading
     */
    public TokenBucket(double permitsPerMinute, int burst, NanoClock clock) {
        this.intervalNanos = intervalNanos(permitsPerMinute, burst);
        this.burst = burst;
        this.capacityNanos = intervalNanos * burst;
        this.clock = clock;
        this.tat = new AtomicLong(clock.nanoTime());
    }

    /** Takes one token if there is one. Never blocks; a denial changes nothing. */
    public Decision tryAcquire() {
        Decision decision = tryAcquireUnlessRetired();
        // Only KeyedBuckets retires buckets, and it never hands a retired one out through this method.
        assert decision != null;
        return decision;
    }

    /** True when the bucket is full at {@code nowNanos}: forgetting it loses nothing, a new one would be the same. */
    public boolean idle(long nowNanos) {
        long t = tat.get();
        return t == RETIRED || t - nowNanos <= 0;
    }

    /** {@link #tryAcquire()}, or null if {@link #retireIfIdle} got there first: the caller must look up a live bucket. */
    Decision tryAcquireUnlessRetired() {
        long now = clock.nanoTime();
        for (;;) {
            long current = tat.get();
            if (current == RETIRED) {
                return null;
            }
            long start = current - now > 0 ? current : now;
            long next = start + intervalNanos;
            long ahead = next - now;
            if (ahead > capacityNanos) {
                return new Decision(false, burst, 0, ahead - capacityNanos, current - now);
            }
            if (tat.compareAndSet(current, next)) {
                return new Decision(true, burst, (int) ((capacityNanos - ahead) / intervalNanos), 0, ahead);
            }
        }
    }

    /**
     * Marks the bucket dropped if it is full at {@code nowNanos}, in the same CAS that a consumer would use, so a
     * request racing with eviction is either charged before the bucket goes (and then it is not idle) or sees
     * {@link #RETIRED} and moves to the bucket that replaces it.
     *
     * @return true if the bucket is retired now (by this call or an earlier one)
     */
    boolean retireIfIdle(long nowNanos) {
        long t = tat.get();
        if (t == RETIRED) {
            return true;
        }
        return t - nowNanos <= 0 && tat.compareAndSet(t, RETIRED);
    }

    /** Nanoseconds for one token to come back. */
    long intervalNanos() {
        return intervalNanos;
    }

    public int burst() {
        return burst;
    }

    private static long intervalNanos(double permitsPerMinute, int burst) {
        if (!(permitsPerMinute > 0) || Double.isInfinite(permitsPerMinute)) {
            throw new IllegalArgumentException("permitsPerMinute: " + permitsPerMinute + " (expected: a finite number > 0)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        double interval = Math.rint(60_000_000_000d / permitsPerMinute);
        if (interval < 1 || interval > (double) (Long.MAX_VALUE / 4) / burst) {
            throw new IllegalArgumentException("permitsPerMinute: " + permitsPerMinute + " with burst " + burst
                    + " (expected: an interval between 1 ns and " + (Long.MAX_VALUE / 4 / burst) + " ns per token)");
        }
        return (long) interval;
    }

    /**
     * The outcome of one attempt, with what a 429 and the {@code x-ratelimit-*-requests} headers need.
     *
     * @param allowed         a token was taken
     * @param limit           the burst: how many requests a full bucket admits
     * @param remaining       whole tokens left after this decision
     * @param retryAfterNanos 0 when allowed; otherwise the time until one token is back
     * @param resetNanos      the time until the bucket is full again
     */
    public record Decision(boolean allowed, int limit, int remaining, long retryAfterNanos, long resetNanos) {
    }
}
