package dev.llmproxy.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.cluster.LearnedQuota;
import dev.llmproxy.cluster.ReplicaRegistry;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.config.AdmissionConfig;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.PlanLimits;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;
import io.netty.util.concurrent.EventExecutor;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admission decision for every upstream call, made before any upstream work: local quota state (a model paused
 * by an upstream 429), the client's token bucket per model, GitHub plan pacing, the model's and the global
 * concurrency gates with a bounded queue and a deadline, and the model's circuit breaker. Nothing here blocks or
 * locks: buckets and the breaker are one CAS, gates hand slots over through an MPSC queue.
 *
 * <p>Thread-safe; one instance serves every event loop. Each admitted call gets an {@link AdmittedCall}, which also
 * acts as the exchange's {@link dev.llmproxy.exchange.UpstreamPolicy} (retries, upstream 429s) and releases its
 * permits when the exchange ends.
 */
public final class Admission {

    /** How {@link #admit} answers, exactly once, on the caller's event loop — unless the caller cancelled. */
    public interface Callback {
        void admitted(AdmittedCall call);

        void rejected(ProxyError error);
    }

    /** A started admission; the client going away cancels it (its queue place is freed at once). */
    public interface Pending {
        Pending NONE = () -> {
        };

        void cancel();
    }

    final AdmissionConfig config;
    final NanoClock nanos;
    final Clock wall;
    private final KeyedBuckets<String> clientBuckets;
    private final KeyedBuckets<String> ipBuckets;
    private final boolean floodLoopback;
    final QueueBudget budget;
    final ConcurrencyGate global;
    final ModelQuotas models;
    final QuotaTracker quota;
    final CircuitBreakers breakers;
    final AdaptiveLimits adaptive;
    final DailyUsage daily;
    final AtomicInteger upstreamInFlight = new AtomicInteger();
    /** The replicas this one shares limits with ({@code REDIS_URL}); null otherwise. */
    private volatile SharedLimits shared;
    /** The per-(client, model) buckets in use; null when they are off. */
    private volatile RateShare rateShare;
    private final ModelIndex index;

    /**
     * @param catalog the models listed at start-up: each gets per-model state of its own, any other id the shared
     *                {@code other} state (the breakers excepted: see {@link CircuitBreakers})
     * @param models  the index whose handles {@link #admit} is given: the router's, so the hops' handles fit
     */
    public Admission(AdmissionConfig config, ModelCatalog catalog, ModelIndex models, NanoClock nanos, Clock wall) {
        this.index = models;
        this.config = config;
        this.nanos = nanos;
        this.wall = wall;
        List<String> ids = catalog.models().stream().map(CatalogModel::id).toList();
        this.clientBuckets = config.rateLimitEnabled()
                ? new KeyedBuckets<>(config.ratePerMinute(), config.rateBurst(), config.maxRateKeys(), nanos) : null;
        this.rateShare = clientBuckets == null ? null : new RateShare(1, config.ratePerMinute(), clientBuckets);
        this.floodLoopback = config.ipLoopback();
        this.ipBuckets = config.ipPerMinute() > 0
                ? new KeyedBuckets<>(config.ipPerMinute(), config.ipPerMinute(), config.maxRateKeys(), nanos) : null;
        this.budget = new QueueBudget(config.queueMax());
        this.global = config.concurrencyEnabled()
                ? new ConcurrencyGate("global", config.maxConcurrent(), budget, nanos) : null;
        this.models = new ModelQuotas(catalog, models, config.plan(), config.quotaPacing(), budget, nanos);
        this.quota = new QuotaTracker(ids, models, wall, nanos::nanoTime);
        this.breakers = new CircuitBreakers(new java.util.HashSet<>(ids), models, config.breakerThreshold(),
                config.breakerFirstOpen(), config.breakerOpen(), nanos, CircuitBreakers.MAX_OTHER_MODELS);
        this.adaptive = config.adaptive()
                ? new AdaptiveLimits(config.ratePerMinute(), ids, models, wall, nanos::nanoTime) : null;
        this.daily = new DailyUsage(ids, models, wall);
    }

    /** Upstream calls in flight now (the global gate's slots in use, or a plain count when the gate is off). */
    public int active() {
        return global != null ? global.active() : upstreamInFlight.get();
    }

    /** Requests waiting for an upstream slot now. */
    public int queued() {
        return budget.used();
    }

    /**
     * The per-IP flood guard, checked as soon as a proxied request's head arrives; null when it may pass. Loopback
     * peers pass unless {@code IP_RATE_LIMIT_LOOPBACK} (behind a trusted reverse proxy {@code ip} is the forwarded
     * client's address, so they are counted).
     */
    public ProxyError checkFlood(String ip) {
        if (ipBuckets == null || (!floodLoopback && isLoopback(ip))) {
            return null;
        }
        TokenBucket.Decision d = ipBuckets.tryAcquire(ip);
        return d.allowed() ? null : Rejections.flood(d);
    }

    /** An IPv4 loopback literal (127.0.0.0/8) or IPv6's {@code ::1}, as a peer or forwarded address prints. */
    static boolean isLoopback(String ip) {
        return ip != null && (ip.startsWith("127.") || ip.equals("::1") || ip.equals("0:0:0:0:0:0:0:1"));
    }

    /** {@link #admit(String, String, ModelHandle, EventExecutor, Callback)} for a model given as text (tests): interned. */
    public Pending admit(String identity, String model, EventExecutor loop, Callback callback) {
        return admit(identity, model, index.intern(model), loop, callback);
    }

