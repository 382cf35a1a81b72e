package dev.llmproxy.cluster;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.time.Duration;

/**
 * The pauses upstreams ask for, which every replica must keep: {@code retry-after}, {@code retry-after-ms}, or
 * remaining 0 until a reset. One replica's sighting pauses all of them: admission checks the pause in the same script
 * as the buckets ({@link SharedBuckets#admit}, {@code request-admit.lua}).
 *
 * <p>A scope is any name the proxy chooses, typically an upstream ({@code openai}) or one of its models
 * ({@code openai/gpt-4.1}). Pauses and resets are kept on Redis's clock, so they end at the same moment for all.
 *
 * <p>Threading: any thread; results arrive on the executor given.
 */
public final class UpstreamSignals {

    private final RedisConnector connector;
    private final RedisHealth health;
    private final RedisKeys keys;
    private final SharedClock clock;

    UpstreamSignals(RedisConnector connector, RedisHealth health, RedisKeys keys, SharedClock clock) {
        this.connector = connector;
        this.health = health;
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Pauses {@code scope} for every replica for {@code duration}, unless a longer pause is in force.
     *
     * @return how long the scope stays paused from now, in nanoseconds; -1 if Redis did not answer
     */
    public Future<Long> pause(EventExecutor executor, String scope, Duration duration) {
        long micros = duration.toNanos() / 1_000;
        if (micros < 1) {
            throw new IllegalArgumentException("duration: " + duration + " (expected: >= 1 microsecond)");
        }
        String[] k = {keys.pause(scope)};
        String[] a = {Long.toString(clock.nowMicros()), Long.toString(micros)};
        return new ScriptCall<Long>(health, executor, LuaScript.PAUSE, k, a) {
            @Override
            Long decode(Object reply) {
                return (Long) reply * 1_000;
            }

            @Override
            Long unavailable() {
                return -1L;
            }
        }.send(connector);
    }

    /** How long {@code scope} stays paused from now, in nanoseconds: 0 when not paused, -1 if Redis did not answer. */
    public Future<Long> pauseLeft(EventExecutor executor, String scope) {
        String[] k = {keys.pause(scope)};
        String[] a = {Long.toString(clock.nowMicros())};
        return new ScriptCall<Long>(health, executor, LuaScript.PAUSE_READ, k, a) {
            @Override
            Long decode(Object reply) {
                return (Long) reply * 1_000;
            }

            @Override
            Long unavailable() {
                return -1L;
            }
        }.send(connector);
    }
}
