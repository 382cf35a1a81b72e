package dev.llmproxy.cluster;

import dev.llmproxy.cluster.BucketDecision.BucketState;
import dev.llmproxy.cluster.BucketDecision.Verdict;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.util.ArrayList;
import java.util.List;

/**
 * Token buckets shared by every replica: one Lua script takes a call's cost from all of its buckets (a client's RPM
 * and TPM, an upstream's RPM and TPM …) or from none, and refuses while a pause of the upstream is in force — one
 * round trip, atomic, judged on Redis's clock. The algorithm is GCRA, as in {@code admission.TokenBucket}: for the
 * same inputs the two admit the same calls and name the same retry-after, to the microsecond.
 *
 * <p>Threading: any thread; results arrive on the executor given (see {@link RedisCall}).
 */
public final class SharedBuckets {

    private final RedisConnector connector;
    private final RedisHealth health;
    private final RedisKeys keys;
    private final SharedClock clock;

    SharedBuckets(RedisConnector connector, RedisHealth health, RedisKeys keys, SharedClock clock) {
        this.connector = connector;
        this.health = health;
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Takes each bucket's cost from all buckets or from none, unless one of the pauses is in force.
     *
     * @param executor    where the result is delivered: the caller's event loop
     * @param pauseScopes the pauses that apply ({@link UpstreamSignals#pause}), e.g. the upstream and the
     *                    upstream's model; may be empty
     * @param buckets     the buckets, each with a cost &gt;= 0; may be empty (only the pauses are checked)
     */
    public Future<BucketDecision> admit(EventExecutor executor, List<String> pauseScopes, List<BucketSpec> buckets) {
        for (BucketSpec b : buckets) {
            if (b.cost() < 0) {
                throw new IllegalArgumentException("cost: " + b.cost() + " of bucket " + b.name()
                        + " (expected: >= 0; refunds go through charge)");
            }
        }
        return run(executor, pauseScopes, buckets, "check");
    }

    /**
     * Charges each bucket unconditionally, e.g. the difference between a response's exact token usage and the
     * estimate {@link #admit} took; a negative cost refunds, never beyond a full bucket. A bucket may go into debt,
     * which refuses later calls until it is repaid. The verdict is {@code ALLOWED} unless Redis did not answer.
     */
    public Future<BucketDecision> charge(EventExecutor executor, List<BucketSpec> buckets) {
        return run(executor, List.of(), buckets, "force");
    }

    private Future<BucketDecision> run(EventExecutor executor, List<String> pauseScopes, List<BucketSpec> buckets,
                                       String mode) {
        int p = pauseScopes.size();
        int n = buckets.size();
        String[] k = new String[p + n];
        String[] a = new String[3 + 4 * n];
        for (int i = 0; i < p; i++) {
            k[i] = keys.pause(pauseScopes.get(i));
        }
        a[0] = Long.toString(clock.nowMicros());
        a[1] = Integer.toString(p);
        a[2] = mode;
        for (int i = 0; i < n; i++) {
            BucketSpec b = buckets.get(i);
            k[p + i] = keys.bucket(b.name());
            a[3 + 4 * i] = Long.toString(b.rate());
            a[4 + 4 * i] = Long.toString(b.periodMicros());
            a[5 + 4 * i] = Long.toString(b.burst());
            a[6 + 4 * i] = Long.toString(b.cost());
        }
        return new GcraCall(health, executor, k, a, buckets).send(connector);
    }

    private static final class GcraCall extends ScriptCall<BucketDecision> {
        private final List<BucketSpec> buckets;

        GcraCall(RedisHealth health, EventExecutor executor, String[] keys, String[] args, List<BucketSpec> buckets) {
            super(health, executor, LuaScript.GCRA, keys, args);
            this.buckets = buckets;
        }

        @Override
        BucketDecision decode(Object reply) {
            List<?> r = (List<?>) reply;
            Verdict verdict = switch (((Long) r.get(1)).intValue()) {
                case 0 -> Verdict.ALLOWED;
                case 1 -> Verdict.LIMITED;
                case 2 -> Verdict.PAUSED;
                case 3 -> Verdict.EXCEEDS_BURST;
                default -> throw new IllegalStateException("reason: " + r.get(1) + " (expected: 0 to 3)");
            };
            List<BucketState> states = new ArrayList<>(buckets.size());
            for (int i = 0; i < buckets.size(); i++) {
                states.add(new BucketState(buckets.get(i).burst(), (Long) r.get(4 + 2 * i),
                        (Long) r.get(5 + 2 * i) * 1_000));
            }
            return new BucketDecision(verdict, (Long) r.get(2) * 1_000, ((Long) r.get(3)).intValue() - 1, states);
        }

        @Override
        BucketDecision unavailable() {
            return BucketDecision.UNAVAILABLE;
        }
    }
}
