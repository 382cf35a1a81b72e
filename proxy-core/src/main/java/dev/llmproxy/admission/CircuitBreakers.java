package dev.llmproxy.admission;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@link CircuitBreaker} per model. Catalog ids known at start get theirs up front; any other id (a model the
 * upstream serves but does not list, one that appeared in a later catalog refresh, or a made-up one) gets its own
 * on first use in a bounded table of at most {@code maxOtherModels}, so one failing model never pauses the others.
 * Beyond the bound, ids share one overflow breaker ({@link #other()}); breakers that are closed with no fault carry no
 * state, and a full table drops them (at most once a second) to make room again. However many distinct ids clients
 * send, memory stays bounded.
 *
 * <p>Thread-safe: the catalog map is immutable, the table a {@link ConcurrentHashMap}; its bound may be overshot
 * by the number of threads racing past the size check at once, never more.
 */
public final class CircuitBreakers {

    /** The name under which ids beyond the table's bound are reported, as in metric labels. */
    public static final String OTHER = "other";
    /** Default bound of the table of ids outside the start-up catalog. */
    public static final int MAX_OTHER_MODELS = 1024;
    private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Map<String, CircuitBreaker> byModel;
    private final ConcurrentHashMap<String, CircuitBreaker> others = new ConcurrentHashMap<>();
    private final CircuitBreaker other;
    private final int maxOtherModels;
    private final int threshold;
    private final Duration firstOpenFor;
    private final Duration openFor;
    private final NanoClock clock;
    private final AtomicLong lastSweepNanos;

    public CircuitBreakers(Set<String> knownIds, int threshold, Duration openFor, NanoClock clock) {
        this(knownIds, threshold, openFor, clock, MAX_OTHER_MODELS);
    }

    public CircuitBreakers(Set<String> knownIds, int threshold, Duration openFor, NanoClock clock,
                           int maxOtherModels) {
        this(knownIds, threshold, openFor.compareTo(CircuitBreaker.FIRST_OPEN_FOR) < 0 ? openFor
                : CircuitBreaker.FIRST_OPEN_FOR, openFor, clock, maxOtherModels);
    }

    /**
     * @param firstOpenFor   each breaker's first open period (see {@link CircuitBreaker})
     * @param openFor        its longest open period
     * @param maxOtherModels how many ids outside {@code knownIds} get a breaker of their own
     */
    public CircuitBreakers(Set<String> knownIds, int threshold, Duration firstOpenFor, Duration openFor,
                           NanoClock clock, int maxOtherModels) {
        this.threshold = threshold;
        this.firstOpenFor = firstOpenFor;
        this.openFor = openFor;
        this.clock = clock;
        Map<String, CircuitBreaker> breakers = new HashMap<>();
        for (String id : knownIds) {
            breakers.put(id, newBreaker());
        }
        this.byModel = Map.copyOf(breakers);
        this.other = newBreaker();
        this.maxOtherModels = maxOtherModels;
        this.lastSweepNanos = new AtomicLong(clock.nanoTime() - SWEEP_INTERVAL_NANOS);
    }

    /** The model's own breaker; the overflow breaker only when the table is full (or for a null id). */
    public CircuitBreaker forModel(String modelId) {
        if (modelId == null) {
            return other;
        }
        CircuitBreaker breaker = byModel.get(modelId);
        if (breaker != null) {
            return breaker;
        }
        breaker = others.get(modelId);
        if (breaker != null) {
            return breaker;
        }
        if (others.size() >= maxOtherModels && !madeRoom()) {
            return other;
        }
        return others.computeIfAbsent(modelId, id -> newBreaker());
    }

    private CircuitBreaker newBreaker() {
        return new CircuitBreaker(threshold, firstOpenFor, openFor, clock);
    }

    /** The overflow breaker shared by ids beyond the table's bound. */
    public CircuitBreaker other() {
        return other;
    }

    /** The start-up catalog's breakers (without the table and {@link #other()}), for metrics and status pages. */
    public Map<String, CircuitBreaker> byModel() {
        return byModel;
    }

    /** A full table sweeps out healthy breakers, at most once a second (a sweep reads the whole table). */
    private boolean madeRoom() {
        long now = clock.nanoTime();
        long last = lastSweepNanos.get();
        if (now - last < SWEEP_INTERVAL_NANOS || !lastSweepNanos.compareAndSet(last, now)) {
            return false;
        }
        evictHealthy();
        return others.size() < maxOtherModels;
    }

    /** Drops the table's breakers that are closed with no fault (they hold nothing); run periodically. */
    public void evictHealthy() {
        others.values().removeIf(b -> b.state() == CircuitBreaker.State.CLOSED && b.consecutiveFailures() == 0);
    }

    /** Breakers held: the catalog's, the table's and the overflow one. */
    public int size() {
        return byModel.size() + others.size() + 1;
    }
}
