package dev.llmproxy.admission;

import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One {@link CircuitBreaker} per model, at the model's {@link ModelHandle} index (ids that differ only in case share
 * one). Catalog ids known at start get theirs up front; any other id (a model the upstream serves but does not list,
 * one that appeared in a later catalog refresh, or a made-up one) gets its own on first use, at most
 * {@code maxOtherModels} of them at once, so one failing model never pauses the others. Beyond the bound, and for
 * {@link ModelHandle#OTHER}, ids share one overflow breaker ({@link #other()}); breakers that are closed with no fault
 * carry no state, and a full table drops them (at most once a second) to make room again. However many distinct ids
 * clients send, memory stays bounded (by the bound here and the {@link ModelIndex}'s).
 *
 * <p>Thread-safe: the catalog's breakers are an immutable array, the others an {@link AtomicReferenceArray} filled
 * by CAS; the bound may be overshot by the number of threads racing past the count at once, never more.
 */
public final class CircuitBreakers {

    /** The name under which ids beyond the table's bound are reported, as in metric labels. */
    public static final String OTHER = "other";
    /** Default bound of the table of ids outside the start-up catalog. */
    public static final int MAX_OTHER_MODELS = 1024;
    private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ModelIndex index;
    private final Map<String, CircuitBreaker> byModel;
    /** The catalog's breakers at their handles' indexes; never changes. */
    private final CircuitBreaker[] known;
    /** Other models' breakers at their handles' indexes, created on first use, dropped when healthy. */
    private final AtomicReferenceArray<CircuitBreaker> others;
    private final AtomicInteger othersHeld = new AtomicInteger();
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

    /** Breakers with an index of their own (tests that pass ids as text). */
    public CircuitBreakers(Set<String> knownIds, int threshold, Duration firstOpenFor, Duration openFor,
                           NanoClock clock, int maxOtherModels) {
        this(knownIds, new ModelIndex(), threshold, firstOpenFor, openFor, clock, maxOtherModels);
    }

    /**
     * @param firstOpenFor   each breaker's first open period (see {@link CircuitBreaker})
     * @param openFor        its longest open period
     * @param maxOtherModels how many ids outside {@code knownIds} get a breaker of their own
     */
    public CircuitBreakers(Set<String> knownIds, ModelIndex models, int threshold, Duration firstOpenFor,
                           Duration openFor, NanoClock clock, int maxOtherModels) {
        this.index = models;
        this.threshold = threshold;
        this.firstOpenFor = firstOpenFor;
        this.openFor = openFor;
        this.clock = clock;
        Map<String, CircuitBreaker> breakers = new HashMap<>();
        Map<Integer, CircuitBreaker> byIndex = new HashMap<>();
        int max = 0;
        for (String id : knownIds) {
            ModelHandle h = models.intern(id);
            // ids that differ only in case are one model; a catalog too large for the index shares the overflow one
            CircuitBreaker breaker = h.isOther() ? null : byIndex.computeIfAbsent(h.index(), i -> newBreaker());
            if (breaker != null) {
                breakers.put(id, breaker);
                max = Math.max(max, h.index());
            }
        }
        this.known = new CircuitBreaker[max + 1];
        byIndex.forEach((i, b) -> known[i] = b);
        this.others = new AtomicReferenceArray<>(models.capacity() + 1);
        this.byModel = Map.copyOf(breakers);
        this.other = newBreaker();
        this.maxOtherModels = maxOtherModels;
        this.lastSweepNanos = new AtomicLong(clock.nanoTime() - SWEEP_INTERVAL_NANOS);
    }

    /** The model's own breaker, the id given as text (tests, tools): interned, then {@link #forModel(ModelHandle)}. */
    public CircuitBreaker forModel(String modelId) {
        return modelId == null ? other : forModel(index.intern(modelId));
    }

    /** The model's own breaker; the overflow breaker only when the table is full (or for {@link ModelHandle#OTHER}). */
    public CircuitBreaker forModel(ModelHandle model) {
        int i = model.index();
        if (i == 0 || i >= others.length()) {
            return other;
        }
        CircuitBreaker breaker = i < known.length ? known[i] : null;
        if (breaker != null) {
            return breaker;
        }
        breaker = others.get(i);
        if (breaker != null) {
            return breaker;
        }
        if (othersHeld.get() >= maxOtherModels && !madeRoom()) {
            return other;
        }
        CircuitBreaker created = newBreaker();
        if (others.compareAndSet(i, null, created)) {
            othersHeld.incrementAndGet();
            return created;
        }
        breaker = others.get(i);
        return breaker != null ? breaker : created; // dropped again at once by a sweep: this one serves the call
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
        return othersHeld.get() < maxOtherModels;
    }

    /**
     * Drops the table's breakers that are closed with no fault (they hold nothing); run periodically. Reads the place
     * of every index handed out so far (at most the index's capacity: microseconds), so a full table does it at most
     * once a second.
     */
    public void evictHealthy() {
        int last = Math.min(index.size(), others.length() - 1);
        for (int i = 1; i <= last; i++) {
            CircuitBreaker b = others.get(i);
            if (b != null && b.state() == CircuitBreaker.State.CLOSED && b.consecutiveFailures() == 0
                    && others.compareAndSet(i, b, null)) {
                othersHeld.decrementAndGet();
            }
        }
    }

    /** Breakers held: the catalog's, the table's and the overflow one. */
    public int size() {
        return byModel.size() + othersHeld.get() + 1;
    }
}
