package dev.llmproxy.upstream;

import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.config.UpstreamAuth;
import dev.llmproxy.config.UpstreamKind;
import dev.llmproxy.config.UpstreamLimits;
import dev.llmproxy.config.UpstreamOptions;
import dev.llmproxy.config.UpstreamSpec;
import dev.llmproxy.openai.UpstreamCatalog;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One configured upstream as the request path uses it: resolved once at start-up from its {@link UpstreamSpec}
 * into a connection pool, a target, its credential and its model list. {@link #index} is dense (0..n-1, file order),
 * so per-upstream bookkeeping can live in arrays. Thread-safe: everything is final or thread-safe itself.
 */
public final class Upstream {
    private final int index;
    private final UpstreamSpec spec;
    private final UpstreamOptions options;
    private final UpstreamPool pool;
    private final UpstreamCatalog catalog;
    private final Optional<String> apiKey;
    private final String display;
    private final UpstreamCounters counters = new UpstreamCounters();
    /** One gate for the whole upstream ({@code scope: upstream}, or no declared limits), or one per model. */
    private final UpstreamGate upstreamGate;
    /** Per model, at its handle's index (created on first use); null when the limits cover the whole upstream. */
    private final AtomicReferenceArray<UpstreamGate> modelGates;

    private final UpstreamBreaker breaker;
    private final SharedLimits shared;

    /** An upstream whose breaker is off (tests that only resolve and read upstreams). */
    public Upstream(int index, UpstreamSpec spec, UpstreamOptions options, UpstreamPool pool, UpstreamCatalog catalog) {
        this(index, spec, options, pool, catalog, new UpstreamBreaker(0, java.time.Duration.ZERO));
    }

    public Upstream(int index, UpstreamSpec spec, UpstreamOptions options, UpstreamPool pool, UpstreamCatalog catalog,
                    UpstreamBreaker breaker) {
        this(index, spec, options, pool, catalog, breaker, null, ModelIndex.DEFAULT_CAPACITY);
    }

    /**
     * @param shared        the limits replicas share through Redis ({@code REDIS_URL}), or null
     * @param modelCapacity the {@link ModelIndex#capacity()} of the handles {@link #gate} is given
     */
    public Upstream(int index, UpstreamSpec spec, UpstreamOptions options, UpstreamPool pool, UpstreamCatalog catalog,
                    UpstreamBreaker breaker, SharedLimits shared, int modelCapacity) {
        this.shared = shared;
        this.breaker = breaker;
        this.index = index;
        this.spec = spec;
        this.options = options;
        this.pool = pool;
        this.catalog = catalog;
        this.apiKey = spec.sentApiKey();
        this.display = pool.target().display();
        this.upstreamGate = newGate("upstream:" + spec.name());
        this.modelGates = spec.limits().scope() == UpstreamLimits.Scope.UPSTREAM ? null
                : new AtomicReferenceArray<>(modelCapacity + 1);
    }

    /**
     * The gate that paces requests for {@code model}: the upstream's own when its limits cover the whole upstream
     * ({@code scope: upstream}), else the model's — as providers count their limits, and so the pause one model's
     * 429 asks for holds that model only (created on first use, at the handle's index; a model the index had no room
     * for, {@link ModelHandle#OTHER}, gets the upstream's own). Ids that differ only in case share a gate; its scope
     * in Redis is named by the handle's id.
     */
    public UpstreamGate gate(ModelHandle model) {
        if (modelGates == null || model.isOther() || model.index() >= modelGates.length()) {
            return upstreamGate;
        }
        int i = model.index();
        UpstreamGate gate = modelGates.get(i);
        if (gate != null) {
            return gate;
        }
        gate = newGate("upstream:" + spec.name() + ":" + model.id());
        return modelGates.compareAndSet(i, null, gate) ? gate : modelGates.get(i);
    }

    private UpstreamGate newGate(String scope) {
        return new UpstreamGate(spec.limits(), System.nanoTime(),
                shared == null ? null : new SharedUpstreamGate(shared, spec.limits(), scope));
    }

    public int index() {
        return index;
    }

    public String name() {
        return spec.name();
    }

    public UpstreamKind kind() {
        return spec.kind();
    }

    public UpstreamSpec spec() {
        return spec;
    }

    public UpstreamOptions options() {
        return options;
    }

    public UpstreamPool pool() {
        return pool;
    }

    public UpstreamCatalog catalog() {
        return catalog;
    }

    /** Opens after consecutive faults of this upstream, whatever the model. */
    public UpstreamBreaker breaker() {
        return breaker;
    }

    public UpstreamCounters counters() {
        return counters;
    }

    /** Base URL without credentials, for logs and {@code /health}. */
    public String display() {
        return display;
    }

    /** GitHub Models, retired on 2026-07-30: its 410 is answered as {@code upstream_retired}. */
    public boolean retired() {
        return spec.kind() == UpstreamKind.GITHUB_MODELS;
    }

    /** The key the proxy holds for this upstream, when its auth sends one. */
    public Optional<String> apiKey() {
        return apiKey;
    }

    /**
     * Sets the credential header for one request: {@code key} in this upstream's header ({@code Authorization:
     * Bearer} or Azure's {@code api-key}), nothing when {@code key} is null or the upstream takes none; then the
     * upstream's static extra headers.
     */
    public void applyHeaders(HttpHeaders headers, String key) {
        UpstreamAuth auth = spec.auth();
        if (key != null && auth != UpstreamAuth.NONE) {
            if (auth == UpstreamAuth.API_KEY) {
                headers.set("api-key", key);
            } else {
                headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key);
            }
        }
        for (Map.Entry<String, String> h : spec.headers().entrySet()) {
            headers.set(h.getKey(), h.getValue());
        }
    }

    @Override
    public String toString() {
        return name() + " (" + kind().wireName() + ", " + display + ")";
    }
}
