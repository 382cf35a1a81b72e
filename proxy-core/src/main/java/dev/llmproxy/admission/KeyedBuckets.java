package dev.llmproxy.admission;

import dev.llmproxy.admission.TokenBucket.Decision;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@link TokenBucket} per key (client identity, model, IP …), in a map that never holds more than
 * {@code maxKeys} buckets, because the keys come from clients.
 *
 * <p>A bucket that is full again carries no information, so {@link #evictIdle()} drops it; callers run it
 * periodically, and a new key that finds the map full runs it inline (at most once per token interval, so a stream of
 * new keys cannot turn every request into a scan of the map).
 *
 * <p><b>Overflow policy.</b> When the map is full of buckets that are not idle, every new key shares one overflow
 * bucket with the same rate and burst. That degrades exactly the traffic that filled the table (many identities at
 * once, as a key-rotating client would make) to one bucket's worth, leaves every client that already has a bucket
 * untouched, and neither grows memory nor fails a request with an exception. The price is that a genuine new client
 * may be throttled together with the flood until buckets go idle; size {@code maxKeys} above the expected number of
 * clients active within one refill period ({@code burst} token intervals).
 *
 * <p>Thread-safe and lock-free on the hot path: a map lookup and the bucket's CAS. Eviction retires a bucket in the
 * bucket's own state word before removing it, so a request racing with eviction is never charged to a bucket that
 * is already gone.
 */
public final class KeyedBuckets<K> {

    private final double permitsPerMinute;
    private final int burst;
    private final int maxKeys;
    private final NanoClock clock;
    private final ConcurrentHashMap<K, TokenBucket> buckets = new ConcurrentHashMap<>();
    /** Buckets in the map plus inserts under way; taken before an insert, so the map never exceeds maxKeys. */
    private final AtomicInteger reserved = new AtomicInteger();
    private final TokenBucket overflow;
    private final long inlineSweepSpacingNanos;
    private final AtomicLong nextInlineSweepNanos;

    public KeyedBuckets(double perMinute, int burst, int maxKeys, NanoClock clock) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys: " + maxKeys + " (expected: >= 1)");
        }
        this.overflow = new TokenBucket(perMinute, burst, clock);
        this.permitsPerMinute = perMinute;
        this.burst = burst;
        this.maxKeys = maxKeys;
        this.clock = clock;
        this.inlineSweepSpacingNanos = overflow.intervalNanos();
        this.nextInlineSweepNanos = new AtomicLong(clock.nanoTime());
    }

    /** Takes one token from {@code key}'s bucket (or the overflow bucket when the map is full). Never blocks. */
    public Decision tryAcquire(K key) {
        Objects.requireNonNull(key, "key");
        for (;;) {
            TokenBucket bucket = buckets.get(key);
            if (bucket == null) {
                bucket = insert(key);
                if (bucket == null) {
                    return overflow.tryAcquire();
                }
            }
            Decision decision = bucket.tryAcquireUnlessRetired();
            if (decision != null) {
                return decision;
            }
            remove(key, bucket);
        }
    }

    /** Buckets held now, never more than {@code maxKeys} (the overflow bucket is not counted). */
    public int size() {
        return buckets.size();
    }

    /** Drops every bucket that is full again. Safe to run from any thread, concurrently with anything. */
    public void evictIdle() {
        evictIdle(clock.nanoTime());
    }

    private void evictIdle(long nowNanos) {
        for (Map.Entry<K, TokenBucket> entry : buckets.entrySet()) {
            TokenBucket bucket = entry.getValue();
            if (bucket.retireIfIdle(nowNanos)) {
                remove(entry.getKey(), bucket);
            }
        }
    }

    /** The bucket now mapped to {@code key}, or null if there is no room even after an inline sweep. */
    private TokenBucket insert(K key) {
        if (!reserve() && !(sweepInline() && reserve())) {
            // Another thread may have inserted this very key while we were out of room.
            return buckets.get(key);
        }
        TokenBucket fresh = new TokenBucket(permitsPerMinute, burst, clock);
        TokenBucket raced = buckets.putIfAbsent(key, fresh);
        if (raced != null) {
            reserved.decrementAndGet();
            return raced;
        }
        return fresh;
    }

    private boolean reserve() {
        for (;;) {
            int n = reserved.get();
            if (n >= maxKeys) {
                return false;
            }
            if (reserved.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private void remove(K key, TokenBucket bucket) {
        if (buckets.remove(key, bucket)) {
            reserved.decrementAndGet();
        }
    }

    /** Runs an inline sweep if none ran within the last token interval; one thread wins, the others go on. */
    private boolean sweepInline() {
        long now = clock.nanoTime();
        long next = nextInlineSweepNanos.get();
        if (now - next < 0 || !nextInlineSweepNanos.compareAndSet(next, now + inlineSweepSpacingNanos)) {
            return false;
        }
        evictIdle(now);
        return true;
    }
}
