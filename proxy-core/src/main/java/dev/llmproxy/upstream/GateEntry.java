package dev.llmproxy.upstream;

import dev.llmproxy.cluster.BucketDecision;
import dev.llmproxy.cluster.BucketSpec;
import dev.llmproxy.cluster.CheckResults;
import dev.llmproxy.cluster.RequestCharges;
import dev.llmproxy.cluster.RequestChecks;
import dev.llmproxy.cluster.SharedAdmission;
import dev.llmproxy.cluster.SharedLease;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.Promise;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request's pass through a {@link SharedUpstreamGate}: the upstream's pauses, buckets and concurrency lease as
 * checks in a request's one admission script ({@link RequestChecks}) — added to the client's checks when the client's
 * pass makes the call ({@link #addTo}, {@link #judge}), or sent alone ({@link #start}) for a later hop or a retry. A
 * request that may not go yet holds nothing and gets a time to wait ({@link #waitNanos()}); one that may go holds its
 * lease until {@link #leave}. Redis not answering makes it the local stand-in's entry, or a refusal
 * ({@link #error()}) in {@code closed} mode.
 *
 * <p>Threading: created on the request's event loop, judged and left there.
 */
public final class GateEntry implements GenericFutureListener<Future<CheckResults>> {

    private final SharedUpstreamGate gate;
    private final EventExecutor loop;
    private final long tokenCost;
    private final boolean honourRetryAfter;
    /** The request's per-(client, model) bucket, checked with the gate's (null: none). */
    private final BucketSpec clientRate;
    private Promise<GateEntry> promise;
    /**
     * The indexes of this entry's checks: pauses from {@code firstCheck}, then rpm, tpm, lease and the client's rate
     * bucket (-1 when absent).
     */
    private int firstCheck = -1;
    private int pauseCount;
    private int rpmCheck = -1;
    private int tpmCheck = -1;
    private int leaseCheck = -1;
    private int rateCheck = -1;
    /** The client's bucket as Redis left it, when it refused the request; null otherwise. */
    private BucketDecision.BucketState rateRefusal;
    private long rateWaitNanos;
    private boolean rateTaken;

    private long waitNanos;
    private ProxyError error;
    private boolean taken;
    private SharedLease held;
    private UpstreamGate local;
    private long localEstimate;
    private boolean left;

    GateEntry(SharedUpstreamGate gate, EventExecutor loop, long tokenCost, boolean honourRetryAfter,
              BucketSpec clientRate) {
        this.gate = gate;
        this.loop = loop;
        this.tokenCost = tokenCost;
        this.honourRetryAfter = honourRetryAfter;
        this.clientRate = clientRate;
    }

    /** The gate this entry is for. */
    public SharedUpstreamGate gate() {
        return gate;
    }

    /** Adds this entry's checks to a request's: the pauses that apply, the buckets, the lease. */
    public void addTo(RequestChecks checks) {
        List<String> pauses = gate.pauses(honourRetryAfter);
        firstCheck = checks.size();
        pauseCount = pauses.size();
        for (int i = 0; i < pauses.size(); i++) {
            checks.pause(pauses.get(i));
        }
        if (gate.rpm() != null) {
            rpmCheck = checks.bucket(gate.rpm());
        }
        if (gate.tpm() != null) {
            tpmCheck = checks.bucket(gate.tpm().withCost(tokenCost));
        }
        int concurrency = gate.limits().concurrency();
        if (concurrency > 0) {
            leaseCheck = checks.lease(gate.scope(), concurrency);
        }
        if (clientRate != null) {
            rateCheck = checks.bucket(clientRate);
        }
    }

    /** Sends this entry's checks alone (a later hop, or a retry after a wait): one round trip. */
    Future<GateEntry> start() {
        promise = loop.newPromise();
        SharedAdmission admission = gate.shared().admission();
        RequestChecks checks = admission.checks();
        addTo(checks);
        admission.check(loop, checks).addListener(this);
        return promise;
    }

    @Override
    public void operationComplete(Future<CheckResults> future) {
        judge(future.getNow());
        promise.setSuccess(this);
    }

    /** Whether every one of this entry's checks passed (the request may still be refused by another part's). */
    public boolean passed(CheckResults r) {
        if (!r.available()) {
            return false;
        }
        for (int i = firstCheck; i < firstCheck + checkCount(); i++) {
            if (r.status(i) != CheckResults.PASSED) {
                return false;
            }
        }
        return true;
    }

    private int checkCount() {
        return pauseCount + (rpmCheck >= 0 ? 1 : 0) + (tpmCheck >= 0 ? 1 : 0) + (leaseCheck >= 0 ? 1 : 0)
                + (rateCheck >= 0 ? 1 : 0);
    }

    /**
     * Judges the entry from the answer to the checks it was added to: taken when the request was admitted, a wait
     * when one of its own checks refused, the failure mode when Redis did not answer. Called once.
     */
    public void judge(CheckResults r) {
        if (!r.available()) {
            if (gate.refusesWhileUnavailable()) {
                error = ProxyError.of(ErrorKind.LIMITS_UNAVAILABLE);
                return;
            }
            UpstreamGate stand = gate.fallback();
            waitNanos = stand.tryEnter(tokenCost, System.nanoTime(), honourRetryAfter);
            if (waitNanos == 0) {
                local = stand;
                localEstimate = tokenCost;
                taken = true;
            }
            return;
        }
        if (r.admitted()) {
            taken = true;
            held = leaseCheck >= 0 ? r.lease(leaseCheck) : null;
            rateTaken = rateCheck >= 0;
            return;
        }
        if (rateCheck >= 0 && r.status(rateCheck) != CheckResults.PASSED) {
            // the client is over its own rate: refused at once, as in-process admission would (nothing was taken)
            rateWaitNanos = r.waitNanos(rateCheck);
            rateRefusal = new BucketDecision.BucketState(clientRate.burst(), r.value(rateCheck, 2),
                    TimeUnit.MICROSECONDS.toNanos(r.value(rateCheck, 3)));
            return;
        }
        if (leaseCheck >= 0 && r.status(leaseCheck) != CheckResults.PASSED) {
            // a request waiting for a slot holds no tokens meanwhile: others are not refused for want of tokens
            // that are only passing through
            waitNanos = SharedUpstreamGate.SLOT_POLL_NANOS;
            return;
        }
        long wait = 0;
        for (int i = firstCheck; i < firstCheck + checkCount(); i++) {
            int status = r.status(i);
            if (status == CheckResults.EXCEEDS_BURST) {
                waitNanos = TimeUnit.SECONDS.toNanos(1);
                return;
            }
            if (status != CheckResults.PASSED) {
                wait = Math.max(wait, r.waitNanos(i));
            }
        }
        // 0 when only another part's check refused: this entry then holds nothing and is not used
        waitNanos = passed(r) ? 0 : Math.max(TimeUnit.MILLISECONDS.toNanos(1), wait);
    }

    /** 0 when the request may go; else how long until it may try again (nothing is held then). */
    public long waitNanos() {
        return waitNanos;
    }

    /**
     * Whether the request's per-(client, model) bucket was taken here, with every replica's count: in-process
     * admission then does not charge it again. False when there was none or Redis did not answer.
     */
    public boolean rateTaken() {
        return rateTaken;
    }

    /** The client's shared bucket after it refused the request (a 429 at once); null when it did not. */
    public BucketDecision.BucketState rateRefusal() {
        return rateRefusal;
    }

    /** With {@link #rateRefusal()}: how long until the bucket lets the request through. */
    public long rateWaitNanos() {
        return rateWaitNanos;
    }

    /** Non-null when the request is refused outright: Redis is away and the failure mode is {@code closed}. */
    public ProxyError error() {
        return error;
    }

    /** The request that went ended having used {@code usedTokens} (0 when unknown): slot back, tokens settled. */
    public void leave(long usedTokens) {
        RequestCharges charges = gate.shared().admission().charges(loop);
        leave(usedTokens, charges);
        gate.shared().admission().settle(charges);
    }

    /** {@link #leave(long)}, into a request's one settling call that the caller sends. */
    public void leave(long usedTokens, RequestCharges into) {
        if (!taken || left) {
            return;
        }
        left = true;
        if (local != null) {
            local.leave(localEstimate, usedTokens, System.nanoTime());
            return;
        }
        into.release(held);
        held = null;
        if (usedTokens > 0 && gate.tpm() != null) {
            into.charge(gate.tpm().withCost(usedTokens - tokenCost));
        }
    }

    /** The request went away before it used its pass: everything goes back. */
    public void abandon() {
        RequestCharges charges = gate.shared().admission().charges(loop);
        abandon(charges);
        gate.shared().admission().settle(charges);
    }

    /** {@link #abandon()}, into a settling call that the caller sends. */
    public void abandon(RequestCharges into) {
        if (!taken || left) {
            return;
        }
        left = true;
        if (local != null) {
            local.leave(localEstimate, 0, System.nanoTime());
            return;
        }
        into.release(held);
        held = null;
        if (gate.rpm() != null) {
            into.charge(gate.rpm().withCost(-gate.rpm().cost()));
        }
        if (gate.tpm() != null) {
            into.charge(gate.tpm().withCost(-tokenCost));
        }
        if (rateTaken) {
            into.charge(clientRate.withCost(-clientRate.cost())); // the hop never went: as if never asked
        }
    }
}
