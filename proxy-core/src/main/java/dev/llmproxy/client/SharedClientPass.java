package dev.llmproxy.client;

import dev.llmproxy.cluster.BucketSpec;
import dev.llmproxy.cluster.CheckResults;
import dev.llmproxy.cluster.RequestCharges;
import dev.llmproxy.cluster.RequestChecks;
import dev.llmproxy.cluster.SharedAdmission;
import dev.llmproxy.cluster.SharedLease;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.config.ClientLimits;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.config.RedisFailureMode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.GateEntry;
import dev.llmproxy.upstream.SharedUpstreamGate;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.Promise;

import java.util.concurrent.TimeUnit;

/**
 * One request's admission by the limits the replicas share, from its one admission script until the request ends:
 * the client key's buckets ({@code rpm}, {@code tpm}), the request counted in the day's and month's totals (checked
 * against {@code rpd}), the month's tokens (checked against {@code monthly_tokens}) and a concurrency lease — and,
 * folded into the same script, the first hop's upstream gate ({@link GateEntry}: its pauses, buckets and lease). Redis
 * takes from all of them or from none, so a refusal on one limit consumes nothing from the others. Admitted,
 * {@link #settle} gives back the leases and charges the tokens used, in one call with the gate's.
 *
 * <p>When the client's limits would admit the request but the upstream's gate refuses it, nothing is taken and the
 * client's part is then asked alone (a second round trip, on that slow path only): the request stays the client's
 * while it waits for the upstream or moves to its next hop, whose gates are asked apart, as before.
 *
 * <p>Every request counts into the client's shared totals (requests per day and month, tokens per day and month) even
 * without limits, so the monitor's cluster totals are those of every replica.
 *
 * <p>Threading: created on the request's event loop; its answer arrives on that loop; {@link #settle} and
 * {@link #abandon} from that loop too.
 */
public final class SharedClientPass implements GenericFutureListener<Future<CheckResults>> {

    private static final long CONCURRENCY_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SharedClientAdmission owner;
    private final SharedAdmission admission;
    private final ClientSpec client;
    private final ClientLimits limits;
    private final EventExecutor loop;
    private final Promise<SharedClientPass> promise;
    private final BucketSpec rpm;
    private final BucketSpec tpm;
    /** The first hop's gate entry, judged from the same script; handed over once by {@link #takeGateEntry}. */
    private GateEntry gateEntry;
    private boolean gateFolded;
    private int rpmCheck = -1;
    private int tpmCheck = -1;
    private int countCheck = -1;
    private int budgetCheck = -1;
    private int leaseCheck = -1;

    private ClientQuota.Decision decision;
    private CheckResults admitted;
    private SharedLease held;
    /** The in-process quota that admitted the request while Redis was away, or null. */
    private ClientQuota fallback;
    private boolean ended;

    SharedClientPass(SharedClientAdmission owner, SharedLimits shared, ClientSpec client, EventExecutor loop,
                     GateEntry firstHop) {
        this.owner = owner;
        this.admission = shared.admission();
        this.client = client;
        this.limits = client.limits();
        this.loop = loop;
        this.promise = loop.newPromise();
        this.gateEntry = firstHop;
        String name = client.name();
        this.rpm = limits.rpm() > 0 ? BucketSpec.perMinute("client:" + name + ":rpm", limits.rpm(), limits.rpm(), 1)
                : null;
        this.tpm = limits.tpm() > 0 ? BucketSpec.perMinute("client:" + name + ":tpm", limits.tpm(), limits.tpm(), 0)
                : null;
    }

    Future<SharedClientPass> start() {
        send(gateEntry != null);
        return promise;
    }

