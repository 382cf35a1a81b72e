/**
 * Limits shared by every replica of the proxy through Redis (or Valkey), reached with Lettuce on the proxy's own
 * event loops. Without {@code REDIS_URL} none of this runs and every limit stays in-process ({@code admission}).
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>{@link dev.llmproxy.cluster.SharedLimits} — starts and stops the rest; one per process.</li>
 *   <li>{@link dev.llmproxy.cluster.SharedAdmission} — a request's every check in one script, all or none, and what it
 *       gives back in one more.</li>
 *   <li>{@link dev.llmproxy.cluster.SharedBuckets} — GCRA token buckets (RPM, TPM), several at once, all or none,
 *       with the upstream's pause checked in the same script.</li>
 *   <li>{@link dev.llmproxy.cluster.SharedLeases} — concurrency slots with a time to live, renewed in one batch per
 *       heartbeat.</li>
 *   <li>{@link dev.llmproxy.cluster.SharedCounters} — daily and monthly usage (rpd, {@code monthly_tokens}).</li>
 *   <li>{@link dev.llmproxy.cluster.UpstreamSignals} — the pauses upstreams ask for.</li>
 *   <li>{@link dev.llmproxy.cluster.QuotaSignals} — what one replica learns from an upstream's 429 about a model's
 *       quota (pauses, a daily quota gone, a concurrency cut), published to every replica's admission.</li>
 *   <li>{@link dev.llmproxy.cluster.ReplicaRegistry} — live replicas, for {@code /health} and the {@code local}
 *       failure mode.</li>
 *   <li>{@link dev.llmproxy.cluster.ReplicaTotals} — each replica's own totals, for the monitor's cluster view.</li>
 *   <li>{@link dev.llmproxy.cluster.RedisHealth} — up or down, since when, the last error, call counters.</li>
 * </ul>
 *
 * <h2>Calling it from admission</h2>
 * The request path does so through {@code client.SharedClientAdmission} (a client key's limits) and
 * {@code upstream.SharedUpstreamGate} (an upstream's), which add their checks to one {@link
 * dev.llmproxy.cluster.RequestChecks}: a request makes one round trip before its upstream call and one
 * fire-and-forget call after it. Every operation takes the caller's {@link io.netty.util.concurrent.EventExecutor}
 * (the client channel's event loop) and returns a Netty {@link io.netty.util.concurrent.Future} whose listeners run on
 * that loop. The future never fails: when Redis is down, slow or unreachable it succeeds with an "unavailable" value
 * ({@code CheckResults.available() == false} …) within {@code REDIS_TIMEOUT_MS}, and at once while Redis is known to
 * be down. Nothing here blocks. A request's admission then reads:
 * <pre>{@code
 * RequestChecks checks = shared.admission().checks();
 * int rpm = checks.bucket(BucketSpec.perMinute("client:" + client + ":rpm", rpm, rpm, 1));
 * int day = checks.countRequest("client:" + client + ":requests", rpd);
 * int slot = checks.lease("client:" + client, concurrency);
 * checks.pause("upstream:" + upstream);
 * int upRpm = checks.bucket(BucketSpec.perMinute("upstream:" + upstream + ":rpm", upstreamRpm, upstreamRpm, 1));
 * shared.admission().check(loop, checks).addListener(f -> {
 *     CheckResults r = (CheckResults) f.getNow();
 *     if (!r.available()) failureMode();           // local: in-process limits sized by replicas().localShare(limit);
 *     else if (r.admitted()) go(r.lease(slot));     // closed: 503 limits_unavailable. Headers from r.value(rpm, 2..3)
 *     else reject(r.status(...), r.waitNanos(...)); // nothing was taken
 * });
 * }</pre>
 * and after the response, in one call: {@code charges.release(lease)}, {@code charges.charge(tpm.withCost(used))},
 * {@code charges.add(tokensCounter, used)}, {@code shared.admission().settle(charges)}; on
 * {@code retry-after}/{@code x-ratelimit-remaining-*: 0} {@code upstreams().pause(…)}, and on a 429 that
 * admission learns from, {@code quota().publish(…)}. A request
 * gone before its answer arrived gives back what it was granted the same way. {@link dev.llmproxy.cluster.SharedBuckets},
 * {@link dev.llmproxy.cluster.SharedLeases} and {@link dev.llmproxy.cluster.SharedCounters} remain for single
 * operations (and the heartbeat's lease renewal).
 *
 * <h2>Consistency</h2>
 * Buckets, leases, pauses and registrations run on Redis's clock ({@code TIME} inside each script), so replicas
 * with drifting clocks agree. Counter periods are UTC days and months on the proxy's clock.
 */
package dev.llmproxy.cluster;
