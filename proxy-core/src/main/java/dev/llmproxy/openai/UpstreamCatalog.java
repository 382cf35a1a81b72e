package dev.llmproxy.openai;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * One upstream's model list and how it is kept: fetched from the upstream ({@link #listing}, or the legacy
 * {@link #gitHubModels} catalog) by a {@link CatalogRefresher} that swaps each good list into the {@link LiveCatalog},
 * or fixed by the config's {@code models:} ({@link #fixed}: never fetched). {@link #status()} is what
 * {@code /health} shows of it.
 *
 * <p>Threading: readers take {@link #live()}'s snapshot from any thread without locks; {@link #start} and
 * {@link #close} are called once each from the thread that wires the server.
 */
public final class UpstreamCatalog implements AutoCloseable {

    /**
     * The list in force and the last refresh.
     *
     * @param upstream    the upstream's name
     * @param fixed       the config fixes the list; nothing is fetched
     * @param url         where the list is fetched from (no credentials), or null when fixed
     * @param models      models in the list in force
     * @param loadedAt    when the list in force was installed; null while no list has been loaded yet
     * @param lastRefresh the last refresh, or null before the first (always null when fixed)
     */
    public record Status(String upstream, boolean fixed, String url, int models, Instant loadedAt,
                         CatalogRefresher.Result lastRefresh) {

        /**
         * Whether the upstream answered its last list request: null when that is not known (a fixed list, or no
         * refresh yet).
         */
        public Boolean reachable() {
            return lastRefresh == null ? null : lastRefresh.reachable();
        }
    }

    private final String upstream;
    private final LiveCatalog live;
    private final CatalogRefresher refresher;
    /** The snapshot installed before any list was loaded, or null when the first list is a real one. */
    private final LiveCatalog.Snapshot placeholder;

    private UpstreamCatalog(String upstream, LiveCatalog live, CatalogRefresher refresher,
                            LiveCatalog.Snapshot placeholder) {
        this.upstream = Objects.requireNonNull(upstream, "upstream");
        this.live = Objects.requireNonNull(live, "live");
        this.refresher = refresher;
        this.placeholder = placeholder;
    }

    /**
     * A list the config fixes: exactly {@code ids}, in order (a later id equal to an earlier one ignoring case is
     * dropped), {@code owned_by} the upstream's name, limits from {@code known} where it knows the family.
     */
    public static UpstreamCatalog fixed(String upstream, List<String> ids, KnownModels known, Clock clock) {
        Objects.requireNonNull(upstream, "upstream");
        List<CatalogModel> models = new ArrayList<>(ids.size());
        Set<String> seen = new HashSet<>();
        for (String id : ids) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("models: " + ids + " (expected: non-empty model ids)");
            }
            if (seen.add(id.toLowerCase(Locale.ROOT))) {
                models.add(known.complete(CatalogModel.listed(id, upstream), id));
            }
        }
        return new UpstreamCatalog(upstream, new LiveCatalog(ModelCatalog.of(models), clock.instant()), null, null);
    }

    /**
     * An OpenAI-compatible upstream's own list, {@code GET <baseUrl>/models} (see
     * {@link CatalogRefresher#listing}). It starts empty: until the first good refresh the upstream lists nothing
     * (requests for its models still reach it by name).
     */
    public static UpstreamCatalog listing(String upstream, URI baseUrl, URI listUrl, CredentialHeader credential,
                                          HttpClient http, KnownModels known, Clock clock) {
        LiveCatalog live = new LiveCatalog(ModelCatalog.of(List.of()), clock.instant());
        CatalogRefresher refresher = CatalogRefresher.listing(upstream, baseUrl, listUrl, credential, http, known,
                live, clock);
        return new UpstreamCatalog(upstream, live, refresher, live.snapshot());
    }

    /**
     * The legacy {@code github-models} profile: GitHub's catalog (see {@link CatalogRefresher#gitHubCatalog}),
     * starting with the 58 models bundled in the jar, which stay in force while GitHub does not answer (since its
     * retirement it answers 410).
     */
    public static UpstreamCatalog gitHubModels(String upstream, URI baseUrl, URI catalogUrl, String token,
                                               HttpClient http, Clock clock) {
        LiveCatalog live = new LiveCatalog(ModelCatalog.bundled(), clock.instant());
        CatalogRefresher refresher = CatalogRefresher.gitHubCatalog(upstream, baseUrl, catalogUrl, token, http,
                live, clock);
        return new UpstreamCatalog(upstream, live, refresher, null);
    }

    public String upstream() {
        return upstream;
    }

    /** The list in force, swapped whole on each good refresh. */
    public LiveCatalog live() {
        return live;
    }

    /** The refresher, or null for a fixed list. */
    public CatalogRefresher refresher() {
        return refresher;
    }

    /**
     * Starts refreshing now and then every {@code every} ({@link Duration#ZERO}: now only, at start-up) on the
     * refresher's own thread; nothing for a fixed list.
     */
    public void start(Duration every) {
        if (refresher != null) {
            refresher.start(every);
        }
    }

    public Status status() {
        LiveCatalog.Snapshot snapshot = live.snapshot();
        Instant loadedAt = snapshot == placeholder ? null : snapshot.loadedAt();
        return new Status(upstream, refresher == null, refresher == null ? null : refresher.display(),
                snapshot.catalog().size(), loadedAt, refresher == null ? null : refresher.lastResult());
    }

    /** Stops refreshing. Idempotent. */
    @Override
    public void close() {
        if (refresher != null) {
            refresher.close();
        }
    }
}