    private void send(boolean withGate) {
        String name = client.name();
        RequestChecks checks = admission.checks();
        rpmCheck = rpm != null ? checks.bucket(rpm) : -1;
        tpmCheck = tpm != null ? checks.bucket(tpm) : -1;
        countCheck = checks.countRequest(requestsCounter(name), limits.rpd());
        budgetCheck = limits.monthlyTokens() > 0 ? checks.budget(tokensCounter(name), limits.monthlyTokens()) : -1;
        leaseCheck = limits.concurrency() > 0 ? checks.lease("client:" + name, limits.concurrency()) : -1;
        gateFolded = withGate;
        if (withGate) {
            gateEntry.addTo(checks);
        }
        admission.check(loop, checks).addListener(this);
    }

    /** The shared counter of a client's requests (its day total is what {@code rpd} limits). */
    public static String requestsCounter(String client) {
        return "client:" + client + ":requests";
    }

    /** The shared counter of a client's tokens (its month total is what {@code monthly_tokens} limits). */
    public static String tokensCounter(String client) {
        return "client:" + client + ":tokens";
    }

    @Override
    public void operationComplete(Future<CheckResults> future) {
        CheckResults r = future.getNow();
        if (gateFolded) {
            gateFolded = false;
            gateEntry.judge(r);
            if (r.available() && !r.admitted() && clientPassed(r) && !gateEntry.passed(r)) {
                send(false); // only the upstream refused: the entry holds its wait; the client's part goes alone
                return;
            }
        }
        decision = judge(r);
        if (!decision.admitted() && gateEntry != null) {
            gateEntry.abandon(); // a local stand-in's pass, taken while Redis was away
            gateEntry = null;
        }
        promise.setSuccess(this);
    }

    private boolean clientPassed(CheckResults r) {
        int last = Math.max(Math.max(rpmCheck, tpmCheck), Math.max(countCheck, Math.max(budgetCheck, leaseCheck)));
        for (int i = 0; i <= last; i++) {
            if (r.status(i) != CheckResults.PASSED) {
                return false;
            }
        }
        return true;
    }

    private ClientQuota.Decision judge(CheckResults r) {
        if (!r.available()) {
            ClientQuota.Decision d;
            if (owner.failureMode() == RedisFailureMode.CLOSED && limited()) {
                d = new ClientQuota.Decision(ProxyError.of(ErrorKind.LIMITS_UNAVAILABLE), 0);
            } else {
                // local (or a key without limits): this replica's share of each limit stands in while Redis is away
                ClientQuota local = owner.fallback(client, System.nanoTime());
                d = local.tryAdmit(System.nanoTime(), System.currentTimeMillis());
                if (d.admitted()) {
                    fallback = local;
                }
            }
            return d;
        }
        if (r.admitted()) {
            admitted = r;
            held = leaseCheck >= 0 ? r.lease(leaseCheck) : null;
            return ClientQuota.Decision.ADMITTED;
        }
        return refusal(r);
    }

