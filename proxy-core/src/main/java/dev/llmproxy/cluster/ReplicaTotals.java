package dev.llmproxy.cluster;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.Map;

/**
 * What each replica reports of itself for the monitor's per-replica rows and cluster totals: one field per replica in
 * one Redis hash, holding a small JSON object the replica writes every few seconds (it names when it was written, so
 * a reader skips a replica that stopped writing). The hash expires after the replica time to live once nobody writes.
 * Off the request path: a periodic task writes and reads it.
 *
 * <p>Threading: any thread; results arrive on the executor given.
 */
public final class ReplicaTotals {

    private final RedisConnector connector;
    private final RedisHealth health;
    private final RedisKeys keys;
    private final String replicaId;
    private final long ttlMillis;

    ReplicaTotals(RedisConnector connector, RedisHealth health, RedisKeys keys, RedisTimings timings,
                  String replicaId) {
        this.connector = connector;
        this.health = health;
        this.keys = keys;
        this.replicaId = replicaId;
        this.ttlMillis = timings.replicaTtl().toMillis();
    }

    /** Writes this replica's totals (a JSON object); false if Redis did not answer. */
    public Future<Boolean> publish(String json) {
        return new RedisCall<Boolean>(health, ImmediateEventExecutor.INSTANCE) {
            @Override
            RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
                commands.hset(keys.replicaTotals(), replicaId, json);
                return commands.pexpire(keys.replicaTotals(), ttlMillis);
            }

            @Override
            Boolean decode(Object reply) {
                return Boolean.TRUE.equals(reply);
            }

            @Override
            Boolean unavailable() {
                return false;
            }
        }.send(connector);
    }

    /** Every replica's last totals by replica id (stale ones included: the JSON says when each was written); null if
     * Redis did not answer. */
    public Future<Map<String, String>> read(EventExecutor executor) {
        return new RedisCall<Map<String, String>>(health, executor) {
            @Override
            RedisFuture<?> issue(RedisAsyncCommands<String, String> commands) {
                return commands.hgetall(keys.replicaTotals());
            }

            @Override
            @SuppressWarnings("unchecked")
            Map<String, String> decode(Object reply) {
                return (Map<String, String>) reply;
            }

            @Override
            Map<String, String> unavailable() {
                return null;
            }
        }.send(connector);
    }
}
