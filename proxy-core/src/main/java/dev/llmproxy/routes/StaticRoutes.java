package dev.llmproxy.routes;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * The web UI, served from the classpath: {@code /} redirects to {@code /ui}; {@code /ui} and {@code /monitor} are the
 * two pages of module {@code proxy-ui-static}; {@code /static/*} their scripts and styles; {@code /webjars/*} the
 * libraries they load (uPlot, marked, DOMPurify), so no request ever leaves for a CDN.
 *
 * <h2>Safety</h2>
 * A requested path is looked up only when every segment is made of letters, digits, {@code .}, {@code -} and
 * {@code _} and none is {@code .} or {@code ..}: no percent-escapes, backslashes, empty segments or traversal, so
 * only files under the two classpath roots can be named. Directories have no listing (a name that is not a file is
 * 404). Every answer carries {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer} and, for
 * pages, a {@code Content-Security-Policy} that allows only this origin (no inline script, no framing).
 *
 * <h2>Caching</h2>
 * Each file has a strong {@code ETag} (SHA-256 of its bytes); {@code If-None-Match} answers 304. Pages and
 * {@code /static/*} are {@code no-cache} (always revalidated, so a new release shows at once); WebJars, whose paths
 * carry their version, are {@code immutable} for a year.
 *
 * <p>Threading: files are read once, on {@code work} (a classpath read may block), then served from memory on the
 * event loop. Only files found are cached, and the set of files is the jar's, so the cache is bounded; a name that
 * names no file is looked up again each time (never remembered). When the {@code work} queue is full the answer is
 * 503 {@code server_busy} with {@code Retry-After}.
 */
public final class StaticRoutes {
    static final String PAGES_ROOT = "dev/llmproxy/ui/static/";
    static final String WEBJARS_ROOT = "META-INF/resources/webjars/";
    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none';"
            + " base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]*(/[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]*)*");
    private static final int MAX_PATH = 256;
    private static final String NO_CACHE = "no-cache";
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json; charset=utf-8"),
            Map.entry("map", "application/json; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("txt", "text/plain; charset=utf-8"));

    private record Asset(byte[] bytes, String type, String etag, String cacheControl) {
    }

    private final ClassLoader loader;
    private final Executor work;
    private final ConcurrentHashMap<String, Asset> cache = new ConcurrentHashMap<>();

    /** @param work where a file is read the first time it is asked for */
    public StaticRoutes(Executor work) {
        this(StaticRoutes.class.getClassLoader(), work);
    }

    StaticRoutes(ClassLoader loader, Executor work) {
        this.loader = loader;
        this.work = work;
    }

    /** {@code GET /}: 302 to {@code /ui}. */
    public FullHttpResponse redirectToUi(LocalRequest request) {
        FullHttpResponse response = new DefaultFullHttpResponse(request.version(), HttpResponseStatus.FOUND,
                Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.LOCATION, "/ui").setInt(HttpHeaderNames.CONTENT_LENGTH, 0)
                .set(HttpHeaderNames.CACHE_CONTROL, NO_CACHE);
        return response;
    }

    /** A page of the UI module, e.g. {@code ui.html}. */
    public LocalRoute page(String file) {
        return route(request -> PAGES_ROOT + file, NO_CACHE);
    }

    /** {@code /static/{path}}: the UI module's scripts and styles. */
    public LocalRoute uiAssets() {
        return route(request -> safe(request.pathArg()) ? PAGES_ROOT + request.pathArg() : null, NO_CACHE);
    }

    /** {@code /webjars/{name}/{version}/{path}}: the libraries, versioned so cached for good. */
    public LocalRoute webJars() {
        return route(request -> safe(request.pathArg()) ? WEBJARS_ROOT + request.pathArg() : null, IMMUTABLE);
    }

    /** Whether {@code path} names a file under a root and nothing else (see the class comment). */
    static boolean safe(String path) {
        if (path == null || path.isEmpty() || path.length() > MAX_PATH || !SAFE_PATH.matcher(path).matches()) {
            return false;
        }
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    private interface Resolver {
        /** The classpath resource a request names, or null when it names none. */
        String resource(LocalRequest request);
    }

    private LocalRoute route(Resolver resolver, String cacheControl) {
        return new LocalRoute() {
            @Override
            public FullHttpResponse respond(LocalRequest request) {
                String resource = resolver.resource(request);
                return answer(request, resource == null ? Optional.empty() : load(resource, cacheControl));
            }

            @Override
            public CompletionStage<FullHttpResponse> respondAsync(LocalRequest request) {
                String resource = resolver.resource(request);
                if (resource == null) {
                    return CompletableFuture.completedFuture(answer(request, Optional.empty()));
                }
                Asset cached = cache.get(resource);
                if (cached != null) {
                    return CompletableFuture.completedFuture(answer(request, Optional.of(cached)));
                }
                return OffLoop.answer(request, () -> answer(request, load(resource, cacheControl)), work);
            }
        };
    }

    /**
     * Only files found are kept: they are the jar's, so a bounded set. A miss is not remembered, or a client could
     * fill memory by asking for endless safe-looking names; it is looked up again (on {@code work}) each time.
     */
    private Optional<Asset> load(String resource, String cacheControl) {
        Asset cached = cache.get(resource);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Asset> found = read(resource, cacheControl);
        found.ifPresent(asset -> cache.putIfAbsent(resource, asset));
        return found;
    }

    /** How many files are held in memory; for tests. */
    int cachedFiles() {
        return cache.size();
    }

    private Optional<Asset> read(String resource, String cacheControl) {
        int dot = resource.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(resource.substring(dot + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            return Optional.empty(); // directories and unknown kinds of file are not served
        }
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            return Optional.of(new Asset(bytes, type, etag(bytes), cacheControl));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private static FullHttpResponse answer(LocalRequest request, Optional<Asset> found) {
        if (found.isEmpty()) {
            FullHttpResponse missing = Responses.error(request.version(), ProxyError.of(ErrorKind.NOT_FOUND,
                    "No such file: " + abbreviate(request.head().uri())));
            secure(missing.headers(), false);
            return missing;
        }
        Asset asset = found.get();
        String ifNoneMatch = request.head().headers().get(HttpHeaderNames.IF_NONE_MATCH);
        boolean notModified = ifNoneMatch != null && matches(ifNoneMatch, asset.etag());
        FullHttpResponse response = new DefaultFullHttpResponse(request.version(),
                notModified ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
                notModified ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(asset.bytes()));
        HttpHeaders headers = response.headers();
        headers.set(HttpHeaderNames.ETAG, asset.etag())
                .set(HttpHeaderNames.CACHE_CONTROL, asset.cacheControl());
        if (!notModified) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, asset.type())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, asset.bytes().length);
        }
        secure(headers, asset.type().startsWith("text/html"));
        return response;
    }

    private static void secure(HttpHeaders headers, boolean page) {
        headers.set("X-Content-Type-Options", "nosniff").set("Referrer-Policy", "no-referrer");
        if (page) {
            headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY).set("X-Frame-Options", "DENY");
        }
    }

    /** {@code If-None-Match}: a list of entity tags, or {@code *}; weak tags compare by their opaque part. */
    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.trim();
            if (tag.equals("*") || tag.equals(etag) || tag.startsWith("W/") && tag.substring(2).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
