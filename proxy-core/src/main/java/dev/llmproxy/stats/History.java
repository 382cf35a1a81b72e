package dev.llmproxy.stats;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The store behind {@code GET} and {@code POST /v1/history} (REFERENCE §2.10): a newest-first list of JSON values per
 * client identity. The reference kept one list for everyone, so any client read every other client's prompts and
 * answers (REFERENCE §12.23); here a client sees only what it posted itself.
 *
 * <p><b>Bounds</b>, because entries and identities come from clients: per identity at most {@code maxEntries} entries
 * and {@code maxBytesPerIdentity} bytes (the oldest entries are dropped to make room); at most {@code maxIdentities}
 * identities and {@code maxTotalBytes} bytes in all (the least recently used identities are dropped, reading counts
 * as use). An entry's size is the length of its compact JSON serialization; the parsed tree the store holds is a
 * small multiple of that in heap.
 *
 * <p>Threading: any thread. One lock guards the identity table; it is held for a map update and a copy of at most
 * {@code maxEntries} references, never while parsing or serializing JSON. Stored entries are private copies; the
 * lists returned are immutable, and their nodes are shared with the store, so callers serialize them and must not
 * modify them.
 */
public final class History {
    public static final int DEFAULT_MAX_ENTRIES = 200;
    public static final long DEFAULT_MAX_BYTES_PER_IDENTITY = 1L << 20;
    public static final int DEFAULT_MAX_IDENTITIES = 10_000;
    public static final long DEFAULT_MAX_TOTAL_BYTES = 64L << 20;

    private static final String NOT_JSON = "history entry: not valid JSON (expected: exactly one JSON value)";

    /** One identity's entries, newest first, with each entry's size in bytes. Immutable. */
    private record Entries(List<JsonNode> values, long[] sizes, long bytes) {
        static final Entries EMPTY = new Entries(List.of(), new long[0], 0);
    }

    private final int maxEntries;
    private final long maxBytesPerIdentity;
    private final int maxIdentities;
    private final long maxTotalBytes;
    private final Object lock = new Object();
    /** Access order: the eldest entry is the least recently used identity. Guarded by {@code lock}. */
    private final LinkedHashMap<String, Entries> byIdentity = new LinkedHashMap<>(16, 0.75f, true);
    /** Guarded by {@code lock}. */
    private long totalBytes;

    public History() {
        this(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES_PER_IDENTITY, DEFAULT_MAX_IDENTITIES, DEFAULT_MAX_TOTAL_BYTES);
    }

    public History(int maxEntries, long maxBytesPerIdentity, int maxIdentities, long maxTotalBytes) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: >= 1)");
        }
        if (maxBytesPerIdentity < 1) {
            throw new IllegalArgumentException("maxBytesPerIdentity: " + maxBytesPerIdentity + " (expected: >= 1)");
        }
        if (maxIdentities < 1) {
            throw new IllegalArgumentException("maxIdentities: " + maxIdentities + " (expected: >= 1)");
        }
        if (maxTotalBytes < maxBytesPerIdentity) {
            throw new IllegalArgumentException("maxTotalBytes: " + maxTotalBytes
                    + " (expected: >= maxBytesPerIdentity " + maxBytesPerIdentity + ")");
        }
        this.maxEntries = maxEntries;
        this.maxBytesPerIdentity = maxBytesPerIdentity;
        this.maxIdentities = maxIdentities;
        this.maxTotalBytes = maxTotalBytes;
    }

    /**
     * Parses a {@code POST} body and adds it: any JSON value, including {@code null}, arrays and bare strings.
     *
     * @throws IllegalArgumentException when the body is empty or not exactly one JSON value, or is larger than one
     *                                  identity's byte budget
     */
    public List<JsonNode> add(String identity, byte[] body) {
        return add(identity, parse(body));
    }

    /**
     * Puts {@code entry} first in {@code identity}'s list, drops what no longer fits, and returns the list, newest
     * first.
     *
     * @throws IllegalArgumentException when the entry alone is larger than one identity's byte budget
     */
    public List<JsonNode> add(String identity, JsonNode entry) {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(entry, "entry");
        JsonNode copy = entry.deepCopy();
        long size = Json.bytes(copy).length;
        if (size > maxBytesPerIdentity) {
            throw new IllegalArgumentException("history entry: " + size + " bytes (expected: at most "
                    + maxBytesPerIdentity + ")");
        }
        synchronized (lock) {
            Entries old = byIdentity.getOrDefault(identity, Entries.EMPTY);
            Entries updated = prepend(old, copy, size);
            byIdentity.put(identity, updated);
            totalBytes += updated.bytes() - old.bytes();
            evictLeastRecentlyUsed();
            return updated.values();
        }
    }

    /** {@code identity}'s entries, newest first; empty for an identity that has none. */
    public List<JsonNode> get(String identity) {
        Objects.requireNonNull(identity, "identity");
        synchronized (lock) {
            Entries entries = byIdentity.get(identity);
            return entries == null ? List.of() : entries.values();
        }
    }

    /** Identities currently holding entries. */
    public int identities() {
        synchronized (lock) {
            return byIdentity.size();
        }
    }

    /** Bytes held for all identities. */
    public long totalBytes() {
        synchronized (lock) {
            return totalBytes;
        }
    }

    private Entries prepend(Entries old, JsonNode entry, long size) {
        int keep = 0;
        long bytes = size;
        int limit = Math.min(old.values().size(), maxEntries - 1);
        while (keep < limit && bytes + old.sizes()[keep] <= maxBytesPerIdentity) {
            bytes += old.sizes()[keep];
            keep++;
        }
        List<JsonNode> values = new ArrayList<>(keep + 1);
        long[] sizes = new long[keep + 1];
        values.add(entry);
        sizes[0] = size;
        for (int i = 0; i < keep; i++) {
            values.add(old.values().get(i));
            sizes[i + 1] = old.sizes()[i];
        }
        return new Entries(List.copyOf(values), sizes, bytes);
    }

    /** Drops the least recently used identities until both the identity and the byte bounds hold. */
    private void evictLeastRecentlyUsed() {
        Iterator<Map.Entry<String, Entries>> eldest = byIdentity.entrySet().iterator();
        // The identity just written is the most recent and fits its own budget, so the loop stops before reaching it.
        while ((byIdentity.size() > maxIdentities || totalBytes > maxTotalBytes) && eldest.hasNext()) {
            totalBytes -= eldest.next().getValue().bytes();
            eldest.remove();
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new IllegalArgumentException(NOT_JSON);
        }
        JsonNode entry;
        try {
            entry = Json.readTree(body);
        } catch (JsonProcessingException e) {
            // The parser's message quotes the client's bytes; the 400 it becomes does not need them.
            throw new IllegalArgumentException(NOT_JSON, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a byte array does no I/O
        }
        if (entry == null || entry.isMissingNode()) {
            throw new IllegalArgumentException(NOT_JSON);
        }
        return entry;
    }
}
