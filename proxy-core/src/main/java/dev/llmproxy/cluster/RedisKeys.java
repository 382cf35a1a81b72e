package dev.llmproxy.cluster;

import java.util.Objects;

/**
 * Every Redis key the proxy writes, in one place: {@code <prefix><kind>:<name>}. The kinds keep buckets, leases,
 * counters and pauses of the same name apart; the prefix keeps deployments apart. Names come from the proxy's
 * configuration (client, upstream and model names), never raw from a request. Immutable.
 */
final class RedisKeys {

    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    /** A GCRA bucket; holds its theoretical arrival time. */
    String bucket(String name) {
        return prefix + "bucket:" + name;
    }

    /** A pause (an upstream said retry-after); holds its end. */
    String pause(String scope) {
        return prefix + "pause:" + scope;
    }

    /** The sorted set of concurrency leases of one scope. */
    String leases(String scope) {
        return prefix + "lease:" + scope;
    }

    /** A usage counter of one period ({@code d:2026-12-02}, {@code m:2026-12}). */
    String counter(String name, String period) {
        return prefix + "count:" + name + ":" + period;
    }

    /** The hash of what replicas learned from upstream 429s about models' quotas ({@link QuotaSignals}). */
    String learnedQuota() {
        return prefix + "learned-quota";
    }

    /** The channel such news is published on. */
    String learnedQuotaChannel() {
        return prefix + "learned-quota";
    }

    /** The sorted set of live replicas. */
    String replicaTotals() {
        return prefix + "replica-totals";
    }

    String replicas() {
        return prefix + "replicas";
    }
}
