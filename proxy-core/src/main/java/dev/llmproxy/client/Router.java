package dev.llmproxy.client;

import java.util.HashMap;
import java.util.Map;

/**
 * Maps a request path to a {@link Route}. Exact paths are one hash lookup; the template routes
 * ({@code /v1/models/{id}}, the UI's {@code /static/{path}} and {@code /webjars/{path}}) are prefix checks. Immutable and shared by all event loops.
 */
public final class Router {
    private static final String MODEL_PREFIX = "/v1/models/";
    private static final String RESPONSE_PREFIX = "/v1/responses/";
    private static final String UI_ASSET_PREFIX = "/static/";
    private static final String WEBJAR_PREFIX = "/webjars/";

    private final Map<String, Route> exact = new HashMap<>();
    private final boolean strict;

    public Router(boolean strictOpenAiApi) {
        this(strictOpenAiApi, "/metrics", true);
    }

    /**
     * @param metricsPath where {@link Route#METRICS} is served, or null when metrics are off
     * @param tts         serve {@link Route#TTS}
     */
    public Router(boolean strictOpenAiApi, String metricsPath, boolean tts) {
        this.strict = strictOpenAiApi;
        for (Route route : Route.values()) {
            if ((!strict || route.inStrictMode()) && !route.template().contains("{") && route != Route.METRICS
                    && (tts || route != Route.TTS)) {
                exact.put(route.template(), route);
            }
        }
        if (metricsPath != null) {
            exact.put(metricsPath, Route.METRICS);
        }
    }

    /** @param uri the request-target as received (query string allowed) */
    public RouteMatch match(String uri) {
        String path = path(uri);
        Route route = exact.get(path);
        if (route != null) {
            return new RouteMatch(route, null);
        }
        if (path.length() > 1 && path.endsWith("/")) {
            route = exact.get(path.substring(0, path.length() - 1));
            if (route != null) {
                return new RouteMatch(route, null);
            }
        }
        if (path.startsWith(RESPONSE_PREFIX) && path.length() > RESPONSE_PREFIX.length()) {
            return new RouteMatch(Route.RESPONSE_ITEM, path.substring(RESPONSE_PREFIX.length()));
        }
        if (path.startsWith(MODEL_PREFIX) && path.length() > MODEL_PREFIX.length()) {
            return new RouteMatch(Route.MODEL, path.substring(MODEL_PREFIX.length()));
        }
        if (!strict && path.startsWith(UI_ASSET_PREFIX) && path.length() > UI_ASSET_PREFIX.length()) {
            return new RouteMatch(Route.UI_ASSET, path.substring(UI_ASSET_PREFIX.length()));
        }
        if (!strict && path.startsWith(WEBJAR_PREFIX) && path.length() > WEBJAR_PREFIX.length()) {
            return new RouteMatch(Route.WEBJAR, path.substring(WEBJAR_PREFIX.length()));
        }
        return RouteMatch.NONE;
    }

    /** The query of a request-target including its {@code ?}, or "" when it has none; the fragment is dropped. */
    static String query(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return "";
        }
        int hash = uri.indexOf('#', q);
        return hash < 0 ? uri.substring(q) : uri.substring(q, hash);
    }

    /** The path of a request-target: no query, no fragment; an absolute-form target keeps only its path. */
    static String path(String uri) {
        int start = 0;
        if (!uri.startsWith("/")) {
            int scheme = uri.indexOf("://");
            if (scheme > 0) {
                int slash = uri.indexOf('/', scheme + 3);
                if (slash < 0) {
                    return "/";
                }
                start = slash;
            }
        }
        int end = uri.length();
        for (int i = start; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        return uri.substring(start, end);
    }
}
