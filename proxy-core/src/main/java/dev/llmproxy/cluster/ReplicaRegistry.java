package dev.llmproxy.cluster;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

/**
 * The replicas sharing one Redis: each registers itself with a time to live and renews it every heartbeat; the
 * count of live ones is what {@code /health} shows and what the {@code local} failure mode divides each limit by.
 * The last count seen is kept, so it is still known while Redis is not.
 *
 * <p>Threading: any thread.
 */
public final class ReplicaRegistry {

    private final RedisConnector connector;
    private final RedisHealth health;
    private final RedisKeys keys;
    private final SharedClock clock;
    private final String replicaId;
    private final long ttlMicros;
    private volatile int lastKnown = 1;

    ReplicaRegistry(RedisConnector connector, RedisHealth health, RedisKeys keys, SharedClock clock,
                    RedisTimings timings, String replicaId) {
        this.connector = connector;
        this.health = health;
        this.keys = keys;
        this.clock = clock;
        this.replicaId = replicaId;
        this.ttlMicros = timings.replicaTtl().toNanos() / 1_000;
    }

    /** This replica's id in Redis: unique across hosts and restarts. */
    public String replicaId() {
        return replicaId;
    }

    /** Registers or renews this replica; the result is the number of live replicas, -1 if Redis did not answer. */
    public Future<Integer> heartbeat(EventExecutor executor) {
        return count(executor, replicaId);
    }

    /** The number of live replicas, this one included once registered; -1 if Redis did not answer. */
    public Future<Integer> count(EventExecutor executor) {
        return count(executor, "");
    }

    private Future<Integer> count(EventExecutor executor, String id) {
        String[] k = {keys.replicas()};
        String[] a = {Long.toString(clock.nowMicros()), Long.toString(ttlMicros), id};
        return new ScriptCall<Integer>(health, executor, LuaScript.REPLICA_HEARTBEAT, k, a) {
            @Override
            Integer decode(Object reply) {
                int n = ((Long) reply).intValue();
                if (n > 0) {
                    lastKnown = n;
                }
                return n;
            }

            @Override
            Integer unavailable() {
                return -1;
            }
        }.send(connector);
    }

    /** The live replicas at the last successful count; 1 before any. */
    public int lastKnownCount() {
        return lastKnown;
    }

    /**
     * This replica's share of a limit while replicas cannot coordinate ({@code REDIS_FAILURE_MODE=local}): the limit
     * divided by the replicas last seen alive, rounded down so that together they stay within it, but at least 1.
     */
    public long localShare(long limit) {
        return Math.max(1, limit / lastKnown);
    }

    /** Leaves the registry at shutdown, so the others' count drops at once rather than after the time to live. */
    Future<Boolean> deregister() {
        return new RedisCall<Boolean>(health, ImmediateEventExecutor.INSTANCE) {
            @Override
            RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
                return commands.zrem(keys.replicas(), replicaId);
            }

            @Override
            Boolean decode(Object reply) {
                return (Long) reply == 1;
            }

            @Override
            Boolean unavailable() {
                return false;
            }
        }.send(connector);
    }
}
