package dev.llmproxy.stats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A bounded, append-only numbering of strings (error kinds, rate-limit kinds): each string gets the next free index,
 * up to {@code capacity - 1} strings; every string after that shares the last index, named by {@code overflowKey}.
 * Lets counters live in flat {@code AtomicLongArray}s instead of maps.
 *
 * <p>Threading: lock-free. A lookup of a known key is one volatile read and a hash lookup; a new key publishes a new
 * immutable table by CAS, which happens at most {@code capacity} times in the life of the index.
 */
final class KeyIndex {
    private record Table(Map<String, Integer> indexes, List<String> keys) {
    }

    private final int capacity;
    private final String overflowKey;
    private final AtomicReference<Table> table = new AtomicReference<>(new Table(Map.of(), List.of()));

    KeyIndex(int capacity, String overflowKey) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 2)");
        }
        this.capacity = capacity;
        this.overflowKey = overflowKey;
    }

    int indexOf(String key) {
        for (;;) {
            Table current = table.get();
            Integer index = current.indexes.get(key);
            if (index != null) {
                return index;
            }
            if (current.keys.size() >= capacity - 1) {
                return capacity - 1;
            }
            Map<String, Integer> indexes = new HashMap<>(current.indexes);
            List<String> keys = new ArrayList<>(current.keys);
            indexes.put(key, keys.size());
            keys.add(key);
            Table next = new Table(Map.copyOf(indexes), List.copyOf(keys));
            if (table.compareAndSet(current, next)) {
                return keys.size() - 1;
            }
        }
    }

    /** The key of {@code index}: a registered key, or the overflow key for the last index. */
    String keyAt(int index) {
        List<String> keys = table.get().keys;
        return index < keys.size() ? keys.get(index) : overflowKey;
    }

    int capacity() {
        return capacity;
    }
}
