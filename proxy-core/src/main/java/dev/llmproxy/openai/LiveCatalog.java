package dev.llmproxy.openai;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model catalog the proxy serves right now: the bundled one at start-up, replaced whole by
 * {@link CatalogRefresher} when a refresh succeeds. Readers take one {@link #snapshot()} (or {@link #current()}) per
 * request and use it throughout, so a swap in the middle never mixes two catalogs.
 *
 * <p>Threading: lock-free; one volatile read per {@link #current()}, any thread may {@link #replace}. The derived
 * {@link ModelTraits} are computed once per catalog, by the thread that installs it, never per request.
 */
public final class LiveCatalog {

    /**
     * One installed catalog with what is derived from it.
     *
     * @param catalog  the models
     * @param traits   each model's traits, in catalog order
     * @param loadedAt when this catalog was installed
     */
    public record Snapshot(ModelCatalog catalog, List<ModelTraits> traits, Instant loadedAt) {
        public Snapshot {
            Objects.requireNonNull(catalog, "catalog");
            traits = List.copyOf(traits);
            Objects.requireNonNull(loadedAt, "loadedAt");
        }

        static Snapshot of(ModelCatalog catalog, Instant loadedAt) {
            List<ModelTraits> traits = new ArrayList<>(catalog.size());
            for (CatalogModel model : catalog.models()) {
                traits.add(ModelTraits.of(model));
            }
            return new Snapshot(catalog, traits, loadedAt);
        }
    }

    private final AtomicReference<Snapshot> current;

    public LiveCatalog(ModelCatalog initial) {
        this(initial, Instant.now());
    }

    public LiveCatalog(ModelCatalog initial, Instant loadedAt) {
        this.current = new AtomicReference<>(Snapshot.of(Objects.requireNonNull(initial, "initial"), loadedAt));
    }

    /** A live catalog that starts with the one bundled in the jar. */
    public static LiveCatalog bundled() {
        return new LiveCatalog(ModelCatalog.bundled());
    }

    /** The catalog in force. */
    public ModelCatalog current() {
        return current.get().catalog();
    }

    /** The catalog in force with its derived traits, consistent with each other. */
    public Snapshot snapshot() {
        return current.get();
    }

    /** Installs {@code next}; returns the snapshot it replaced. */
    public Snapshot replace(ModelCatalog next, Instant loadedAt) {
        return current.getAndSet(Snapshot.of(Objects.requireNonNull(next, "next"), loadedAt));
    }
}