    /**
     * Starts admitting one upstream call for a validated request.
     *
     * @param identity who the per-(client, model) bucket charges: {@code client:<name>}, {@code key:<hash>} or
     *                 {@code ip:<address>}; null when that bucket was already taken in Redis with every replica's
     *                 count ({@code REDIS_URL})
     * @param model    the model id that goes upstream (catalog id after resolution), for messages and client buckets
     * @param handle   that id's handle in this admission's index: every per-model table is read at it
     * @param loop     the client channel's event loop: callbacks and timers run there
     */
    public Pending admit(String identity, String model, ModelHandle handle, EventExecutor loop, Callback callback) {
        Optional<QuotaTracker.Block> block = quota.check(handle);
        if (block.isPresent()) {
            QuotaTracker.Block b = block.get();
            callback.rejected(b.reason() == QuotaTracker.Reason.DAILY_QUOTA_EXHAUSTED
                    ? Rejections.dailyQuotaExhausted(model, b.retryAfterSeconds(), b.resetAt(), "UserByModelByDay", null)
                    : Rejections.paused(model, b.retryAfterSeconds(), b.resetAt()));
            return Pending.NONE;
        }
        if (clientBuckets != null && identity != null) {
            RateShare share = rateShare();
            TokenBucket.Decision d = share.buckets.tryAcquire(identity + '\n' + model);
            if (!d.allowed()) {
                callback.rejected(Rejections.rateLimited(d, share.perMinute));
                return Pending.NONE;
            }
        }
        AdmittedCall call = new AdmittedCall(this, model, handle, models.find(handle), loop, callback,
                nanos.nanoTime() + config.queueTimeout().toNanos());
        call.begin();
        return call;
    }

    /**
     * Joins the replicas that share {@code shared} ({@code REDIS_URL}), once at start-up: what the upstream quota
     * state learns is published to them, and theirs (this replica's own included) taken in, a concurrency cut shared
     * out among the live replicas; and the per-(client, model) buckets that admission still charges in process —
     * while Redis is away, or for calls no shared gate saw (stored responses, {@code /tts}) — hold this replica's
     * share of {@code RATE_LIMIT_PER_MINUTE}, the limit divided by the replicas last seen alive.
     */
    public void shareWith(SharedLimits shared) {
        this.shared = shared;
        ReplicaRegistry replicas = shared.replicas();
        shared.quota().listen(learned -> quota.apply(learned, replicas.lastKnownCount()));
    }

    /** The in-process per-(client, model) buckets: the whole limit, or with replicas this replica's share of it. */
    private RateShare rateShare() {
        RateShare current = rateShare;
        SharedLimits s = shared;
        int count = s == null ? 1 : s.replicas().lastKnownCount();
        if (current.replicas != count) {
            ReplicaRegistry r = s.replicas();
            int perMinute = (int) r.localShare(config.ratePerMinute());
            current = new RateShare(count, perMinute, new KeyedBuckets<>(perMinute,
                    (int) r.localShare(config.rateBurst()), config.maxRateKeys(), nanos));
            rateShare = current;
        }
        return current;
    }

    /** Per-(client, model) buckets sized for a replica count: replaced (emptied) when the count changes. */
    private record RateShare(int replicas, int perMinute, KeyedBuckets<String> buckets) {
    }

    /**
     * Tells the other replicas what an upstream 429 taught ({@link QuotaTracker#onUpstream429}; null: nothing), sent
     * on {@code loop}'s own Redis connection.
     */
    void learned(LearnedQuota learned, EventExecutor loop) {
        SharedLimits s = shared;
        if (learned != null && s != null) {
            s.quota().publish(loop, learned);
        }
    }

    /** Drops token buckets that are full again and per-model breakers with nothing to remember; run periodically. */
    public void evictIdle() {
        breakers.evictHealthy();
        if (clientBuckets != null) {
            rateShare().buckets.evictIdle();
        }
        if (ipBuckets != null) {
            ipBuckets.evictIdle();
        }
    }

    /** {@code GET /v1/rate-limits/observed}. */
    public ObjectNode observedReport() {
        return adaptive != null ? RateLimitReports.observed(adaptive.snapshot(), quota.snapshot())
                : RateLimitReports.observedWithoutAdaptive(quota.snapshot());
    }

    /** {@code GET /v1/rate-limits/daily}. */
    public ObjectNode dailyReport() {
        return RateLimitReports.daily(daily.snapshot(), id -> {
            ModelQuotas.Entry e = models.find(id);
            return e == null ? null : e.limits().requestsPerDay();
        });
    }

    /** Today's counts and the adaptive guess of one model, for {@code /v1/models}. */
    public DailyUsage.Counts dailyCounts(String model) {
        return daily.today(model);
    }

    /** Every model's adaptive guess, for the {@code model_rate_limit_guess} gauge; empty when adaptive limits are off. */
    public Map<String, AdaptiveLimits.Observed> observedGuesses() {
        return adaptive == null ? Map.of() : adaptive.snapshot();
    }

    public Optional<AdaptiveLimits.Observed> observed(String model) {
        return adaptive == null ? Optional.empty() : adaptive.observed(model);
    }

    /** The plan limits the proxy applies to a model (unknown ids: {@link PlanLimits#UNKNOWN}). */
    public PlanLimits planLimits(String model) {
        ModelQuotas.Entry e = models.find(model);
        return e == null ? PlanLimits.UNKNOWN : e.limits();
    }
}
