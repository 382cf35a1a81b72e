package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;

/**
 * The demo's TTS engine, served at {@code GET|HEAD /?text=…}: decides the answer to one request — validation,
 * the validators ({@code ETag}, {@code Last-Modified}), conditional requests (RFC 9110 §13) and ranges (§14) — as
 * a status, headers and the byte range of {@link DemoWav} to stream. It writes nothing itself.
 *
 * <p>Preconditions in the RFC's order: {@code If-None-Match} (weak comparison; {@code *} matches) gives 304, else
 * {@code If-Modified-Since} not older than {@code Last-Modified} gives 304; then {@code Range}, for GET only (§14.2:
 * range handling is defined for GET alone, so HEAD answers as a 200 would), guarded by {@code If-Range}: the
 * current strong ETag or the exact {@code Last-Modified} date keeps the range, anything else (a weak or old tag,
 * another date) serves the whole file. {@code If-Match} and {@code If-Unmodified-Since} are not supported.
 *
 * <p>Threading: immutable; shared by every connection of one demo upstream.
 */
final class DemoTts {
    static final AsciiString AUDIO_WAV = AsciiString.cached("audio/wav");
    static final AsciiString CACHE_CONTROL = AsciiString.cached("public, max-age=3600");
    static final String ALLOW = "GET, HEAD, OPTIONS";
    /** How much of a client's {@code Range} value an error message repeats. */
    private static final int MAX_ECHOED_CHARS = 100;

    private final long lastModifiedSeconds;
    private final String lastModified;

    /** @param lastModified what every file reports as its {@code Last-Modified}: the demo's start, in practice */
    DemoTts(Instant lastModified) {
        this.lastModifiedSeconds = lastModified.getEpochSecond();
        this.lastModified = DateFormatter.format(Date.from(Instant.ofEpochSecond(lastModifiedSeconds)));
    }

    /** True for the engine's path: {@code /} with or without a query. */
    static boolean isTtsUri(String uri) {
        return uri.equals("/") || uri.startsWith("/?");
    }

    /**
     * The answer to a GET or HEAD of the engine's path.
     *
     * @throws DemoRequestException 400 for a query the engine would refuse
     */
    DemoTtsAnswer answer(HttpRequest request) {
        DemoTtsRequest tts = DemoTtsRequest.parse(request.uri());
        DemoWav wav = tts.wav();
        long length = wav.length();
        String etag = "\"tts-" + Long.toHexString(tts.fingerprint()) + "-" + Long.toHexString(length) + "\"";
        HttpHeaders headers = new DefaultHttpHeaders()
                .set(HttpHeaderNames.DATE, DateFormatter.format(new Date()))
                .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES)
                .set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.LAST_MODIFIED, lastModified)
                .set(HttpHeaderNames.CACHE_CONTROL, CACHE_CONTROL);
        HttpHeaders in = request.headers();

        if (notModified(in, etag)) {
            return new DemoTtsAnswer(HttpResponseStatus.NOT_MODIFIED, headers, wav, null, null);
        }
        headers.set(HttpHeaderNames.CONTENT_DISPOSITION, contentDisposition(tts.name()));
        DemoByteRange range = DemoByteRange.full(length);
        if (HttpMethod.GET.equals(request.method()) && ifRangeHolds(in.get(HttpHeaderNames.IF_RANGE), etag)) {
            range = DemoByteRange.select(in.get(HttpHeaderNames.RANGE), length);
        }
        switch (range.kind()) {
            case PARTIAL -> {
                headers.set(HttpHeaderNames.CONTENT_TYPE, AUDIO_WAV)
                        .set(HttpHeaderNames.CONTENT_LENGTH, range.length())
                        .set(HttpHeaderNames.CONTENT_RANGE,
                                "bytes " + range.first() + "-" + range.last() + "/" + length);
                return new DemoTtsAnswer(HttpResponseStatus.PARTIAL_CONTENT, headers, wav, range, null);
            }
            case UNSATISFIABLE -> {
                byte[] body = rangeNotSatisfiable(in.get(HttpHeaderNames.RANGE), length);
                headers.remove(HttpHeaderNames.CONTENT_DISPOSITION)
                        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                        .set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + length);
                return new DemoTtsAnswer(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, headers, wav, null, body);
            }
            default -> {
                headers.set(HttpHeaderNames.CONTENT_TYPE, AUDIO_WAV)
                        .set(HttpHeaderNames.CONTENT_LENGTH, length);
                return new DemoTtsAnswer(HttpResponseStatus.OK, headers, wav, range, null);
            }
        }
    }

    private boolean notModified(HttpHeaders in, String etag) {
        String ifNoneMatch = in.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            return matchesWeakly(ifNoneMatch, etag);
        }
        String ifModifiedSince = in.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (ifModifiedSince == null) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        return since != null && lastModifiedSeconds <= since.getTime() / 1000;
    }

    /** True when the {@code Range} may be honoured: no {@code If-Range}, or one naming the current file. */
    private boolean ifRangeHolds(String ifRange, String etag) {
        if (ifRange == null) {
            return true;
        }
        String value = ifRange.strip();
        if (value.startsWith("\"")) {
            return value.equals(etag); // strong comparison
        }
        if (value.startsWith("W/")) {
            return false; // a weak tag never matches strongly
        }
        Date date = DateFormatter.parseHttpDate(value);
        return date != null && date.getTime() / 1000 == lastModifiedSeconds;
    }

    /**
     * Whether an {@code If-None-Match} list names {@code etag}, ignoring {@code W/} (RFC 9110 §8.8.3.2). Parses the
     * tags themselves rather than splitting on commas: an entity tag may contain one.
     */
    static boolean matchesWeakly(String list, String etag) {
        if (list.strip().equals("*")) {
            return true;
        }
        int i = 0;
        int n = list.length();
        while (i < n) {
            char c = list.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
                continue;
            }
            if (list.startsWith("W/", i)) {
                i += 2;
            }
            if (i >= n || list.charAt(i) != '"') {
                return false; // malformed: match nothing
            }
            int close = list.indexOf('"', i + 1);
            if (close < 0) {
                return false;
            }
            if (list.regionMatches(i, etag, 0, etag.length()) && close + 1 - i == etag.length()) {
                return true;
            }
            i = close + 1;
        }
        return false;
    }

    /**
     * {@code inline; filename="<name>.wav"}, with characters a quoted ASCII string cannot carry replaced by
     * {@code _}, plus RFC 6266's {@code filename*} in UTF-8 when that changed anything (Ukrainian names, say).
     */
    static String contentDisposition(String name) {
        StringBuilder ascii = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '_');
        }
        String fallback = ascii + ".wav";
        String value = "inline; filename=\"" + fallback + "\"";
        if (!fallback.equals(name + ".wav")) {
            value += "; filename*=UTF-8''" + URLEncoder.encode(name + ".wav", StandardCharsets.UTF_8)
                    .replace("+", "%20");
        }
        return value;
    }

    private static byte[] rangeNotSatisfiable(String range, long length) {
        ObjectNode root = Json.object();
        ObjectNode error = root.putObject("error");
        String shown = range.length() > MAX_ECHOED_CHARS ? range.substring(0, MAX_ECHOED_CHARS) + "…" : range;
        error.put("message", "range not satisfiable: " + shown + " (expected: a range within the " + length
                + " bytes of the audio)");
        error.put("type", "invalid_request_error");
        error.put("param", "range");
        error.put("code", "range_not_satisfiable");
        return Json.bytes(root);
    }
}
