package dev.llmproxy.upstream;

import dev.llmproxy.config.RouteSpec;
import dev.llmproxy.config.RouteTarget;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.LiveCatalog;
import dev.llmproxy.openai.ModelCatalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves the {@code model} a client sends to the hops that may serve it, by the rules of the upstream contract:
 * <ol>
 *   <li>an id an upstream lists (exactly, then ignoring case; GitHub's short names for a {@code github-models}
 *       upstream) → that upstream, first in file order;</li>
 *   <li>{@code <upstream-name>/<model>} → that upstream, {@code <model>} sent;</li>
 *   <li>a route alias → its targets in order (failover before the first response byte);</li>
 *   <li>otherwise the only upstream, or the {@code default_upstream}; with several and no default, nothing
 *       ({@code 404 model_not_found}).</li>
 * </ol>
 * The model lists change when a refresh lands; {@link #sync} (called once a second off the event loops) rebuilds
 * the lookup tables and the {@link #combined} catalog when any list changed, so a request only reads one volatile
 * index and does at most three map lookups.
 *
 * <p>Each hop carries its model's {@link ModelHandle} from the one {@link ModelIndex} ({@link #models}): listed ids
 * and route targets are interned here when the tables are built, an id built into a hop per request once, at
 * resolution. Nothing after resolution looks the model id up again.
 */
public final class ModelRouter {
    /** The label of a model no upstream lists. */
    private static final String OTHER_LABEL = "other";

    private final List<Upstream> upstreams;
    private final ModelIndex models;
    private final Map<String, Upstream> byName = new HashMap<>();
    private final Map<String, List<Hop>> aliases = new LinkedHashMap<>();
    private final Upstream fallback;
    /** Per alias (keyed by its hop list, built once), failovers by {@link FailoverReason}. */
    private final Map<List<Hop>, java.util.concurrent.atomic.LongAdder[]> failovers = new java.util.IdentityHashMap<>();
    private final LiveCatalog combined = new LiveCatalog(ModelCatalog.of(List.of()), Instant.EPOCH);
    private volatile Index index;

    /** What the lists said when the tables were built. */
    private record Index(LiveCatalog.Snapshot[] from, Map<String, List<Hop>> exact, Map<String, List<Hop>> lower,
                         Map<String, Upstream> owner, String[] labels) {
    }

    /** A router with an index of its own (tests and tools that read no per-model table). */
    public ModelRouter(List<Upstream> upstreams, List<RouteSpec> routes, Optional<String> defaultUpstream) {
        this(upstreams, routes, defaultUpstream, new ModelIndex());
    }

    /** @param models the one index whose handles every per-model table (admission, upstream gates) is keyed by */
    public ModelRouter(List<Upstream> upstreams, List<RouteSpec> routes, Optional<String> defaultUpstream,
                       ModelIndex models) {
        this.models = models;
        this.upstreams = List.copyOf(upstreams);
        for (Upstream u : upstreams) {
            byName.put(u.name(), u);
        }
        for (RouteSpec route : routes) {
            List<Hop> hops = new ArrayList<>(route.targets().size());
            for (RouteTarget t : route.targets()) {
                Upstream u = byName.get(t.upstream());
                if (u == null) {
                    throw new IllegalArgumentException("routes." + route.alias() + ": unknown upstream " + t.upstream());
                }
                hops.add(new Hop(u, t.model(), models.intern(t.model())));
            }
            List<Hop> frozen = List.copyOf(hops);
            aliases.put(route.alias(), frozen);
            java.util.concurrent.atomic.LongAdder[] counts =
                    new java.util.concurrent.atomic.LongAdder[FailoverReason.values().length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new java.util.concurrent.atomic.LongAdder();
            }
            failovers.put(frozen, counts);
        }
        this.fallback = upstreams.size() == 1 ? upstreams.get(0)
                : defaultUpstream.map(byName::get).orElse(null);
        sync();
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    /** The index of model handles the hops carry. */
    public ModelIndex models() {
        return models;
    }

    /**
     * The metrics label of a hop's model: the id as the combined catalog lists it, or {@code other} when no upstream
     * lists it — read at the hop's handle, no lookup by id (but for a handle the index had no room for).
     */
    public String label(Hop hop) {
        int i = hop.handle().index();
        if (i == 0) {
            return combined.current().find(hop.model()).map(CatalogModel::id).orElse(OTHER_LABEL);
        }
        String[] labels = index.labels;
        String label = i < labels.length ? labels[i] : null;
        return label != null ? label : OTHER_LABEL;
    }

    public Optional<Upstream> upstream(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Route aliases and their hops, in file order. */
    public Map<String, List<Hop>> aliases() {
        return aliases;
    }

    /** Counts one failover of a request whose model resolved to {@code hops} (an alias's list; others are ignored). */
    public void failedOver(List<Hop> hops, FailoverReason reason) {
        java.util.concurrent.atomic.LongAdder[] counts = failovers.get(hops);
        if (counts != null) {
            counts[reason.ordinal()].increment();
        }
    }

    /** Failovers of the alias {@code alias} for {@code reason}. */
    public long failovers(String alias, FailoverReason reason) {
        List<Hop> hops = aliases.get(alias);
        java.util.concurrent.atomic.LongAdder[] counts = hops == null ? null : failovers.get(hops);
        return counts == null ? 0 : counts[reason.ordinal()].sum();
    }

    /** Every upstream's models in one catalog (the first upstream listing an id keeps it), for the model tools. */
    public LiveCatalog combined() {
        return combined;
    }

    /** The upstream that serves {@code id} by rule 1, if any lists it. */
    public Optional<Upstream> owner(String id) {
        return Optional.ofNullable(index.owner.get(id));
    }

    /**
     * The hops for {@code model}, in failover order; empty when no rule resolves it (several upstreams, no default).
     * Never allocates for a listed id or an alias.
     */
    public List<Hop> resolve(String model) {
        return resolve(model, true);
    }

    /**
     * The hops {@link #resolve} would give, for a route that only shows where a model goes ({@code GET
     * /v1/models/{id}}): an id no catalog lists is not interned (its hop carries {@link ModelHandle#OTHER} unless it
     * has a handle already), so looking ids up spends none of the index's room.
     */
    public List<Hop> peek(String model) {
        return resolve(model, false);
    }

    private List<Hop> resolve(String model, boolean intern) {
        Index idx = index;
        List<Hop> hops = idx.exact.get(model);
        if (hops != null) {
            return hops;
        }
        hops = aliases.get(model);
        if (hops != null) {
            return hops;
        }
        hops = idx.lower.get(model.toLowerCase(Locale.ROOT));
        if (hops != null) {
            return hops;
        }
        for (Upstream u : upstreams) {
            if (u.retired()) {
                String full = u.catalog().live().current().resolve(model); // GitHub's short names
                if (!full.equals(model)) {
                    return List.of(new Hop(u, full, handleOf(full, intern)));
                }
            }
        }
        int slash = model.indexOf('/');
        if (slash > 0 && slash < model.length() - 1) {
            Upstream named = byName.get(model.substring(0, slash));
            if (named != null) {
                String id = model.substring(slash + 1);
                return List.of(new Hop(named, id, handleOf(id, intern)));
            }
        }
        return fallback == null ? List.of() : List.of(new Hop(fallback, model, handleOf(model, intern)));
    }

    private ModelHandle handleOf(String id, boolean intern) {
        if (intern) {
            return models.internRequested(id);
        }
        ModelHandle known = models.find(id);
        return known != null ? known : ModelHandle.OTHER;
    }

    /** Rebuilds the tables when any upstream's list changed since the last build. Any thread; cheap when nothing did. */
    public synchronized void sync() {
        Index old = index;
        LiveCatalog.Snapshot[] now = new LiveCatalog.Snapshot[upstreams.size()];
        boolean changed = old == null;
        for (int i = 0; i < now.length; i++) {
            now[i] = upstreams.get(i).catalog().live().snapshot();
            changed |= old != null && old.from[i] != now[i];
        }
        if (!changed) {
            return;
        }
        Map<String, List<Hop>> exact = new HashMap<>();
        Map<String, List<Hop>> lower = new HashMap<>();
        Map<String, Upstream> owner = new HashMap<>();
        List<CatalogModel> all = new ArrayList<>();
        for (int i = 0; i < now.length; i++) {
            Upstream u = upstreams.get(i);
            for (CatalogModel m : now[i].catalog().models()) {
                List<Hop> hop = List.of(new Hop(u, m.id(), models.intern(m.id())));
                if (exact.putIfAbsent(m.id(), hop) == null) {
                    owner.put(m.id(), u);
                    all.add(m);
                }
                lower.putIfAbsent(m.id().toLowerCase(Locale.ROOT), hop);
            }
        }
        String[] labels = new String[models.size() + 1]; // every id in all is interned by now
        for (CatalogModel m : all) {
            int i = models.intern(m.id()).index();
            if (i > 0) {
                labels[i] = m.id();
            }
        }
        index = new Index(now, exact, lower, owner, labels);
        Instant newest = Instant.EPOCH;
        for (LiveCatalog.Snapshot s : now) {
            if (s.loadedAt() != null && s.loadedAt().isAfter(newest)) {
                newest = s.loadedAt();
            }
        }
        boolean gitHub = false;
        for (Upstream u : upstreams) {
            gitHub |= u.retired();
        }
        combined.replace(gitHub ? ModelCatalog.withShortNames(all) : ModelCatalog.of(all), newest);
    }
}
