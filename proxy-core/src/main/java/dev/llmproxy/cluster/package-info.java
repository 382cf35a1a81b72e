/**
 * Limits shared by every replica of the proxy through Redis (or Valkey), reached with Lettuce on the proxy's own
 * event loops. Without {@code REDIS_URL} none of this runs and every limit stays in-process ({@code admission}).
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>{@link dev.llmproxy.cluster.SharedLimits} — starts and stops the rest; one per process.</li>
 *   <li>{@link dev.llmproxy.cluster.SharedBuckets} — GCRA token buckets (RPM, TPM), several at once, all or none,
 *       with the upstream's pause checked in the same script.</li>
 *   <li>{@link dev.llmproxy.cluster.SharedLeases} — concurrency slots with a time to live, renewed in one batch per
 *       heartbeat.</li>
 *   <li>{@link dev.llmproxy.cluster.SharedCounters} — daily and monthly usage (rpd, {@code monthly_tokens}).</li>
 *   <li>{@link dev.llmproxy.cluster.UpstreamSignals} — pauses and the limits upstreams advertise.</li>
 *   <li>{@link dev.llmproxy.cluster.ReplicaRegistry} — live replicas, for {@code /health} and the {@code local}
 *       failure mode.</li>
 *   <li>{@link dev.llmproxy.cluster.ReplicaTotals} — each replica's own totals, for the monitor's cluster view.</li>
 *   <li>{@link dev.llmproxy.cluster.RedisHealth} — up or down, since when, the last error, call counters.</li>
 * </ul>
 *
 * <h2>Calling it from admission</h2>
 * The request path does so in two places: {@code client.SharedClientAdmission} for a client key's limits and
 * {@code upstream.SharedUpstreamGate} for an upstream's; the sketch below is what they do.
 * Every operation is one round trip, takes the caller's {@link io.netty.util.concurrent.EventExecutor} (the
 * client channel's event loop) and returns a Netty {@link io.netty.util.concurrent.Future} whose listeners run on
 * that loop. The future never fails: when Redis is down, slow or unreachable it succeeds with an "unavailable" value
 * ({@code BucketDecision.Verdict.UNAVAILABLE}, {@code LeaseGrant.Status.UNAVAILABLE}, {@code PeriodCounts.available()
 * == false} …) within {@code REDIS_TIMEOUT_MS}, and at once while Redis is known to be down. Nothing here blocks. A
 * request's admission then reads:
 * <pre>{@code
 * shared.buckets().admit(loop, List.of(upstream, upstream + "/" + model), List.of(
 *         BucketSpec.perMinute("client:" + client + ":rpm", rpm, rpm, 1),
 *         BucketSpec.perMinute("client:" + client + ":tpm", tpm, tpm, estimatedTokens),
 *         BucketSpec.perMinute("upstream:" + upstream + ":rpm", upstreamRpm, upstreamRpm, 1)))
 *     .addListener(f -> {
 *         BucketDecision d = (BucketDecision) f.getNow();
 *         switch (d.verdict()) {
 *             case ALLOWED -> acquireSlot();                 // headers from d.buckets()
 *             case LIMITED, PAUSED -> reject429(d.retryAfterNanos());
 *             case EXCEEDS_BURST -> reject429Never();        // the estimate alone exceeds the TPM burst
 *             case UNAVAILABLE -> failureMode();             // local: in-process buckets sized by
 *         }                                                  // replicas().localShare(limit); closed: 503
 *     });                                                    // limits_unavailable
 * }</pre>
 * then {@code leases().acquire(loop, scope, limit)} for the concurrency slot ({@code FULL}: wait in the local queue
 * and try again when a local slot is released or after a short backoff, until the queue deadline), and after the
 * response: {@code lease.release()}, {@code buckets().charge(…)} with exact tokens minus the estimate,
 * {@code counters().add(…)}, and on {@code retry-after}/{@code x-ratelimit-*} {@code upstreams().pause(…)} /
 * {@code upstreams().publish(…)}. A request gone before its grant arrived releases the lease it was granted.
 *
 * <h2>Consistency</h2>
 * Buckets, leases, pauses and registrations run on Redis's clock ({@code TIME} inside each script), so replicas
 * with drifting clocks agree. Counter periods are UTC days and months on the proxy's clock.
 */
package dev.llmproxy.cluster;
