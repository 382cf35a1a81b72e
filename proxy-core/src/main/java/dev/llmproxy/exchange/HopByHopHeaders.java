package dev.llmproxy.exchange;

import dev.llmproxy.netty.HeaderNameSet;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Which headers cross the proxy. Hop-by-hop headers (RFC 9110 §7.6.1) and every header named in {@code Connection}
 * stop at each leg. On the way up, the proxy also drops what it sets itself ({@code Host}, {@code Authorization},
 * framing), the client's credentials for the proxy, and browser context the upstream has no business seeing.
 * Everything else — {@code x-request-id}, {@code x-ratelimit-*}, {@code retry-after}, {@code Range},
 * {@code Content-Range}, {@code ETag} … — passes unchanged.
 */
public final class HopByHopHeaders {

    private static final HeaderNameSet HOP_BY_HOP = new HeaderNameSet(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade");

    private static final HeaderNameSet NOT_FORWARDED_UPSTREAM = new HeaderNameSet(
            // set by the proxy for the upstream leg
            "host", "authorization", "content-length", "expect", "accept-encoding",
            // the client's credentials for the proxy, and request-side controls the proxy never honours
            "x-proxy-key", "x-proxy-server-key", "x-openai-api-key", "x-proxy-api-key", "x-proxy-auth-mode",
            "x-openai-base-url", "api-key",
            // browser and network context that would identify the client to the provider
            "cookie", "origin", "referer", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
            "x-forwarded-port", "x-real-ip", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user",
            "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform");

    private HopByHopHeaders() {
    }

    /** Upstream response headers to the client: all end-to-end headers. */
    public static void copyResponseHeaders(HttpHeaders from, HttpHeaders to) {
        copy(from, to, null);
    }

    /** Upstream response headers to the client, only those named in {@code allowed}. */
    public static void copyAllowed(HttpHeaders from, HttpHeaders to, HeaderNameSet allowed) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = from.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            if (allowed.contains(header.getKey())) {
                to.add(header.getKey(), header.getValue());
            }
        }
    }

    /** Client request headers to the upstream: end-to-end headers minus what {@link #NOT_FORWARDED_UPSTREAM} lists. */
    public static void copyRequestHeaders(HttpHeaders from, HttpHeaders to) {
        copy(from, to, NOT_FORWARDED_UPSTREAM);
    }

    private static void copy(HttpHeaders from, HttpHeaders to, HeaderNameSet alsoDropped) {
        List<String> connectionNamed = connectionTokens(from);
        Iterator<Map.Entry<CharSequence, CharSequence>> it = from.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = header.getKey();
            if (HOP_BY_HOP.contains(name)
                    || (alsoDropped != null && alsoDropped.contains(name))
                    || (connectionNamed != null && containsIgnoreCase(connectionNamed, name))) {
                continue;
            }
            to.add(name, header.getValue());
        }
    }

    private static List<String> connectionTokens(HttpHeaders headers) {
        List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
        if (values.isEmpty()) {
            return null;
        }
        List<String> tokens = new ArrayList<>(2);
        for (String value : values) {
            for (String token : value.split(",")) {
                String t = token.trim();
                if (!t.isEmpty()) {
                    tokens.add(t);
                }
            }
        }
        return tokens;
    }

    private static boolean containsIgnoreCase(List<String> names, CharSequence name) {
        for (String n : names) {
            if (AsciiString.contentEqualsIgnoreCase(n, name)) {
                return true;
            }
        }
        return false;
    }
}
