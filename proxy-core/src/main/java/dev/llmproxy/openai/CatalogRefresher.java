package dev.llmproxy.openai;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps {@link LiveCatalog} current: fetches {@code GET <GITHUB_MODELS_CATALOG_URL>} (GitHub's
 * {@code https://models.github.ai/catalog/models} by default), parses it with {@link ModelCatalog#parse} and swaps
 * it in. A failed, non-200, malformed, oversized or empty answer keeps the last good catalog and logs one WARN line
 * with the reason; it is never fatal, and the next scheduled refresh tries again.
 *
 * <p>The token goes only to the configured URL, as {@code Authorization: Bearer}, and never into a log line or a
 * {@link Result}; a blank token sends no {@code Authorization} at all. Give it an {@link HttpClient} that does not
 * follow redirects (the JDK's default), so the header cannot be carried to another host: a 3xx is a failed refresh.
 *
 * <p>Threading: {@link #start} runs refreshes on one daemon thread of its own ({@code catalog-refresh}), never on an
 * event loop — the JDK {@link HttpClient} call blocks that thread for up to {@link #REQUEST_TIMEOUT}. {@link
 * #refreshNow} blocks its caller the same way; it is safe from any thread and concurrent calls simply each install
 * what they fetched.
 */
public final class CatalogRefresher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CatalogRefresher.class);

    /** GitHub's catalog endpoint, the default of {@code GITHUB_MODELS_CATALOG_URL}. */
    public static final URI DEFAULT_URL = URI.create("https://models.github.ai/catalog/models");
    /** How long one fetch may take, connect to last byte. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Bigger answers are refused unread: the real catalog is about 60 KB. */
    static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

    /**
     * The outcome of one refresh.
     *
     * @param ok         the fetched catalog is now in force
     * @param failure    why not, or null when ok; never contains the token
     * @param modelCount models in force after this refresh (the new count, or the kept one)
     * @param at         when the refresh finished
     */
    public record Result(boolean ok, String failure, int modelCount, Instant at) {
    }

    private final URI url;
    private final String token;
    private final HttpClient http;
    private final LiveCatalog catalog;
    private final Clock clock;
    private final AtomicReference<ScheduledExecutorService> scheduler = new AtomicReference<>();
    private final AtomicReference<Result> last = new AtomicReference<>();

    /**
     * @param url     the catalog endpoint
     * @param token   sent as {@code Authorization: Bearer}; null or blank for none
     * @param http    the client to fetch with (its executor, proxy and TLS settings are the caller's)
     * @param catalog where a good catalog is installed
     * @param clock   timestamps of results and installed catalogs
     */
    public CatalogRefresher(URI url, String token, HttpClient http, LiveCatalog catalog, Clock clock) {
        this.url = Objects.requireNonNull(url, "url");
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw new IllegalArgumentException("url: " + url + " (expected: an http or https URL)");
        }
        this.token = token == null || token.isBlank() ? null : token;
        this.http = Objects.requireNonNull(http, "http");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Fetches and installs the catalog now, on the calling thread (blocking: never call it on an event loop). */
    public Result refreshNow() {
        Result result;
        try {
            ModelCatalog fetched = fetch();
            Instant now = clock.instant();
            int previous = catalog.replace(fetched, now).catalog().size();
            result = new Result(true, null, fetched.size(), now);
            log.info("model catalog refreshed from {}: {} models (was {})", display(), fetched.size(), previous);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result = failed("interrupted");
        } catch (RefreshException | IllegalArgumentException e) {
            result = failed(e.getMessage());
        } catch (HttpTimeoutException e) {
            result = failed("no answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            result = failed("cannot fetch (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (RuntimeException e) {
            result = failed("unexpected " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        last.set(result);
        return result;
    }

    /**
     * Refreshes now and then every {@code every}, on a daemon thread of this refresher's own, until {@link #close}.
     *
     * @throws IllegalStateException when already started
     */
    public void start(Duration every) {
        Objects.requireNonNull(every, "every");
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("every: " + every + " (expected: a positive duration)");
        }
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, "catalog-refresh");
            thread.setDaemon(true);
            return thread;
        };
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(threads);
        if (!scheduler.compareAndSet(null, executor)) {
            executor.shutdownNow();
            throw new IllegalStateException("catalog refresher already started");
        }
        // Fixed delay, not rate: a slow fetch never queues a second one behind it.
        executor.scheduleWithFixedDelay(this::refreshNow, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The last refresh's result, or null before the first. */
    public Result lastResult() {
        return last.get();
    }

    /** Stops the schedule; a fetch in flight is interrupted. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService executor = scheduler.getAndSet(null);
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private ModelCatalog fetch() throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json")
                .GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new RefreshException("HTTP " + response.statusCode() + " (expected: 200)");
            }
            byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new RefreshException("body larger than " + MAX_BODY_BYTES + " bytes");
            }
            // parse rejects non-JSON, a wrapper object, an empty array and malformed entries, naming the entry
            return ModelCatalog.parse(bytes);
        }
    }

    private Result failed(String cause) {
        // An answer could echo a header back in its body; the token must not reach the log through it.
        String reason = token == null ? cause : cause.replace(token, "<token>");
        int kept = catalog.current().size();
        log.warn("model catalog refresh from {} failed: {}; keeping the current catalog ({} models)", display(),
                reason, kept);
        return new Result(false, reason, kept, clock.instant());
    }

    /** The URL without user info or query, which could carry secrets. */
    private String display() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    private static final class RefreshException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefreshException(String message) {
            super(message, null, false, false);
        }
    }
}
