package dev.llmproxy.cluster;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Concurrency slots shared by every replica: per scope (an upstream, a client …) a Redis sorted set of lease ids
 * scored by their expiry. Acquiring drops expired leases and adds one if fewer than the limit remain; releasing
 * removes it. A replica renews all the leases it holds in one script per heartbeat ({@link #renewAll}), not one
 * command per lease, so a thousand long streams cost one call every few seconds; a crashed replica's leases simply
 * stop being renewed and expire after the time to live.
 *
 * <p>Threading: any thread. The leases held are in a concurrent set, read by the heartbeat.
 */
public final class SharedLeases {

    /** Leases renewed per script call, so one call's arguments stay small. */
    static final int RENEW_BATCH = 512;

    private final RedisConnector connector;
    private final RedisHealth health;
    private final RedisKeys keys;
    private final SharedClock clock;
    private final long ttlMicros;
    private final String idPrefix;
    private final AtomicLong sequence = new AtomicLong();
    private final Set<SharedLease> held = ConcurrentHashMap.newKeySet();
    private final LongAdder lost = new LongAdder();

    SharedLeases(RedisConnector connector, RedisHealth health, RedisKeys keys, SharedClock clock,
                 RedisTimings timings, String replicaId) {
        this.connector = connector;
        this.health = health;
        this.keys = keys;
        this.clock = clock;
        this.ttlMicros = timings.leaseTtl().toNanos() / 1_000;
        this.idPrefix = replicaId + "-";
    }

    /**
     * Takes a slot of {@code scope} if fewer than {@code limit} are held across all replicas.
     *
     * @param executor where the result is delivered: the caller's event loop
     */
    public Future<LeaseGrant> acquire(EventExecutor executor, String scope, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
        }
        SharedLease lease = new SharedLease(this, scope, idPrefix + sequence.incrementAndGet());
        String[] k = {keys.leases(scope)};
        String[] a = {Long.toString(clock.nowMicros()), Integer.toString(limit), Long.toString(ttlMicros), lease.id()};
        return new AcquireCall(health, executor, k, a, lease).send(connector);
    }

    /** Leases this replica holds now. */
    public int heldHere() {
        return held.size();
    }

    /** Leases found gone at renewal since start (see {@link SharedLease#lost()}). */
    public long lostTotal() {
        return lost.sum();
    }

    /**
     * Renews every lease this replica holds, {@value #RENEW_BATCH} per script call. The heartbeat runs it; the
     * result is the number of leases found gone, or -1 if Redis did not answer (they may then expire).
     */
    public Future<Integer> renewAll(EventExecutor executor) {
        List<SharedLease> all = new ArrayList<>(held);
        if (all.isEmpty()) {
            return executor.newSucceededFuture(0);
        }
        List<Future<Integer>> batches = new ArrayList<>();
        for (int from = 0; from < all.size(); from += RENEW_BATCH) {
            batches.add(renew(executor, all.subList(from, Math.min(all.size(), from + RENEW_BATCH))));
        }
        if (batches.size() == 1) {
            return batches.get(0);
        }
        return sum(executor, batches);
    }

    private Future<Integer> renew(EventExecutor executor, List<SharedLease> batch) {
        Map<String, List<SharedLease>> byScope = new LinkedHashMap<>();
        for (SharedLease lease : batch) {
            byScope.computeIfAbsent(lease.scope(), s -> new ArrayList<>()).add(lease);
        }
        String[] k = new String[byScope.size()];
        List<String> a = new ArrayList<>(2 + byScope.size() + batch.size());
        a.add(Long.toString(clock.nowMicros()));
        a.add(Long.toString(ttlMicros));
        List<List<SharedLease>> groups = new ArrayList<>(byScope.values());
        int i = 0;
        for (Map.Entry<String, List<SharedLease>> e : byScope.entrySet()) {
            k[i++] = keys.leases(e.getKey());
            a.add(Integer.toString(e.getValue().size()));
            for (SharedLease lease : e.getValue()) {
                a.add(lease.id());
            }
        }
        return new RenewCall(health, executor, k, a.toArray(String[]::new), groups).send(connector);
    }

    /** A lease of {@code scope} not yet in Redis: {@link RequestChecks#lease} sends it with a request's checks. */
    SharedLease newLease(String scope) {
        return new SharedLease(this, scope, idPrefix + sequence.incrementAndGet());
    }

    /** Redis granted {@code lease}: the heartbeat renews it from now on. */
    void granted(SharedLease lease) {
        held.add(lease);
    }

    /** {@code lease} is released through a {@link RequestCharges}: no longer renewed. */
    void forget(SharedLease lease) {
        held.remove(lease);
    }

    String key(SharedLease lease) {
        return keys.leases(lease.scope());
    }

    long ttlMicros() {
        return ttlMicros;
    }

    Future<Boolean> released(SharedLease lease) {
        held.remove(lease);
        return new ReleaseCall(health, ImmediateEventExecutor.INSTANCE, keys.leases(lease.scope()), lease.id())
                .send(connector);
    }

    private final class AcquireCall extends ScriptCall<LeaseGrant> {
        private final SharedLease lease;
        private final EventExecutor executor;

        AcquireCall(RedisHealth health, EventExecutor executor, String[] keys, String[] args, SharedLease lease) {
            super(health, executor, LuaScript.LEASE_ACQUIRE, keys, args);
            this.lease = lease;
            this.executor = executor;
        }

        @Override
        LeaseGrant decode(Object reply) {
            List<?> r = (List<?>) reply;
            long count = (Long) r.get(1);
            if ((Long) r.get(0) == 1) {
                held.add(lease);
                return new LeaseGrant(LeaseGrant.Status.GRANTED, lease, count);
            }
            return new LeaseGrant(LeaseGrant.Status.FULL, null, count);
        }

        @Override
        LeaseGrant unavailable() {
            // A timed-out acquire may still add the lease in Redis: a removal sent after it on the same connection
            // runs after it, so the slot is not kept from others for a whole time to live (if the connection is
            // gone, so is the removal, and the lease, never renewed, expires)
            if (sent()) {
                new ReleaseCall(health, executor, keys.leases(lease.scope()), lease.id()).sendEvenIfDown(connector);
            }
            return LeaseGrant.UNAVAILABLE;
        }
    }

    private final class RenewCall extends ScriptCall<Integer> {
        private final List<List<SharedLease>> groups;

        RenewCall(RedisHealth health, EventExecutor executor, String[] keys, String[] args,
                  List<List<SharedLease>> groups) {
            super(health, executor, LuaScript.LEASE_RENEW, keys, args);
            this.groups = groups;
        }

        @Override
        Integer decode(Object reply) {
            List<?> r = (List<?>) reply;
            for (int i = 0; i + 1 < r.size(); i += 2) {
                int group = ((Long) r.get(i)).intValue() - 1;
                String id = (String) r.get(i + 1);
                for (SharedLease lease : groups.get(group)) {
                    if (lease.id().equals(id)) {
                        lease.markLost();
                        held.remove(lease);
                        lost.increment();
                    }
                }
            }
            return r.size() / 2;
        }

        @Override
        Integer unavailable() {
            return -1;
        }
    }

    private static final class ReleaseCall extends RedisCall<Boolean> {
        private final String key;
        private final String id;

        ReleaseCall(RedisHealth health, EventExecutor executor, String key, String id) {
            super(health, executor);
            this.key = key;
            this.id = id;
        }

        @Override
        RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
            return commands.zrem(key, id);
        }

        @Override
        Boolean decode(Object reply) {
            return (Long) reply == 1;
        }

        @Override
        Boolean unavailable() {
            return false;
        }
    }

    /** The batches' results added up; -1 if any batch went unanswered. Once per heartbeat, so plain listeners. */
    private static Future<Integer> sum(EventExecutor executor, List<Future<Integer>> batches) {
        Promise<Integer> promise = executor.newPromise();
        AtomicInteger pending = new AtomicInteger(batches.size());
        AtomicInteger total = new AtomicInteger();
        AtomicInteger unanswered = new AtomicInteger();
        for (Future<Integer> batch : batches) {
            batch.addListener(done -> {
                int n = batch.getNow();
                if (n < 0) {
                    unanswered.incrementAndGet();
                } else {
                    total.addAndGet(n);
                }
                if (pending.decrementAndGet() == 0) {
                    promise.trySuccess(unanswered.get() > 0 ? -1 : total.get());
                }
            });
        }
        return promise;
    }
}
