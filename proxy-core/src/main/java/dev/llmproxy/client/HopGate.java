package dev.llmproxy.client;

import dev.llmproxy.admission.Rejections;
import dev.llmproxy.admission.TokenBucket;
import dev.llmproxy.cluster.BucketDecision;
import dev.llmproxy.cluster.BucketSpec;
import dev.llmproxy.cluster.RequestCharges;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.GateEntry;
import dev.llmproxy.upstream.Hop;
import dev.llmproxy.upstream.SharedUpstreamGate;
import dev.llmproxy.upstream.UpstreamGate;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

/**
 * One request's passes through its hops' upstream gates — an upstream's (or one model's) own limits, declared and
 * learned: the in-process {@link UpstreamGate}, or with {@code REDIS_URL} the replicas' {@link SharedUpstreamGate}
 * through a {@link GateEntry} (asked in Redis first, or judged with the client's limits in their script for the first
 * hop). It judges each hop — go, wait, or refused — and holds the pass while the hop runs, then gives it back charged
 * with what the hop used. It also says who the per-(client, model) bucket of {@code RATE_LIMIT_PER_MINUTE} charges:
 * with {@code REDIS_URL} that bucket rides in the hop's gate entry, and admission then does not charge it again.
 * What to do about a wait or a refusal (park the body, move to the next hop, answer) is {@link ForwardedRequest}'s.
 *
 * <p>Threading: the request's event loop.
 */
final class HopGate {

    /** The identity admission is given when no per-client bucket uses it. */
    private static final String NO_IDENTITY = "-";

    private final ClientServices services;
    private final HttpHeaders requestHeaders;
    private final ClientSpec client;
    private final String clientIp;
    /** The in-process gate whose pass the current hop holds, and the hop's token estimate; null when none is held. */
    private UpstreamGate held;
    private long estimate;
    /** How long the request has waited for gates so far. */
    private long waitedNanos;
    /** The shared gate's entry of the current hop ({@code REDIS_URL}): its answer, then the pass it holds. */
    private GateEntry entry;
    /** Who the per-(client, model) buckets charge, once asked. */
    private String identity;
    /** Why the last {@link #tryPass} refused. */
    private ProxyError refusal;

    HopGate(ClientServices services, HttpHeaders requestHeaders, ClientSpec client, String clientIp) {
        this.services = services;
        this.requestHeaders = requestHeaders;
        this.client = client;
        this.clientIp = clientIp;
    }

    /**
     * The first hop's shared gate entry, not yet sent, for the client's shared admission to fold into its script
     * (one round trip for both); null when the hop's gate is in-process.
     */
    GateEntry firstEntry(Hop first, long estimate, boolean another, EventExecutor loop) {
        SharedUpstreamGate shared = first.upstream().gate(first.handle()).shared();
        return shared == null ? null : shared.entry(loop, estimate, another, sharedRate(first));
    }

    /**
     * Whether {@code gate} must be asked in Redis ({@link #ask}) before {@link #tryPass}: a shared gate without an
     * entry for this hop yet. The first hop's entry judged with the client's limits is taken from {@code pass}.
     */
    boolean mustAsk(UpstreamGate gate, int hop, SharedClientPass pass) {
        if (gate.shared() == null) {
            return false;
        }
        if (entry == null && hop == 0 && pass != null) {
            entry = pass.takeGateEntry(gate.shared());
        }
        return entry == null;
    }

    /** Asks {@code hop}'s shared gate in Redis (one round trip); hand the answer to {@link #entered}. */
    Future<GateEntry> ask(UpstreamGate gate, Hop hop, long estimate, boolean another, EventExecutor loop) {
        return gate.shared().enter(loop, estimate, another, sharedRate(hop));
    }

    void entered(GateEntry answer) {
        entry = answer;
    }

    /**
     * Judges the hop: 0 when it may go (its pass is then held until {@link #leave}), the nanoseconds to wait before
     * asking again (nothing is held meanwhile), or -1 when it is refused outright ({@link #refusal()}: the client
     * over its own shared rate, or Redis away with {@code REDIS_FAILURE_MODE=closed}).
     */
    long tryPass(UpstreamGate gate, long estimate, boolean another) {
        long wait;
        if (entry != null) {
            BucketDecision.BucketState overRate = entry.rateRefusal();
            if (overRate != null) {
                refusal = Rejections.rateLimited(new TokenBucket.Decision(false, (int) overRate.limit(),
                        (int) overRate.remaining(), entry.rateWaitNanos(), overRate.resetNanos()),
                        services.config().admission().ratePerMinute());
                entry = null; // holds nothing
                return -1;
            }
            wait = entry.waitNanos();
            ProxyError refused = entry.error();
            if (wait > 0 || refused != null) {
                entry = null; // holds nothing
            }
            if (refused != null) {
                refusal = refused;
                return -1;
            }
        } else {
            wait = gate.tryEnter(estimate, System.nanoTime(), another);
        }
        if (wait > 0) {
            return wait;
        }
        held = gate;
        this.estimate = estimate;
        return 0;
    }

    ProxyError refusal() {
        return refusal;
    }

    /** Whether waiting {@code wait} more still fits in the queue timeout, counting what was waited before; if so, counts it. */
    boolean waitFits(long wait) {
        if (wait > services.config().admission().queueTimeout().toNanos() - waitedNanos) {
            return false;
        }
        waitedNanos += wait;
        return true;
    }

    /** The gate whose pass the current hop holds (it learns from the hop's response head), or null. */
    UpstreamGate held() {
        return held;
    }

    /**
     * Who the per-(client, model) bucket charges in admission: a configured client by name, else a hash of the key
     * presented, else the IP; null when the hop's shared entry already took that bucket in Redis.
     */
    String admissionIdentity() {
        if (entry != null && entry.rateTaken()) {
            return null;
        }
        return services.config().admission().rateLimitEnabled() ? identity() : NO_IDENTITY;
    }

    /**
     * Gives the current hop's pass back (the shared entry's or the in-process one), charging {@code usedTokens};
     * with {@code charges}, the shared entry's part goes into the request's one settling call.
     */
    void leave(long usedTokens, RequestCharges charges) {
        if (entry != null) {
            if (charges != null) {
                entry.leave(usedTokens, charges);
            } else {
                entry.leave(usedTokens);
            }
            entry = null;
            held = null;
        }
        if (held != null) {
            held.leave(estimate, usedTokens, System.nanoTime());
            held = null;
        }
    }

    /** Gives back a shared entry the hop will not use (its upstream's breaker is open, or the client left). */
    void abandon() {
        if (entry != null) {
            entry.abandon();
            entry = null;
        }
    }

    private String identity() {
        if (identity == null) {
            identity = client != null ? "client:" + client.name() : ClientIdentity.of(requestHeaders, clientIp);
        }
        return identity;
    }

    /**
     * The request's per-(client, model) bucket for {@code hop} as every replica counts it, taken in the same script
     * as the hop's shared gate; null when the buckets are off. The model part is the hop's catalog id, or
     * {@code other} for an id no upstream lists, so a client cannot fill Redis with made-up names.
     */
    private BucketSpec sharedRate(Hop hop) {
        var admission = services.config().admission();
        if (!admission.rateLimitEnabled()) {
            return null;
        }
        return BucketSpec.perMinute("rate:" + identity() + ":" + services.upstreams().label(hop),
                admission.ratePerMinute(), admission.rateBurst(), 1);
    }
}
