package dev.llmproxy.client;

import dev.llmproxy.cluster.BucketDecision;
import dev.llmproxy.cluster.BucketSpec;
import dev.llmproxy.cluster.LeaseGrant;
import dev.llmproxy.cluster.PeriodCounts;
import dev.llmproxy.cluster.SharedLease;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.config.ClientLimits;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.config.RedisFailureMode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.Promise;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request's admission by a client key's shared limits, from the checks sent to Redis until the request ends:
 * the buckets ({@code rpm}, {@code tpm}), the request counted in the day's and month's totals (checked against
 * {@code rpd}), the month's tokens read (checked against {@code monthly_tokens}) and a concurrency lease, all sent at
 * once and judged together when the last answers. Refused or unavailable, whatever was taken is given back; admitted,
 * {@link #settle} gives back the lease and charges the tokens used to the {@code tpm} bucket and the month.
 *
 * <p>Every request counts into the client's shared totals (requests per day and month, tokens per day and month) even
 * without limits, so the monitor's cluster totals are those of every replica.
 *
 * <p>Threading: created on the request's event loop; its answers arrive on that loop; {@link #settle} and
 * {@link #abandon} from that loop too.
 */
public final class SharedClientPass implements GenericFutureListener<Future<Object>> {

    private static final long CONCURRENCY_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SharedClientAdmission owner;
    private final SharedLimits shared;
    private final ClientSpec client;
    private final ClientLimits limits;
    private final EventExecutor loop;
    private final Promise<SharedClientPass> promise;
    private final List<BucketSpec> bucketSpecs = new ArrayList<>(2);
    private Future<BucketDecision> buckets;
    private Future<PeriodCounts> requests;
    private Future<PeriodCounts> tokens;
    private Future<LeaseGrant> lease;
    private int pending;

    private ClientQuota.Decision decision;
    private BucketDecision admittedBuckets;
    private SharedLease held;
    /** The in-process quota that admitted the request while Redis was away, or null. */
    private ClientQuota fallback;
    private boolean ended;

    SharedClientPass(SharedClientAdmission owner, SharedLimits shared, ClientSpec client, EventExecutor loop) {
        this.owner = owner;
        this.shared = shared;
        this.client = client;
        this.limits = client.limits();
        this.loop = loop;
        this.promise = loop.newPromise();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    Future<SharedClientPass> start() {
        String name = client.name();
        if (limits.rpm() > 0) {
            bucketSpecs.add(BucketSpec.perMinute("client:" + name + ":rpm", limits.rpm(), limits.rpm(), 1));
        }
        if (limits.tpm() > 0) {
            bucketSpecs.add(BucketSpec.perMinute("client:" + name + ":tpm", limits.tpm(), limits.tpm(), 0));
        }
        pending = 1 + (bucketSpecs.isEmpty() ? 0 : 1) + (limits.monthlyTokens() > 0 ? 1 : 0)
                + (limits.concurrency() > 0 ? 1 : 0);
        GenericFutureListener listener = this;
        requests = shared.counters().add(loop, requestsCounter(name), 1);
        requests.addListener(listener);
        if (!bucketSpecs.isEmpty()) {
            buckets = shared.buckets().admit(loop, List.of(), bucketSpecs);
            buckets.addListener(listener);
        }
        if (limits.monthlyTokens() > 0) {
            tokens = shared.counters().read(loop, tokensCounter(name));
            tokens.addListener(listener);
        }
        if (limits.concurrency() > 0) {
            lease = shared.leases().acquire(loop, "client:" + name, limits.concurrency());
            lease.addListener(listener);
        }
        return promise;
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
    public void operationComplete(Future<Object> future) {
        if (--pending == 0) {
            decision = judge();
            promise.setSuccess(this);
        }
    }

    private ClientQuota.Decision judge() {
        PeriodCounts counted = requests.getNow();
        BucketDecision b = buckets == null ? null : buckets.getNow();
        PeriodCounts month = tokens == null ? null : tokens.getNow();
        LeaseGrant slot = lease == null ? null : lease.getNow();
        if (slot != null && slot.granted()) {
            held = slot.lease();
        }
        boolean unavailable = counted == null || !counted.available()
                || (buckets != null && (b == null || b.verdict() == BucketDecision.Verdict.UNAVAILABLE))
                || (tokens != null && (month == null || !month.available()))
                || (lease != null && (slot == null || slot.status() == LeaseGrant.Status.UNAVAILABLE));
        if (unavailable) {
            giveBack(b);
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
            if (!d.admitted()) {
                uncount(); // kept for Redis's return if it did not answer: the refusal is kept with it
            }
            return d;
        }
        ClientQuota.Decision refused = refusal(counted, b, month, slot);
        if (refused != null) {
            undo(counted, b);
            return refused;
        }
        admittedBuckets = b;
        return ClientQuota.Decision.ADMITTED;
    }

    private ClientQuota.Decision refusal(PeriodCounts counted, BucketDecision b, PeriodCounts month, LeaseGrant slot) {
        String name = client.name();
        if (month != null && month.month() >= limits.monthlyTokens()) {
            return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_BUDGET_EXHAUSTED, "The client key '" + name
                    + "' has used its monthly budget of " + limits.monthlyTokens() + " tokens (" + month.month()
                    + " used this month across the replicas)"), 0);
        }
        if (limits.rpd() > 0 && counted.day() > limits.rpd()) {
            return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + name
                    + "' has made its " + limits.rpd() + " requests of the day (UTC) across the replicas"), 0);
        }
        if (b != null && !b.allowed()) {
            return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + name
                    + "' is over its per-minute limit across the replicas"),
                    Math.max(TimeUnit.MILLISECONDS.toNanos(1), b.retryAfterNanos()));
        }
        if (slot != null && !slot.granted()) {
            return new ClientQuota.Decision(ProxyError.of(ErrorKind.CLIENT_RATE_LIMIT, "The client key '" + name
                    + "' has " + limits.concurrency() + " requests in flight across the replicas, its limit"),
                    CONCURRENCY_RETRY_NANOS);
        }
        return null;
    }

    /** Gives back what a refused request took: its lease, its request, its place in the day. */
    private void undo(PeriodCounts counted, BucketDecision b) {
        giveBack(b);
        if (counted != null && counted.available()) {
            uncount();
        }
    }

    private void giveBack(BucketDecision b) {
        if (held != null) {
            held.release();
            held = null;
        }
        if (b != null && b.allowed() && limits.rpm() > 0) {
            shared.buckets().charge(loop, List.of(bucketSpecs.get(0).withCost(-1)));
        }
    }

    private void uncount() {
        shared.counters().add(loop, requestsCounter(client.name()), -1);
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
        return admittedBuckets != null || (decision != null && decision.admitted() && fallback == null);
    }

    /** OpenAI's rate-limit headers for the client's per-minute limits as the shared buckets stood on admission. */
    public void addHeaders(HttpHeaders h) {
        if (fallback != null) {
            fallback.addHeaders(h, System.nanoTime());
            return;
        }
        if (admittedBuckets == null) {
            return;
        }
        List<BucketDecision.BucketState> states = admittedBuckets.buckets();
        int i = 0;
        if (limits.rpm() > 0 && i < states.size()) {
            BucketDecision.BucketState rpm = states.get(i++);
            h.set("x-ratelimit-limit-requests", rpm.limit());
            h.set("x-ratelimit-remaining-requests", rpm.remaining());
            h.set("x-ratelimit-reset-requests", ClientQuota.duration(rpm.resetNanos()));
        }
        if (limits.tpm() > 0 && i < states.size()) {
            BucketDecision.BucketState tpm = states.get(i);
            h.set("x-ratelimit-limit-tokens", tpm.limit());
            h.set("x-ratelimit-remaining-tokens", tpm.remaining());
            h.set("x-ratelimit-reset-tokens", ClientQuota.duration(tpm.resetNanos()));
        }
    }

    /**
     * The admitted request ended having used {@code usedTokens} (exact usage; 0 when none or unknown): the lease goes
     * back, the tokens are charged to the {@code tpm} bucket and to the day's and month's totals. Idempotent.
     */
    public void settle(long usedTokens) {
        if (ended || decision == null || !decision.admitted()) {
            return;
        }
        ended = true;
        if (fallback != null) {
            fallback.settle(usedTokens, System.nanoTime(), System.currentTimeMillis());
            if (usedTokens > 0) {
                shared.counters().add(loop, tokensCounter(client.name()), usedTokens); // kept until Redis is back
            }
            return;
        }
        if (held != null) {
            held.release();
            held = null;
        }
        if (usedTokens > 0) {
            if (limits.tpm() > 0) {
                shared.buckets().charge(loop, List.of(bucketSpecs.get(bucketSpecs.size() - 1).withCost(usedTokens)));
            }
            shared.counters().add(loop, tokensCounter(client.name()), usedTokens);
        }
    }

    /** The request went away before it used its admission: everything it took goes back. Idempotent. */
    public void abandon() {
        if (ended || decision == null || !decision.admitted()) {
            return;
        }
        ended = true;
        if (fallback != null) {
            fallback.settle(0, System.nanoTime(), System.currentTimeMillis());
            uncount();
            return;
        }
        undo(requests.getNow(), admittedBuckets);
    }
}
