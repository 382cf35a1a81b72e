package dev.llmproxy.upstream;

import dev.llmproxy.cluster.BucketSpec;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.config.RedisFailureMode;
import dev.llmproxy.config.UpstreamLimits;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link UpstreamGate}'s twin for replicas that share Redis ({@code REDIS_URL}): one upstream's (or one model's)
 * declared {@code rpm} and {@code tpm} as shared buckets, its {@code concurrency} as shared leases, and the pauses it
 * asks for ({@code x-ratelimit-remaining-*: 0} until the reset, {@code retry-after} on a 429 or 503) published so that
 * one replica's sighting pauses every replica — checked in the same script as the buckets. A request's first hop
 * takes an {@link #entry} whose checks go in the client's admission script (one round trip for both); a later hop or
 * a retry enters with {@link #enter} (an asynchronous {@link GateEntry}: one round trip, within
 * {@code REDIS_TIMEOUT_MS}). Either way the request leaves through its entry. While Redis does not answer, {@code REDIS_FAILURE_MODE} decides: {@code local} enters an
 * in-process gate holding this replica's share of each limit, {@code closed} refuses an upstream that declares limits
 * (503 {@code limits_unavailable}).
 *
 * <p>Threading: any event loop; entries deliver on the loop given.
 */
public final class SharedUpstreamGate {

    /** How often a request waiting for a shared concurrency slot asks again. */
    static final long SLOT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_PAUSE_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final SharedLimits shared;
    private final UpstreamLimits limits;
    private final String scope;
    private final List<String> pauses;
    private final List<String> pausesWithRetryAfter;
    private final BucketSpec rpm;
    private final BucketSpec tpm;
    private volatile LocalShare fallback;

    /**
     * @param scope what the limits cover, unique across upstreams: {@code upstream:<name>} for an upstream's own
     *              limits, {@code upstream:<name>:<model>} for one model's
     */
    public SharedUpstreamGate(SharedLimits shared, UpstreamLimits limits, String scope) {
        this.shared = shared;
        this.limits = limits;
        this.scope = scope;
        this.pauses = List.of(scope);
        this.pausesWithRetryAfter = List.of(scope, retryAfterScope());
        this.rpm = limits.rpm() > 0 ? BucketSpec.perMinute(scope + ":rpm", limits.rpm(), limits.rpm(), 1) : null;
        this.tpm = limits.tpm() > 0 ? BucketSpec.perMinute(scope + ":tpm", limits.tpm(), limits.tpm(), 0) : null;
    }

    public String scope() {
        return scope;
    }

    /**
     * Asks every replica's limits for a pass for a request estimated at {@code estimate} tokens.
     *
     * @param honourRetryAfter whether a 429's retry-after pause holds this request (see {@link UpstreamGate})
     */
    public Future<GateEntry> enter(EventExecutor loop, long estimate, boolean honourRetryAfter, BucketSpec clientRate) {
        return entry(loop, estimate, honourRetryAfter, clientRate).start();
    }

    /**
     * An entry not yet sent, for a caller that adds its checks to its own ({@link GateEntry#addTo}): the client's
     * pass folds the first hop's gate into its one admission script.
     *
     * @param clientRate the request's own per-(client, model) bucket ({@code RATE_LIMIT_PER_MINUTE}), taken in the
     *                   same script so that it costs no round trip of its own; null when none applies
     */
    public GateEntry entry(EventExecutor loop, long estimate, boolean honourRetryAfter, BucketSpec clientRate) {
        long cost = tpm == null ? 0 : Math.min(estimate, limits.tpm());
        return new GateEntry(this, loop, cost, honourRetryAfter, clientRate);
    }

    /**
     * Learns from an upstream's response head and tells every replica: remaining-at-zero pauses until the reset,
     * {@code retry-after} on a 429 or 503 pauses requests that have another upstream to go to.
     */
    public void learn(EventExecutor loop, int status, HttpHeaders headers) {
        long pause = 0;
        if ("0".equals(headers.get("x-ratelimit-remaining-requests"))) {
            pause = Math.max(pause, UpstreamGate.duration(headers.get("x-ratelimit-reset-requests")));
        }
        if ("0".equals(headers.get("x-ratelimit-remaining-tokens"))) {
            pause = Math.max(pause, UpstreamGate.duration(headers.get("x-ratelimit-reset-tokens")));
        }
        if (pause >= 1_000) {
            shared.upstreams().pause(loop, scope, Duration.ofNanos(Math.min(pause, MAX_PAUSE_NANOS)));
        }
        if (status == 429 || status == 503) {
            long after = UpstreamGate.retryAfter(headers);
            if (after >= 1_000) {
                shared.upstreams().pause(loop, retryAfterScope(), Duration.ofNanos(Math.min(after, MAX_PAUSE_NANOS)));
            }
        }
        LocalShare local = fallback;
        if (local != null) {
            local.gate.learn(status, headers, System.nanoTime());
        }
    }

    private String retryAfterScope() {
        return scope + ":retry-after";
    }

    SharedLimits shared() {
        return shared;
    }

    UpstreamLimits limits() {
        return limits;
    }

    List<String> pauses(boolean honourRetryAfter) {
        return honourRetryAfter ? pausesWithRetryAfter : pauses;
    }

    BucketSpec rpm() {
        return rpm;
    }

    BucketSpec tpm() {
        return tpm;
    }

    /** While Redis is away: refuse ({@code closed}) only what declared limits guard; pauses alone stay local. */
    boolean refusesWhileUnavailable() {
        return shared.config().failureMode() == RedisFailureMode.CLOSED && limits.declared();
    }

    /** The in-process gate holding this replica's share of the limits while Redis is away. */
    UpstreamGate fallback() {
        int replicas = shared.replicas().lastKnownCount();
        LocalShare current = fallback;
        if (current == null || current.replicas != replicas) {
            UpstreamLimits share = new UpstreamLimits((int) part(limits.rpm()), part(limits.tpm()),
                    (int) part(limits.concurrency()), limits.scope());
            current = new LocalShare(replicas, new UpstreamGate(share, System.nanoTime()));
            fallback = current;
        }
        return current.gate;
    }

    private long part(long limit) {
        return limit > 0 ? shared.replicas().localShare(limit) : 0;
    }

    private record LocalShare(int replicas, UpstreamGate gate) {
    }
}