    /** Nothing was taken; the reason, in the order a client can act on: budget, day, minute, concurrency. */
    private ClientQuota.Decision refusal(CheckResults r) {
        String name = client.name();
        if (budgetCheck >= 0 && r.status(budgetCheck) != CheckResults.PASSED) {
            return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_BUDGET_EXHAUSTED, "The client key '" + name
                    + "' has used its monthly budget of " + limits.monthlyTokens() + " tokens ("
                    + r.value(budgetCheck, 1) + " used this month across the replicas)"), 0);
        }
        if (r.status(countCheck) != CheckResults.PASSED) {
            return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + name
                    + "' has made its " + limits.rpd() + " requests of the day (UTC) across the replicas"), 0);
        }
        long wait = 0;
        if (rpmCheck >= 0 && r.status(rpmCheck) != CheckResults.PASSED) {
            wait = r.waitNanos(rpmCheck);
        }
        if (tpmCheck >= 0 && r.status(tpmCheck) != CheckResults.PASSED) {
            wait = Math.max(wait, r.waitNanos(tpmCheck));
        }
        if (wait > 0 || leaseCheck < 0 || r.status(leaseCheck) == CheckResults.PASSED) {
            return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + name
                    + "' is over its per-minute limit across the replicas"),
                    Math.max(TimeUnit.MILLISECONDS.toNanos(1), wait));
        }
        return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + name
                + "' has " + limits.concurrency() + " requests in flight across the replicas, its limit"),
                CONCURRENCY_RETRY_NANOS);
    }

    private boolean limited() {
        return limits.rpm() > 0 || limits.tpm() > 0 || limits.rpd() > 0 || limits.concurrency() > 0
                || limits.monthlyTokens() > 0;
    }

    /** Whether Redis admitted the request, or else its failure mode answered. */
    public ClientQuota.Decision decision() {
        return decision;
    }

    /** Whether the request was admitted by the shared limits themselves (not by a local stand-in). */
    public boolean sharedAdmission() {
        return admitted != null;
    }

    /**
     * The first hop's gate entry, judged by the same script as the client's limits, if it is {@code gate}'s and not
     * yet taken; else null (ask the gate apart). Handed over once.
     */
    public GateEntry takeGateEntry(SharedUpstreamGate gate) {
        GateEntry entry = gateEntry;
        if (entry == null || entry.gate() != gate) {
            return null;
        }
        gateEntry = null;
        return entry;
    }

    /** OpenAI's rate-limit headers for the client's per-minute limits as the shared buckets stood on admission. */
    public void addHeaders(HttpHeaders h) {
        if (fallback != null) {
            fallback.addHeaders(h, System.nanoTime());
            return;
        }
        if (admitted == null) {
            return;
        }
        if (rpmCheck >= 0) {
            h.set("x-ratelimit-limit-requests", rpm.burst());
            h.set("x-ratelimit-remaining-requests", admitted.value(rpmCheck, 2));
            h.set("x-ratelimit-reset-requests", ClientQuota.duration(admitted.value(rpmCheck, 3) * 1_000));
        }
        if (tpmCheck >= 0) {
            h.set("x-ratelimit-limit-tokens", tpm.burst());
            h.set("x-ratelimit-remaining-tokens", admitted.value(tpmCheck, 2));
            h.set("x-ratelimit-reset-tokens", ClientQuota.duration(admitted.value(tpmCheck, 3) * 1_000));
        }
    }

    /** A request's one settling call, to which the gate's entry adds its part before {@link #settle} sends it. */
    public RequestCharges charges() {
        return admission.charges(loop);
    }

    /**
     * The admitted request ended having used {@code usedTokens} (exact usage; 0 when none or unknown): the lease goes
     * back, the tokens are charged to the {@code tpm} bucket and to the day's and month's totals — added to
     * {@code charges} (with whatever the gate's entry added) and sent as one call. Idempotent.
     */
    public void settle(long usedTokens, RequestCharges charges) {
        if (!ended && decision != null && decision.admitted()) {
            ended = true;
            if (gateEntry != null) {
                gateEntry.abandon(charges); // the request ended before its first hop took the entry
                gateEntry = null;
            }
            if (fallback != null) {
                fallback.settle(usedTokens, System.nanoTime(), System.currentTimeMillis());
                charges.add(requestsCounter(client.name()), 1); // admitted while Redis was away: counted once it is back
            } else {
                charges.release(held);
                held = null;
                if (usedTokens > 0 && tpm != null) {
                    charges.charge(tpm.withCost(usedTokens));
                }
            }
            // while Redis is away this is kept and added once it is back
            charges.add(tokensCounter(client.name()), Math.max(0, usedTokens));
        }
        admission.settle(charges);
    }

    /** The request went away before it used its admission: everything it took goes back. Idempotent. */
    public void abandon() {
        RequestCharges charges = admission.charges(loop);
        if (gateEntry != null) {
            gateEntry.abandon(charges);
            gateEntry = null;
        }
        if (!ended && decision != null && decision.admitted()) {
            ended = true;
            if (fallback != null) {
                fallback.settle(0, System.nanoTime(), System.currentTimeMillis());
            } else {
                charges.release(held);
                held = null;
                if (rpm != null) {
                    charges.charge(rpm.withCost(-1));
                }
                charges.add(requestsCounter(client.name()), -1);
            }
        }
        admission.settle(charges);
    }
}
