package dev.llmproxy.admission;

import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * A per-model table's slots: one for each id it was built with (the start-up catalog's), kept at the id's
 * {@link ModelHandle} index, and one shared slot for every other handle — {@link ModelHandle#OTHER}, an id listed
 * only later, one a client made up — so a table never grows. Ids that differ only in case share a handle and so a
 * slot; the first spelling names it. With a shared slot, an id spelled {@code other} is that slot's, as reports name
 * the shared slot so.
 *
 * <p>Immutable after construction: {@link #at} is one array read, no lookup and no allocation.
 */
final class ModelTable<T> {
    private final ModelIndex index;
    private final Object[] byIndex;
    private final T other;
    private final List<T> ordered;

    /**
     * @param ids      the ids with a slot of their own, interned in {@code index}
     * @param slotFor  makes an id's slot
     * @param other    the shared slot (may be null: "no slot")
     */
    ModelTable(ModelIndex index, Collection<String> ids, Function<String, T> slotFor, T other) {
        this.index = index;
        this.other = other;
        List<ModelHandle> handles = new ArrayList<>(ids.size());
        int max = 0;
        for (String id : ids) {
            ModelHandle h = other != null && QuotaTracker.OTHER_MODELS.equalsIgnoreCase(id) ? ModelHandle.OTHER
                    : index.intern(id);
            handles.add(h);
            max = Math.max(max, h.index());
        }
        Object[] slots = new Object[max + 1];
        List<T> inOrder = new ArrayList<>();
        int i = 0;
        for (String id : ids) {
            ModelHandle h = handles.get(i++);
            if (!h.isOther() && slots[h.index()] == null) {
                T slot = slotFor.apply(id);
                slots[h.index()] = slot;
                inOrder.add(slot);
            }
        }
        if (other != null) {
            inOrder.add(other);
        }
        this.byIndex = slots;
        this.ordered = List.copyOf(inOrder);
    }

    /** The model's slot, or the shared one. */
    @SuppressWarnings("unchecked")
    T at(ModelHandle model) {
        int i = model.index();
        Object slot = i < byIndex.length ? byIndex[i] : null;
        return slot != null ? (T) slot : other;
    }

    /** The slot of an id given as text (reports, tools, tests): looked up, never interned. */
    T of(String id) {
        ModelHandle h = index.find(id);
        return h == null ? other : at(h);
    }

    /**
     * The slot an id names exactly: its own slot, the shared one for an id spelled {@code other}, else null (an id
     * without a slot of its own is not the shared slot's only id: news about it must not touch the others').
     */
    T named(String id) {
        if (other != null && QuotaTracker.OTHER_MODELS.equalsIgnoreCase(id)) {
            return other;
        }
        ModelHandle h = index.find(id);
        if (h == null || h.isOther() || h.index() >= byIndex.length) {
            return null;
        }
        @SuppressWarnings("unchecked")
        T slot = (T) byIndex[h.index()];
        return slot;
    }

    /** The ids' slots in the order given (first spelling of each), then the shared one when there is one. */
    List<T> ordered() {
        return ordered;
    }

    ModelIndex index() {
        return index;
    }
}
