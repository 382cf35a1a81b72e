package dev.llmproxy.upstream;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one registry of {@link ModelHandle}s: interns model ids, ignoring case, to dense indexes 1..{@link #capacity},
 * so each per-model table (admission's quota, daily and adaptive state, plan quotas, breakers, an upstream's gates,
 * metric labels) is an array read at {@code handle.index()} instead of a map of lower-cased ids.
 *
 * <p>Ids come from two places. Catalogs: {@link ModelRouter#sync} interns every listed id when a list changes, and
 * route targets are interned at start-up ({@link #intern}). Requests: an id no catalog lists (an unlisted
 * {@code <upstream>/<model>}, one sent to the only or the default upstream) is interned once per request when it is
 * resolved ({@link #internRequested}); clients choose those, so they may take indexes only up to
 * {@link #requestedCapacity}, and the rest stays for catalogs refreshed later. An id that finds no room gets
 * {@link ModelHandle#OTHER} (index 0), which every table maps to its shared "other" slot: memory stays bounded
 * however many distinct ids clients send. Indexes are never reused, so a table may keep what it learned at an index
 * for as long as it likes.
 *
 * <p>Bounds: {@value #DEFAULT_CAPACITY} ids in all, of which {@value #DEFAULT_REQUESTED_CAPACITY} from requests — three
 * upstreams listing the most a listing may hold ({@code ModelListing.MAX_MODELS}) still fit. A table that keeps a
 * lazily filled array of every index costs 4 bytes an index (64 KiB at the default), once.
 *
 * <p>Threading: any thread. A hit is one {@link ConcurrentHashMap#get} (and no allocation when the id is lower case
 * already); a miss takes the map's bin lock once, so concurrent interning of one id yields one index.
 */
public final class ModelIndex {
    public static final int DEFAULT_CAPACITY = 16_384;
    public static final int DEFAULT_REQUESTED_CAPACITY = 8_192;

    private final int capacity;
    private final int requestedCapacity;
    private final ConcurrentHashMap<String, ModelHandle> byLowerId = new ConcurrentHashMap<>();
    /** The last index handed out. */
    private final AtomicInteger last = new AtomicInteger();

    public ModelIndex() {
        this(DEFAULT_CAPACITY, DEFAULT_REQUESTED_CAPACITY);
    }

    /**
     * @param capacity          how many ids get an index of their own
     * @param requestedCapacity up to which index {@link #internRequested} may hand out new ones (at most capacity)
     */
    public ModelIndex(int capacity, int requestedCapacity) {
        if (capacity < 1 || requestedCapacity < 0 || requestedCapacity > capacity) {
            throw new IllegalArgumentException("capacity: " + capacity + ", requested: " + requestedCapacity
                    + " (expected: 1 <= capacity, 0 <= requested <= capacity)");
        }
        this.capacity = capacity;
        this.requestedCapacity = requestedCapacity;
    }

    /** The highest index a model may get; arrays indexed by handles need {@code capacity() + 1} places. */
    public int capacity() {
        return capacity;
    }

    /** The highest index handed out so far: every handle's index is at most this. */
    public int size() {
        return last.get();
    }

    /** The handle of a catalog's (or the configuration's) id: its own while the index has room. */
    public ModelHandle intern(String id) {
        return intern(id, capacity);
    }

    /**
     * The handle of an id a request named and no catalog lists: its own while fewer than {@link #requestedCapacity}
     * indexes are taken, else the id's existing handle or {@link ModelHandle#OTHER}.
     */
    public ModelHandle internRequested(String id) {
        return intern(id, requestedCapacity);
    }

    /** The id's handle if it has one, without interning: null otherwise (for string-keyed reports and tools). */
    public ModelHandle find(String id) {
        return id == null ? null : byLowerId.get(id.toLowerCase(Locale.ROOT));
    }

    private ModelHandle intern(String id, int bound) {
        if (id == null) {
            return ModelHandle.OTHER;
        }
        String key = id.toLowerCase(Locale.ROOT); // the same instance when already lower case
        ModelHandle handle = byLowerId.get(key);
        if (handle != null) {
            return handle;
        }
        if (last.get() >= bound) {
            return ModelHandle.OTHER; // full: nothing is stored, so the map stays bounded too
        }
        handle = byLowerId.computeIfAbsent(key, k -> {
            int taken = nextIndex(bound);
            return taken == 0 ? null : new ModelHandle(id, taken); // null: nothing stored
        });
        return handle != null ? handle : ModelHandle.OTHER;
    }

    /** Takes the next index if it is within {@code bound}; 0 when none is. Never hands one out twice. */
    private int nextIndex(int bound) {
        while (true) {
            int n = last.get();
            if (n >= bound) {
                return 0;
            }
            if (last.compareAndSet(n, n + 1)) {
                return n + 1;
            }
        }
    }
}
