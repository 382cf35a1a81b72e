package dev.llmproxy.openai;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps one upstream's {@link LiveCatalog} current: fetches its model list, reads it, and swaps it in. Two profiles:
 * {@link #listing} — {@code GET <base>/models} of any OpenAI-compatible upstream, read by {@link ModelListing} — and
 * {@link #gitHubCatalog}, the legacy {@code github-models} profile ({@code https://models.github.ai/catalog/models},
 * read by {@link ModelCatalog#parse}). A failed, non-200, redirected, malformed, oversized or empty answer keeps the
 * last good list and logs one WARN naming the upstream and the reason; it is never fatal, and the next scheduled
 * refresh tries again.
 *
 * <p>The upstream's key goes only to the upstream's own origin (scheme, host and port of its base URL): a list URL
 * elsewhere is fetched without it. It never appears in a log line or a {@link Result} (a reason that echoes it is
 * scrubbed). The {@link HttpClient} must not follow redirects ({@link #httpClient} builds one), so the key cannot be
 * carried to another host: a 3xx is a failed refresh.
 *
 * <p>Threading: {@link #start} runs refreshes on one daemon thread of its own ({@code catalog-refresh-<upstream>}),
 * never on an event loop — the JDK {@link HttpClient} call blocks that thread for up to {@link #REQUEST_TIMEOUT}.
 * {@link #refreshNow} blocks its caller the same way; it is safe from any thread and concurrent calls simply each
 * install what they fetched.
 */
public final class CatalogRefresher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CatalogRefresher.class);

    /** GitHub's catalog endpoint, the default of {@code GITHUB_MODELS_CATALOG_URL}. */
    public static final URI DEFAULT_URL = URI.create("https://models.github.ai/catalog/models");
    /** How long one fetch may take, connect to last byte. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Bigger answers are refused unread (OpenRouter's listing is about 1.5 MB, GitHub's catalog about 60 KB). */
    static final int MAX_BODY_BYTES = ModelListing.MAX_BODY_BYTES;

    /** Reads a fetched 200 body into a catalog; throws {@link IllegalArgumentException} saying why it cannot. */
    @FunctionalInterface
    public interface CatalogReader {
        ModelCatalog read(byte[] body);
    }

    /** What became of one refresh, in the words {@code /health} uses. */
    public enum Outcome {
        /** The fetched list is in force. */
        OK,
        /** No answer: connection refused or reset, DNS, TLS, or a timeout. */
        UNREACHABLE,
        /** The upstream answered, but not 200 (a 3xx included: redirects are not followed). */
        HTTP_STATUS,
        /** A 200 whose body is not a usable list: malformed, wrong shape, empty or too big. */
        BAD_LIST,
        /** The refresh was stopped ({@link #close}). */
        INTERRUPTED
    }

    /**
     * The outcome of one refresh.
     *
     * @param ok         the fetched list is now in force
     * @param failure    why not, or null when ok; never contains the key
     * @param modelCount models in force after this refresh (the new count, or the kept one)
     * @param at         when the refresh finished
     * @param outcome    the kind of outcome
     */
    public record Result(boolean ok, String failure, int modelCount, Instant at, Outcome outcome) {
        public Result {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(outcome, "outcome");
            if (ok != (outcome == Outcome.OK)) {
                throw new IllegalArgumentException("outcome: " + outcome + " (expected: OK exactly when ok)");
            }
        }

        /** Whether the upstream answered HTTP at all (a refused key or a bad list still means it is up). */
        public boolean reachable() {
            return outcome == Outcome.OK || outcome == Outcome.HTTP_STATUS || outcome == Outcome.BAD_LIST;
        }
    }

    private final String upstream;
    private final URI url;
    private final CredentialHeader credential;
    private final HttpClient http;
    private final CatalogReader reader;
    private final LiveCatalog catalog;
    private final Clock clock;
    private final Duration requestTimeout;
    private final AtomicReference<ScheduledExecutorService> scheduler = new AtomicReference<>();
    private final AtomicReference<Result> last = new AtomicReference<>();

    private CatalogRefresher(String upstream, URI url, CredentialHeader credential, HttpClient http,
                             CatalogReader reader, LiveCatalog catalog, Clock clock) {
        this(upstream, url, credential, http, reader, catalog, clock, REQUEST_TIMEOUT);
    }

    private CatalogRefresher(String upstream, URI url, CredentialHeader credential, HttpClient http,
                             CatalogReader reader, LiveCatalog catalog, Clock clock, Duration requestTimeout) {
        this.upstream = Objects.requireNonNull(upstream, "upstream");
        this.url = requireHttp("url", url);
        this.credential = credential;
        this.http = Objects.requireNonNull(http, "http");
        if (http.followRedirects() != HttpClient.Redirect.NEVER) {
            throw new IllegalArgumentException("http: follows redirects " + http.followRedirects()
                    + " (expected: NEVER, so the key cannot be carried to another host)");
        }
        this.reader = Objects.requireNonNull(reader, "reader");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    /** This refresher with another limit on one fetch; for tests, which cannot wait {@link #REQUEST_TIMEOUT}. */
    CatalogRefresher withRequestTimeout(Duration timeout) {
        return new CatalogRefresher(upstream, url, credential, http, reader, catalog, clock, timeout);
    }

    /**
     * The legacy GitHub Models catalog at {@code url}, with {@code token} as {@code Authorization: Bearer} (the
     * caller decides whether the URL is on the upstream's host; null or blank sends no key).
     */
    public CatalogRefresher(URI url, String token, HttpClient http, LiveCatalog catalog, Clock clock) {
        this("github-models", url, token == null || token.isBlank() ? null : CredentialHeader.bearer(token), http,
                ModelCatalog::parse, catalog, clock);
    }

    /**
     * An OpenAI-compatible upstream's list: {@code GET <baseUrl>/models} (or {@code listUrl} when the config names
     * one), read by {@link ModelListing} with {@code known} filling unknown limits.
     *
     * @param upstream   the upstream's name, for log lines and missing {@code owned_by}
     * @param baseUrl    the upstream's base URL ({@code https://api.openai.com/v1}); its origin is the only one the
     *                   key goes to
     * @param listUrl    where the list is, or null for {@code <baseUrl>/models}
     * @param credential the key's header, or null for none (Ollama, llama.cpp, …)
     */
    public static CatalogRefresher listing(String upstream, URI baseUrl, URI listUrl, CredentialHeader credential,
                                           HttpClient http, KnownModels known, LiveCatalog catalog, Clock clock) {
        requireHttp("baseUrl", baseUrl);
        URI url = listUrl != null ? requireHttp("listUrl", listUrl) : modelsUrl(baseUrl);
        Objects.requireNonNull(known, "known");
        return new CatalogRefresher(upstream, url, sameOrigin(url, baseUrl) ? credential : null, http,
                body -> ModelCatalog.of(ModelListing.parse(body, upstream, known, clock.instant())), catalog, clock);
    }

    /**
     * The legacy {@code github-models} profile: GitHub's catalog at {@code catalogUrl} ({@link #DEFAULT_URL} unless
     * the config says otherwise), with {@code token} as Bearer only when it is on {@code baseUrl}'s origin.
     */
    public static CatalogRefresher gitHubCatalog(String upstream, URI baseUrl, URI catalogUrl, String token,
                                                 HttpClient http, LiveCatalog catalog, Clock clock) {
        requireHttp("baseUrl", baseUrl);
        URI url = catalogUrl != null ? requireHttp("catalogUrl", catalogUrl) : DEFAULT_URL;
        CredentialHeader credential = token == null || token.isBlank() || !sameOrigin(url, baseUrl)
                ? null : CredentialHeader.bearer(token);
        return new CatalogRefresher(upstream, url, credential, http, ModelCatalog::parse, catalog, clock);
    }

    /** A client fit for refreshers: no redirects, the given connect timeout. */
    public static HttpClient httpClient(Duration connectTimeout) {
        return httpClient(connectTimeout, java.util.Optional.empty());
    }

    /**
     * The same, trusting only the CAs of {@code trustedCaFile} (PEM, {@code UPSTREAM_CA_FILE}) when given, as the
     * upstream connections do.
     */
    public static HttpClient httpClient(Duration connectTimeout, java.util.Optional<java.nio.file.Path> trustedCaFile) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (trustedCaFile.isPresent()) {
            builder.sslContext(trusting(trustedCaFile.get()));
        }
        return builder.build();
    }

    private static javax.net.ssl.SSLContext trusting(java.nio.file.Path pem) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(pem)) {
            java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificates(in)) {
                store.setCertificateEntry("ca-" + n++, c);
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the trusted CAs in " + pem + ": " + e.getMessage(), e);
        }
    }

    /** {@code <base>/models}, with exactly one slash between. */
    static URI modelsUrl(URI baseUrl) {
        String base = baseUrl.toString();
        return URI.create(base.endsWith("/") ? base + "models" : base + "/models");
    }

    /** Same scheme, host (ignoring case) and port, the default port of the scheme filled in. */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static URI requireHttp(String field, URI uri) {
        Objects.requireNonNull(uri, field);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((!"http".equals(scheme) && !"https".equals(scheme)) || uri.getHost() == null) {
            throw new IllegalArgumentException(field + ": " + uri + " (expected: an http or https URL with a host)");
        }
        return uri;
    }

    /** The upstream whose list this refreshes. */
    public String upstream() {
        return upstream;
    }

    /** Where the list is fetched from, without user info or query. */
    public String display() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    /** Whether the key goes along (false when there is none, or the list is on another origin). */
    public boolean sendsCredential() {
        return credential != null;
    }

    /** Fetches and installs the list now, on the calling thread (blocking: never call it on an event loop). */
    public Result refreshNow() {
        Result result;
        try {
            ModelCatalog fetched = fetch();
            Instant now = clock.instant();
            int previous = catalog.replace(fetched, now).catalog().size();
            result = new Result(true, null, fetched.size(), now, Outcome.OK);
            log.info("upstream {}: {} models from {} (was {})", upstream, fetched.size(), display(), previous);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result = failed(Outcome.INTERRUPTED, "interrupted");
        } catch (StatusException e) {
            result = failed(Outcome.HTTP_STATUS, e.getMessage());
        } catch (RefreshException | IllegalArgumentException e) {
            result = failed(Outcome.BAD_LIST, e.getMessage());
        } catch (HttpConnectTimeoutException e) {
            result = failed(Outcome.UNREACHABLE, "no connection within the connect timeout");
        } catch (HttpTimeoutException e) {
            result = failed(Outcome.UNREACHABLE, "no answer within " + requestTimeout.toMillis() + " ms");
        } catch (IOException e) {
            result = failed(Outcome.UNREACHABLE, "cannot fetch (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (RuntimeException e) {
            result = failed(Outcome.BAD_LIST, "unexpected " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        last.set(result);
        return result;
    }

    /**
     * Refreshes now and then every {@code every} ({@link Duration#ZERO}: now only), on a daemon thread of this
     * refresher's own, until {@link #close}.
     *
     * @throws IllegalStateException when already started
     */
    public void start(Duration every) {
        Objects.requireNonNull(every, "every");
        if (every.isNegative()) {
            throw new IllegalArgumentException("every: " + every + " (expected: a duration >= 0)");
        }
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, "catalog-refresh-" + upstream);
            thread.setDaemon(true);
            return thread;
        };
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(threads);
        if (!scheduler.compareAndSet(null, executor)) {
            executor.shutdownNow();
            throw new IllegalStateException("catalog refresher of " + upstream + " already started");
        }
        if (every.isZero()) {
            executor.execute(this::refreshNow);
            return;
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
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .GET();
        if (credential != null) {
            request.header(credential.name(), credential.value());
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new StatusException("HTTP " + response.statusCode() + " (expected: 200)");
            }
            byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new RefreshException("body larger than " + MAX_BODY_BYTES + " bytes");
            }
            // the reader rejects non-JSON, a wrong shape, an empty list and (GitHub) malformed entries, saying which
            return reader.read(bytes);
        }
    }

    private Result failed(Outcome outcome, String cause) {
        // An answer could echo a header back in its body; the key must not reach the log through it.
        String reason = credential == null ? cause : cause.replace(credential.secret(), "<key>");
        int kept = catalog.current().size();
        log.warn("upstream {}: model list refresh from {} failed: {}; keeping the last good list ({} models)",
                upstream, display(), reason, kept);
        return new Result(false, reason, kept, clock.instant(), outcome);
    }

    private static class RefreshException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefreshException(String message) {
            super(message, null, false, false);
        }
    }

    private static final class StatusException extends RefreshException {
        private static final long serialVersionUID = 1L;

        StatusException(String message) {
            super(message);
        }
    }
}
