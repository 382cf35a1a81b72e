package dev.llmproxy.client;

import dev.llmproxy.config.TtsConfig;
import dev.llmproxy.netty.HeaderNameSet;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.QueryStringEncoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Checks a {@code GET|HEAD /tts?text=&voice=&scale=&name=} request and builds what goes to the TTS engine: always
 * its path {@code /} (the reference forwarded {@code /tts/../..} — a path traversal), a query rebuilt from the known
 * parameters only ({@code text}, {@code voice}, {@code scale}, {@code name}, and {@code seconds} for engines that take
 * a fixed duration) (so a {@code key} given for the proxy never leaves), and the request headers a media player
 * needs for caching and seeking.
 */
final class TtsRequests {
    /** Request headers passed to the engine: ranges, validators, content negotiation. */
    private static final String[] FORWARDED = {"Range", "If-Range", "If-None-Match", "If-Modified-Since", "Accept",
            "User-Agent"};
    /** Response headers passed back: what an audio element uses to play, seek and cache. */
    static final HeaderNameSet RESPONSE_HEADERS = new HeaderNameSet("content-type", "content-length", "content-range",
            "accept-ranges", "etag", "last-modified", "cache-control", "content-disposition", "vary", "date");
    private static final int MAX_NAME_CHARS = 200;

    /** The engine request, or the 400 to answer. */
    record Prepared(ProxyError error, String path, HttpHeaders headers) {
    }

    private TtsRequests() {
    }

    static Prepared prepare(HttpRequest head, TtsConfig config) {
        Map<String, List<String>> query = new QueryStringDecoder(head.uri(), StandardCharsets.UTF_8).parameters();
        String text = first(query, "text");
        if (text == null || text.isBlank()) {
            return failed("text is required", "text");
        }
        int chars = text.codePointCount(0, text.length());
        if (chars > config.maxTextChars()) {
            return failed("text has " + chars + " characters; at most " + config.maxTextChars() + " are allowed",
                    "text");
        }
        String voice = first(query, "voice");
        if (voice != null && !config.voices().contains(voice)) {
            return failed("voice must be one of " + String.join(", ", config.voices()), "voice");
        }
        String scale = first(query, "scale");
        if (scale != null && !validScale(scale)) {
            return failed("scale must be a number from 0.1 to 3.0", "scale");
        }
        String name = first(query, "name");
        if (name != null && name.length() > MAX_NAME_CHARS) {
            return failed("name is longer than " + MAX_NAME_CHARS + " characters", "name");
        }
        String seconds = first(query, "seconds");
        if (seconds != null && !validSeconds(seconds)) {
            return failed("seconds must be a number from 1 to 36000", "seconds");
        }
        QueryStringEncoder path = new QueryStringEncoder("/", StandardCharsets.UTF_8);
        path.addParam("text", text);
        if (voice != null) {
            path.addParam("voice", voice);
        }
        if (scale != null) {
            path.addParam("scale", scale);
        }
        if (name != null) {
            path.addParam("name", name);
        }
        if (seconds != null) {
            path.addParam("seconds", seconds); // a fixed duration, for engines that take one (the demo's does)
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String forwarded : FORWARDED) {
            String value = head.headers().get(forwarded);
            if (value != null) {
                headers.set(forwarded, value);
            }
        }
        if (!headers.contains(HttpHeaderNames.ACCEPT)) {
            headers.set(HttpHeaderNames.ACCEPT, "audio/wav, audio/mpeg, audio/*");
        }
        if (!headers.contains(HttpHeaderNames.USER_AGENT)) {
            headers.set(HttpHeaderNames.USER_AGENT, "llm-proxy");
        }
        return new Prepared(null, path.toString(), headers);
    }

    /** The {@code key} query parameter: how an {@code <audio src>}, which cannot send headers, presents a client key. */
    static String queryKey(String uri) {
        return first(new QueryStringDecoder(uri, StandardCharsets.UTF_8).parameters(), "key");
    }

    private static boolean validSeconds(String value) {
        try {
            double d = Double.parseDouble(value);
            return d >= 1 && d <= 36_000;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean validScale(String value) {
        try {
            double d = Double.parseDouble(value);
            return d >= 0.1 && d <= 3.0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static Prepared failed(String message, String param) {
        return new Prepared(ProxyError.of(ErrorKind.INVALID_PARAMETER, message, param), null, null);
    }
}
