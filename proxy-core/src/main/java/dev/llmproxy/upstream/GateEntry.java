package dev.llmproxy.upstream;

import dev.llmproxy.cluster.BucketDecision;
import dev.llmproxy.cluster.BucketSpec;
import dev.llmproxy.cluster.LeaseGrant;
import dev.llmproxy.cluster.SharedLease;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.Promise;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request's pass through a {@link SharedUpstreamGate}: a concurrency lease first (when the upstream declares a
 * concurrency), then the buckets and the pauses in one script; a request that may not go yet gets back whatever it took and a time to wait
 * ({@link #waitNanos()}), one that may go holds its lease until {@link #leave}. Redis not answering makes it the local
 * stand-in's entry, or a refusal ({@link #error()}) in {@code closed} mode.
 *
 * <p>Threading: created on the request's event loop, judged and left there.
 */
public final class GateEntry implements GenericFutureListener<Future<Object>> {

    private final SharedUpstreamGate gate;
    private final EventExecutor loop;
    private final long tokenCost;
    private final boolean honourRetryAfter;
    private final Promise<GateEntry> promise;
    private final List<BucketSpec> specs = new ArrayList<>(2);
    private Future<BucketDecision> buckets;
    private Future<LeaseGrant> lease;

    private long waitNanos;
    private ProxyError error;
    private boolean taken;
    private SharedLease held;
    private UpstreamGate local;
    private long localEstimate;
    private boolean left;

    GateEntry(SharedUpstreamGate gate, EventExecutor loop, long tokenCost, boolean honourRetryAfter) {
        this.gate = gate;
        this.loop = loop;
        this.tokenCost = tokenCost;
        this.honourRetryAfter = honourRetryAfter;
        this.promise = loop.newPromise();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    Future<GateEntry> start() {
        if (gate.rpm() != null) {
            specs.add(gate.rpm());
        }
        if (gate.tpm() != null) {
            specs.add(gate.tpm().withCost(tokenCost));
        }
        int concurrency = gate.limits().concurrency();
        GenericFutureListener listener = this;
        if (concurrency > 0) {
            // the slot first: a request waiting for one must not hold the buckets' tokens meanwhile, or the others
            // would be refused for want of tokens that are only passing through
            lease = gate.shared().leases().acquire(loop, gate.scope(), concurrency);
            lease.addListener(listener);
        } else {
            askBuckets();
        }
        return promise;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void askBuckets() {
        GenericFutureListener listener = this;
        buckets = gate.shared().buckets().admit(loop, gate.pauses(honourRetryAfter), specs);
        buckets.addListener(listener);
    }

    @Override
    public void operationComplete(Future<Object> future) {
        if (future == (Object) lease && buckets == null) {
            LeaseGrant slot = lease.getNow();
            if (slot != null && slot.granted()) {
                askBuckets();
                return;
            }
        }
        judge();
        promise.setSuccess(this);
    }

    private void judge() {
        BucketDecision b = buckets == null ? null : buckets.getNow();
        LeaseGrant slot = lease == null ? null : lease.getNow();
        if (slot != null && slot.granted()) {
            held = slot.lease();
        }
        boolean unavailable = (lease != null && (slot == null || slot.status() == LeaseGrant.Status.UNAVAILABLE))
                || (slot == null || slot.granted()) && (b == null || b.verdict() == BucketDecision.Verdict.UNAVAILABLE);
        if (unavailable) {
            giveBack(b);
            if (gate.refusesWhileUnavailable()) {
                error = ProxyError.of(ErrorKind.LIMITS_UNAVAILABLE);
                return;
            }
            UpstreamGate stand = gate.fallback();
            long estimate = tokenCost;
            waitNanos = stand.tryEnter(estimate, System.nanoTime(), honourRetryAfter);
            if (waitNanos == 0) {
                local = stand;
                localEstimate = estimate;
                taken = true;
            }
            return;
        }
        if (slot != null && !slot.granted()) {
            waitNanos = SharedUpstreamGate.SLOT_POLL_NANOS; // the buckets were not asked: nothing to give back
            return;
        }
        if (!b.allowed()) {
            giveBack(b);
            waitNanos = b.verdict() == BucketDecision.Verdict.EXCEEDS_BURST ? TimeUnit.SECONDS.toNanos(1)
                    : Math.max(TimeUnit.MILLISECONDS.toNanos(1), b.retryAfterNanos());
            return;
        }
        taken = true;
    }

    /** Returns what a request that does not go took: the lease, the request and the tokens from the buckets. */
    private void giveBack(BucketDecision b) {
        if (held != null) {
            held.release();
            held = null;
        }
        if (b != null && b.allowed() && !specs.isEmpty()) {
            List<BucketSpec> refund = new ArrayList<>(specs.size());
            for (BucketSpec s : specs) {
                refund.add(s.withCost(-s.cost()));
            }
            gate.shared().buckets().charge(loop, refund);
        }
    }

    /** 0 when the request may go; else how long until it may try again (nothing is held then). */
    public long waitNanos() {
        return waitNanos;
    }

    /** Non-null when the request is refused outright: Redis is away and the failure mode is {@code closed}. */
    public ProxyError error() {
        return error;
    }

    /** The request that went ended having used {@code usedTokens} (0 when unknown): slot back, tokens settled. */
    public void leave(long usedTokens) {
        if (!taken || left) {
            return;
        }
        left = true;
        if (local != null) {
            local.leave(localEstimate, usedTokens, System.nanoTime());
            return;
        }
        if (held != null) {
            held.release();
            held = null;
        }
        if (usedTokens > 0 && gate.tpm() != null) {
            gate.shared().buckets().charge(loop, List.of(gate.tpm().withCost(usedTokens - tokenCost)));
        }
    }

    /** The request went away before it used its pass: everything goes back. */
    public void abandon() {
        if (!taken || left) {
            return;
        }
        left = true;
        if (local != null) {
            local.leave(localEstimate, 0, System.nanoTime());
            return;
        }
        giveBack(buckets == null ? null : buckets.getNow());
    }
}
