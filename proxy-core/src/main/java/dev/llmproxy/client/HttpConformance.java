package dev.llmproxy.client;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;

import java.util.Iterator;

/**
 * The message-framing rules of RFC 9110 and RFC 9112 that a request head must meet before the proxy acts on it, as a
 * pure check of the head {@code HttpServerCodec} decoded: what Netty's decoder already refused (reported as a decoder
 * failure) is mapped to its status here, and what it lets through — a missing or repeated {@code Host}, a version
 * other than 1.0 and 1.1, a transfer coding other than {@code chunked} — is refused here.
 *
 * <p>After any violation the connection closes: where one request's framing cannot be trusted, the bytes after it
 * cannot be read as the next request (request smuggling). Stateless; safe from any thread.
 */
public final class HttpConformance {
    private static final int MAX_QUOTED_CHARS = 80;

    /**
     * A request the proxy refuses.
     *
     * @param error           the status and envelope to answer
     * @param responseVersion the version of the response line: never the client's own when it is not 1.0 or 1.1
     */
    public record Violation(ProxyError error, HttpVersion responseVersion) {
    }

    private HttpConformance() {
    }

    /** Null when the head may be served; else the answer, after which the connection closes. */
    public static Violation check(HttpRequest head) {
        DecoderResult decoded = head.decoderResult();
        if (decoded.isFailure()) {
            return refuse(malformed(decoded.cause()), HttpVersion.HTTP_1_1);
        }
        HttpVersion version = head.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return refuse(ProxyError.of(ErrorKind.HTTP_VERSION_NOT_SUPPORTED, "HTTP version "
                    + PrintableText.of(version.text(), MAX_QUOTED_CHARS) + " is not supported; use HTTP/1.1"),
                    HttpVersion.HTTP_1_1);
        }
        HttpVersion answerIn = responseVersion(head);
        ProxyError error = checkHost(head.headers(), version);
        if (error == null) {
            error = checkTransferEncoding(head.headers(), version);
        }
        return error == null ? null : refuse(error, answerIn);
    }

    /**
     * The version to answer {@code head} in: HTTP/1.0 to an HTTP/1.0 request, HTTP/1.1 to anything else (RFC 9110
     * §6.2: the highest version the server conforms to, within the client's major version).
     */
    public static HttpVersion responseVersion(HttpRequest head) {
        return head.decoderResult().isSuccess() && HttpVersion.HTTP_1_0.equals(head.protocolVersion())
                ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    private static Violation refuse(ProxyError error, HttpVersion version) {
        return new Violation(error, version);
    }

    /** What Netty's decoder refused, with the status RFC 9110 gives it. */
    private static ProxyError malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return ProxyError.of(ErrorKind.URI_TOO_LONG, "the request line is longer than the proxy accepts");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return ProxyError.of(ErrorKind.HEADERS_TOO_LARGE, "the request header fields are larger than the proxy"
                    + " accepts");
        }
        if (cause instanceof ContentLengthNotAllowedException) {
            return bothFramings();
        }
        if (cause instanceof TransferEncodingNotAllowedException) {
            return transferEncodingInHttp10();
        }
        String reason = cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage();
        return ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "malformed HTTP request"
                + PrintableText.of(reason, MAX_QUOTED_CHARS));
    }

    /** RFC 9112 §3.2: exactly one Host in HTTP/1.1 (at most one in 1.0), with a valid authority as its value. */
    private static ProxyError checkHost(HttpHeaders headers, HttpVersion version) {
        Iterator<String> hosts = headers.valueStringIterator(HttpHeaderNames.HOST);
        if (!hosts.hasNext()) {
            return version.minorVersion() == 0 ? null
                    : ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "an HTTP/1.1 request needs a Host header");
        }
        String host = hosts.next();
        if (hosts.hasNext()) {
            return ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "a request has one Host header, not several");
        }
        if (!isAuthority(host)) {
            return ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "Host: " + PrintableText.of(host, MAX_QUOTED_CHARS)
                    + " (expected: one host name or address, with an optional port)");
        }
        return null;
    }

    /**
     * RFC 9112 §6.1 and §6.3: in HTTP/1.1 only, never beside Content-Length, {@code chunked} last and once; any coding
     * before it is one the proxy does not implement (501).
     */
    private static ProxyError checkTransferEncoding(HttpHeaders headers, HttpVersion version) {
        if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return null;
        }
        if (version.minorVersion() == 0) {
            return transferEncodingInHttp10();
        }
        if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return bothFramings();
        }
        String last = null;
        String other = null;
        int chunked = 0;
        for (String line : headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)) { // in the order they arrived
            int length = line.length();
            for (int start = 0; start <= length; ) {
                int comma = line.indexOf(',', start);
                int end = comma < 0 ? length : comma;
                String coding = line.substring(start, end).trim();
                start = end + 1;
                if (coding.isEmpty()) {
                    continue; // an empty list element (RFC 9110 §5.6.1)
                }
                last = coding;
                if (coding.equalsIgnoreCase("chunked")) {
                    chunked++;
                } else if (other == null) {
                    other = coding;
                }
            }
        }
        if (last == null || !last.equalsIgnoreCase("chunked")) {
            return ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "Transfer-Encoding must end with chunked, or the body's"
                    + " length is unknown (RFC 9112 §6.3)");
        }
        if (chunked > 1) {
            return ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "Transfer-Encoding applies chunked more than once");
        }
        if (other != null) {
            return ProxyError.of(ErrorKind.UNSUPPORTED_TRANSFER_ENCODING, "Transfer-Encoding "
                    + PrintableText.of(other, MAX_QUOTED_CHARS) + " is not supported; send the body chunked or with"
                    + " Content-Length (compress it with Content-Encoding instead)");
        }
        return null;
    }

    private static ProxyError bothFramings() {
        return ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "a request has Content-Length or Transfer-Encoding, not both"
                + " (RFC 9112 §6.3)");
    }

    private static ProxyError transferEncodingInHttp10() {
        return ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "Transfer-Encoding is not defined in HTTP/1.0; send"
                + " Content-Length (RFC 9112 §6.1)");
    }

    /**
     * RFC 9110 §7.2: {@code uri-host [ ":" port ]}. Accepts a name or IPv4 address, or an IPv6 literal in brackets, and
     * a port of digits; an empty value (allowed for an empty authority) passes. Refuses whitespace, controls, commas
     * (two hosts folded into one line) and URI delimiters.
     */
    static boolean isAuthority(String host) {
        int length = host.length();
        int hostEnd = length;
        int i = 0;
        if (length > 0 && host.charAt(0) == '[') {
            int close = host.indexOf(']');
            if (close < 0) {
                return false;
            }
            for (i = 1; i < close; i++) {
                char c = host.charAt(i);
                if (!(isHex(c) || c == ':' || c == '.' || c == 'v' || c == 'V')) {
                    return false;
                }
            }
            i = close + 1;
            if (i < length && host.charAt(i) != ':') {
                return false;
            }
            hostEnd = i;
        } else {
            int colon = host.indexOf(':');
            hostEnd = colon < 0 ? length : colon;
            for (; i < hostEnd; i++) {
                if (!isRegNameChar(host.charAt(i))) {
                    return false;
                }
            }
        }
        if (hostEnd < length) { // ":" port
            for (i = hostEnd + 1; i < length; i++) {
                char c = host.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** RFC 3986 reg-name: unreserved, pct-encoded and sub-delims, except ',' (see {@link #isAuthority}). */
    private static boolean isRegNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~%!$&'()*+;=".indexOf(c) >= 0;
    }
}
