package dev.llmproxy.cluster;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.time.Duration;
import java.util.List;

/**
 * What upstreams tell one replica and every replica must know: pauses ({@code retry-after}, {@code retry-after-ms},
 * or remaining 0 until a reset) and the limits they advertise ({@code x-ratelimit-*}). One replica's 429 pauses all
 * of them: {@link SharedBuckets#admit} checks the pause in the same script as the buckets.
 *
 * <p>A scope is any name the proxy chooses, typically an upstream ({@code openai}) or one of its models
 * ({@code openai/gpt-4.1}). Pauses and resets are kept on Redis's clock, so they end at the same moment for all.
 *
 * <p>Threading: any thread; results arrive on the executor given.
 */
public final class UpstreamSignals {

    /** How long advertised limits stay on record after the last response that carried them. */
    static final Duration ADVERTISED_TTL = Duration.ofHours(1);

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

    /**
     * Records the limits {@code scope} advertised on a response, replacing the previous record.
     *
     * @return true when recorded; false if Redis did not answer
     */
    public Future<Boolean> publish(EventExecutor executor, String scope, AdvertisedLimits limits) {
        String[] k = {keys.learned(scope)};
        String[] a = {Long.toString(clock.nowMicros()), Long.toString(ADVERTISED_TTL.toMillis()),
                Long.toString(limits.limitRequests()), Long.toString(limits.remainingRequests()),
                Long.toString(micros(limits.resetRequestsNanos())), Long.toString(limits.limitTokens()),
                Long.toString(limits.remainingTokens()), Long.toString(micros(limits.resetTokensNanos()))};
        return new ScriptCall<Boolean>(health, executor, LuaScript.LEARNED_PUBLISH, k, a) {
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

    /** The pause in force and the limits last advertised for {@code scope}. */
    public Future<UpstreamView> read(EventExecutor executor, String scope) {
        String[] k = {keys.learned(scope), keys.pause(scope)};
        String[] a = {Long.toString(clock.nowMicros())};
        return new ScriptCall<UpstreamView>(health, executor, LuaScript.LEARNED_READ, k, a) {
            @Override
            UpstreamView decode(Object reply) {
                return view((List<?>) reply);
            }

            @Override
            UpstreamView unavailable() {
                return UpstreamView.UNAVAILABLE;
            }
        }.send(connector);
    }

    /** {@code {now, pause end, observed_at, limit_req, remaining_req, reset_req_at, limit_tok, remaining_tok, reset_tok_at}}. */
    private static UpstreamView view(List<?> r) {
        long now = number(r.get(0));
        long pauseEnd = number(r.get(1));
        long observedAt = number(r.get(2));
        long pause = pauseEnd > now ? (pauseEnd - now) * 1_000 : 0;
        if (observedAt < 0) {
            return new UpstreamView(true, pause, AdvertisedLimits.NONE, -1);
        }
        AdvertisedLimits limits = new AdvertisedLimits(number(r.get(3)), number(r.get(4)), until(now, number(r.get(5))),
                number(r.get(6)), number(r.get(7)), until(now, number(r.get(8))));
        return new UpstreamView(true, pause, limits, Math.max(0, now - observedAt) * 1_000);
    }

    private static long number(Object value) {
        return Long.parseLong((String) value);
    }

    /** Nanoseconds from {@code now} to {@code at} (both microseconds), 0 once passed, -1 for unknown. */
    private static long until(long now, long at) {
        return at < 0 ? -1 : Math.max(0, at - now) * 1_000;
    }

    private static long micros(long nanos) {
        return nanos < 0 ? -1 : nanos / 1_000;
    }
}
