package dev.llmproxy.cluster;

import dev.llmproxy.config.RedisFailureMode;

/**
 * Everything {@code /health} and {@code /metrics} show about the shared limits, at one moment. Immutable.
 *
 * @param redis        reachability, since when, the last error and the call counters
 * @param failureMode  what limit checks do while Redis is unavailable
 * @param replicaId    this replica's id in the registry
 * @param replicas     live replicas at the last count (1 before any)
 * @param leasesHeld   concurrency leases this replica holds now
 * @param leasesLost   leases found expired at renewal since start (Redis was away longer than their time to live)
 * @param usagePending usage made while Redis was unavailable, not yet added to the shared counters
 * @param usageDropped usage given up because too many counters were waiting for Redis
 */
public record SharedLimitsStatus(RedisHealth.Snapshot redis, RedisFailureMode failureMode, String replicaId,
                                 int replicas, int leasesHeld, long leasesLost, long usagePending,
                                 long usageDropped) {
}
