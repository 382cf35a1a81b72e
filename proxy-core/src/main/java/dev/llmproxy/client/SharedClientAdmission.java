package dev.llmproxy.client;

import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.config.ClientLimits;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.config.RedisFailureMode;
import dev.llmproxy.upstream.GateEntry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Admits a client key's request against its limits as every replica together sees them, through Redis
 * ({@code REDIS_URL}): {@code rpm} and {@code tpm} as shared buckets, {@code rpd} and {@code monthly_tokens} as shared
 * day and month counters, {@code concurrency} as shared leases. The checks go out in one script (one round trip, whatever
 * the number of limits, with the first hop's upstream limits folded in) and come back as one {@link SharedClientPass} on the request's event loop. While Redis does
 * not answer, {@code REDIS_FAILURE_MODE} decides: {@code local} admits against this replica's share of each limit (the
 * limit divided by the replicas last seen alive), {@code closed} refuses with 503 {@code limits_unavailable}.
 *
 * <p>Threading: any event loop. The fallback quotas are a map bounded by the configured client keys.
 */
public final class SharedClientAdmission {

    private final SharedLimits shared;
    private final ConcurrentHashMap<String, LocalShare> fallbacks = new ConcurrentHashMap<>();

    public SharedClientAdmission(SharedLimits shared) {
        this.shared = shared;
    }

    /**
     * Checks {@code client}'s limits in Redis, and {@code firstHop}'s upstream limits in the same script when given;
     * the pass arrives on {@code loop} within {@code REDIS_TIMEOUT_MS}.
     *
     * @param firstHop the first hop's gate entry, not yet sent ({@code SharedUpstreamGate.entry}), or null
     */
    public Future<SharedClientPass> admit(EventExecutor loop, ClientSpec client, GateEntry firstHop) {
        return new SharedClientPass(this, shared, client, loop, firstHop).start();
    }

    RedisFailureMode failureMode() {
        return shared.config().failureMode();
    }

    /** The in-process quota that stands in for {@code client}'s shared limits while Redis is away. */
    ClientQuota fallback(ClientSpec client, long nowNanos) {
        int replicas = shared.replicas().lastKnownCount();
        LocalShare current = fallbacks.get(client.name());
        if (current == null || current.replicas != replicas) {
            ClientLimits l = client.limits();
            ClientLimits share = new ClientLimits(part(l.rpm()), part(l.tpm()), part(l.rpd()), part(l.concurrency()),
                    part(l.monthlyTokens()));
            current = new LocalShare(replicas, new ClientQuota(withLimits(client, share), nowNanos));
            fallbacks.put(client.name(), current);
        }
        return current.quota;
    }

    private int part(int limit) {
        return (int) part((long) limit);
    }

    private long part(long limit) {
        return limit > 0 ? shared.replicas().localShare(limit) : 0;
    }

    private static ClientSpec withLimits(ClientSpec client, ClientLimits limits) {
        return new ClientSpec(client.name(), client.keyDigest(), client.models(), limits, client.overLimit());
    }

    /** A quota sized for a replica count: rebuilt when the count changes. */
    private record LocalShare(int replicas, ClientQuota quota) {
    }
}
