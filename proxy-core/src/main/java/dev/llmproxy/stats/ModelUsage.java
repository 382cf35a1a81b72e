package dev.llmproxy.stats;

import dev.llmproxy.metrics.LatencyRecorder;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The counters and samples of one model (or of all models together): one set since start and one per time slot of
 * the rolling window.
 *
 * <p>Threading: recorded from any event loop without locks. Counters are {@link AtomicLongArray} cells; a slot for a
 * new time period replaces the old one in its array cell by CAS, so two recorders that start a period together agree
 * on one slot and neither count is lost. A report reads the cells while recording goes on; it may miss requests
 * recorded during the read, never count one twice.
 */
final class ModelUsage {
    // Counter cells; errors by kind follow at FIELDS, upstream 429s by kind after those.
    private static final int SUCCESSES = 0;
    private static final int SUCCESS_NANOS = 1;
    private static final int SUCCESS_TOKENS = 2;
    private static final int PROMPT_TOKENS = 3;
    private static final int COMPLETION_TOKENS = 4;
    private static final int ESTIMATED_TOKENS = 5;
    private static final int GENERATION_TOKENS = 6;
    private static final int GENERATION_NANOS = 7;
    private static final int UPSTREAM_429 = 8;
    private static final int FIELDS = 9;

    /** One time slot of the rolling window's counters; {@code epoch} is the slot's index since the stats started. */
    private record Slot(long epoch, AtomicLongArray counters) {
    }

    /** What one finished request adds; computed once per request and applied to a model and to the totals. */
    record Outcome(int errorKind, int upstream429Kind, long durationNanos, long ttftNanos, long promptTokens,
                   long completionTokens, boolean estimated, long upstreamNanos) {
        static final int NONE = -1;

        boolean success() {
            return errorKind == NONE;
        }
    }

    private final KeyIndex errorKinds;
    private final KeyIndex upstream429Kinds;
    private final int cells;
    private final AtomicLongArray total;
    /** Latency of successes and TTFT: exact HdrHistogram distributions since start and per minute of the window. */
    private final LatencyRecorder latency;
    private final LatencyRecorder ttft;
    private final int windowMinutes;
    private final AtomicReferenceArray<Slot> slots;

    ModelUsage(KeyIndex errorKinds, KeyIndex upstream429Kinds, int slotCount, int windowMinutes,
               java.util.function.LongSupplier nanoClock) {
        this.errorKinds = errorKinds;
        this.upstream429Kinds = upstream429Kinds;
        this.cells = FIELDS + errorKinds.capacity() + upstream429Kinds.capacity();
        this.total = new AtomicLongArray(cells);
        this.windowMinutes = windowMinutes;
        this.latency = new LatencyRecorder(windowMinutes, nanoClock);
        this.ttft = new LatencyRecorder(windowMinutes, nanoClock);
        this.slots = new AtomicReferenceArray<>(slotCount);
    }

    void record(Outcome outcome, long epoch) {
        add(total, outcome);
        if (outcome.success()) {
            latency.record(outcome.durationNanos());
        }
        if (outcome.ttftNanos() >= 0) {
            ttft.record(outcome.ttftNanos());
        }
        Slot slot = slot(epoch);
        if (slot != null) {
            add(slot.counters(), outcome);
        }
    }

    private void add(AtomicLongArray counters, Outcome outcome) {
        long tokens = 0;
        if (outcome.promptTokens() > 0) {
            counters.getAndAdd(PROMPT_TOKENS, outcome.promptTokens());
            tokens += outcome.promptTokens();
        }
        if (outcome.completionTokens() > 0) {
            counters.getAndAdd(COMPLETION_TOKENS, outcome.completionTokens());
            tokens += outcome.completionTokens();
        }
        if (outcome.estimated() && tokens > 0) {
            counters.getAndAdd(ESTIMATED_TOKENS, tokens);
        }
        if (outcome.upstream429Kind() != Outcome.NONE) {
            counters.getAndIncrement(UPSTREAM_429);
            counters.getAndIncrement(FIELDS + errorKinds.capacity() + outcome.upstream429Kind());
        }
        if (outcome.success()) {
            counters.getAndAdd(SUCCESS_NANOS, Math.max(0, outcome.durationNanos()));
            counters.getAndAdd(SUCCESS_TOKENS, tokens);
            if (outcome.completionTokens() >= 0 && outcome.upstreamNanos() > 0) {
                counters.getAndAdd(GENERATION_TOKENS, outcome.completionTokens());
                counters.getAndAdd(GENERATION_NANOS, outcome.upstreamNanos());
            }
            // Last, so a concurrent reader never sees a success without its time and tokens.
            counters.getAndIncrement(SUCCESSES);
        } else {
            counters.getAndIncrement(FIELDS + outcome.errorKind());
        }
    }

    /**
     * The slot of {@code epoch}, created when the cell still holds an older period. Null when the cell already holds
     * a newer period: this recorder stalled for a whole window, so its request belongs to no slot still reported.
     */
    private Slot slot(long epoch) {
        int cell = (int) (epoch % slots.length());
        for (;;) {
            Slot current = slots.get(cell);
            if (current != null && current.epoch() >= epoch) {
                return current.epoch() == epoch ? current : null;
            }
            Slot fresh = new Slot(epoch, new AtomicLongArray(cells));
            if (slots.compareAndSet(cell, current, fresh)) {
                return fresh;
            }
        }
    }

    void aggregate() {
        latency.aggregate();
        ttft.aggregate();
    }

    Usage sinceStart() {
        long[] sums = new long[cells];
        addInto(sums, total);
        return usage(sums, Percentiles.of(latency.snapshot()), Percentiles.of(ttft.snapshot()));
    }

    /**
     * Counters in the slots with {@code firstEpoch <= epoch <= lastEpoch}; percentiles over the recorders' last
     * {@code windowMinutes} minutes (minute granularity).
     */
    Usage window(long firstEpoch, long lastEpoch) {
        long[] sums = new long[cells];
        for (int i = 0; i < slots.length(); i++) {
            Slot slot = slots.get(i);
            if (slot != null && slot.epoch() >= firstEpoch && slot.epoch() <= lastEpoch) {
                addInto(sums, slot.counters());
            }
        }
        return usage(sums, Percentiles.of(latency.lastMinutes(windowMinutes)),
                Percentiles.of(ttft.lastMinutes(windowMinutes)));
    }

    private static void addInto(long[] sums, AtomicLongArray counters) {
        for (int i = 0; i < sums.length; i++) {
            sums[i] += counters.get(i);
        }
    }

    private Usage usage(long[] sums, Percentiles latencies, Percentiles ttfts) {
        return new Usage(
                sums[SUCCESSES], sums[SUCCESS_NANOS], sums[SUCCESS_TOKENS],
                sums[PROMPT_TOKENS], sums[COMPLETION_TOKENS], sums[ESTIMATED_TOKENS],
                sums[GENERATION_TOKENS], sums[GENERATION_NANOS], sums[UPSTREAM_429],
                byKey(sums, FIELDS, errorKinds), byKey(sums, FIELDS + errorKinds.capacity(), upstream429Kinds),
                latencies, ttfts);
    }

    private static Map<String, Long> byKey(long[] sums, int offset, KeyIndex keys) {
        Map<String, Long> counts = new HashMap<>();
        for (int i = 0; i < keys.capacity(); i++) {
            long count = sums[offset + i];
            if (count != 0) {
                counts.merge(keys.keyAt(i), count, Long::sum);
            }
        }
        return counts;
    }
}
