package dev.llmproxy.config;

import dev.llmproxy.openai.GitHubModelsPlan;

import java.time.Duration;

/**
 * How requests are admitted to the upstream: per-client rate limits, the flood guard, the concurrency gate and its
 * queue, GitHub quota pacing, retries and the circuit breaker.
 *
 * @param rateLimitEnabled   per (client, model) token buckets on
 * @param ratePerMinute      bucket refill per minute
 * @param rateBurst          bucket capacity
 * @param maxRateKeys        most buckets kept before new clients share an overflow bucket
 * @param ipPerMinute        flood guard per client IP; 0 = off
 * @param ipLoopback         the flood guard counts loopback peers too
 * @param trustProxy         client IP from the last {@code X-Forwarded-For} entry
 * @param concurrencyEnabled concurrency gate on
 * @param maxConcurrent      upstream calls in flight at once
 * @param queueMax           waiters for a slot; beyond that 503 {@code queue_full}
 * @param queueTimeout       longest wait for a slot; then 503 {@code queue_timeout}
 * @param plan               the token owner's GitHub plan (per-model quotas)
 * @param quotaPacing        pace each model below its plan quota
 * @param retryAttempts      extra attempts before any response byte reached the client
 * @param retryDelay         backoff base
 * @param retryAfterMax      longest upstream Retry-After waited out before a retry
 * @param breakerThreshold   consecutive upstream faults that open a model's breaker
 * @param breakerOpen        the longest time an open breaker rejects before a probe
 * @param breakerFirstOpen   how long a breaker that just opened rejects before its first probe (doubled per failed
 *                           probe, up to {@code breakerOpen})
 * @param adaptive           adaptive per-model limit bookkeeping on
 */
public record AdmissionConfig(
        boolean rateLimitEnabled,
        int ratePerMinute,
        int rateBurst,
        int maxRateKeys,
        int ipPerMinute,
        boolean ipLoopback,
        boolean trustProxy,
        boolean concurrencyEnabled,
        int maxConcurrent,
        int queueMax,
        Duration queueTimeout,
        GitHubModelsPlan plan,
        boolean quotaPacing,
        int retryAttempts,
        Duration retryDelay,
        Duration retryAfterMax,
        int breakerThreshold,
        Duration breakerOpen,
        Duration breakerFirstOpen,
        boolean adaptive) {
}
