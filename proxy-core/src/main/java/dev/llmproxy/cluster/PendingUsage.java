package dev.llmproxy.cluster;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ObjLongConsumer;

/**
 * Usage that could not be added to Redis while it was unavailable, per counter and UTC day, added when it is back
 * ({@link SharedCounters#reconcile}). Budgets stay whole across an outage: an addition that timed out may also have
 * reached Redis, so a budget can be over-charged by what was in flight when Redis stalled, never under-charged.
 *
 * <p>Bounded: about {@value #MAX_ENTRIES} counter-days (a few more when threads race at the limit); beyond that new
 * ones are dropped and counted. Threading: any thread; each entry changes by one atomic {@code merge} or
 * {@code remove}, so no addition is lost to a concurrent drain.
 */
final class PendingUsage {

    static final int MAX_ENTRIES = 10_000;

    record Entry(String name, UsagePeriod period) {
    }

    private final ConcurrentHashMap<Entry, Long> amounts = new ConcurrentHashMap<>();
    private final LongAdder dropped = new LongAdder();

    void add(String name, UsagePeriod period, long amount) {
        Entry entry = new Entry(name, period);
        if (amounts.size() >= MAX_ENTRIES && !amounts.containsKey(entry)) {
            dropped.add(amount);
            return;
        }
        amounts.merge(entry, amount, Long::sum);
    }

    /** Removes every entry and hands it to {@code sink}; what is added meanwhile stays for the next drain. */
    void drain(ObjLongConsumer<Entry> sink) {
        for (Entry entry : amounts.keySet()) {
            Long amount = amounts.remove(entry);
            if (amount != null && amount != 0) {
                sink.accept(entry, amount);
            }
        }
    }

    /** Usage waiting for Redis now. */
    long pending() {
        long sum = 0;
        for (Long a : amounts.values()) {
            sum += a;
        }
        return sum;
    }

    /** Usage given up because too many counter-days were waiting. */
    long dropped() {
        return dropped.sum();
    }
}
