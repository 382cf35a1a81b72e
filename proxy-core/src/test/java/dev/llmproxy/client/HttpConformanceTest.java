package dev.llmproxy.client;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.routes.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HttpConformance} on heads decoded by the client leg's own {@link io.netty.handler.codec.http.HttpServerCodec}
 * from raw bytes, so each case is what the proxy sees on the wire — including what Netty's decoder already refuses
 * (reported as a decoder failure) and what it lets through.
 */
class HttpConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /v1/models HTTP/1.1\r\nHost: proxy\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:3010\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: [::1]:3010\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: llm-proxy.internal.example\r\n\r\n",
            "GET /health HTTP/1.0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nTransfer-Encoding: Chunked\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Length: 2\r\n\r\n{}",
    })
    void passesAConformingRequest(String raw) {
        assertThat(check(raw)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/0.9"})
    void refusesAnotherVersionWith505AnsweredInHttp11(String version) {
        HttpConformance.Violation violation = check("GET /v1/models " + version + "\r\nHost: proxy\r\n\r\n");

        assertThat(violation.error().status()).isEqualTo(505);
        assertThat(violation.error().kind().code()).isEqualTo("http_version_not_supported");
        assertThat(violation.error().message()).contains(version);
        assertThat(violation.responseVersion()).isEqualTo(HttpVersion.HTTP_1_1);
    }

    @Test
    void refusesTheHttp2PrefaceWith505() {
        HttpConformance.Violation violation = check("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

        assertThat(violation.error().status()).isEqualTo(505);
    }

    @Test
    void writesThe505StatusLineAsHttp11NotTheClientsVersion() {
        EmbeddedChannel channel = new EmbeddedChannel(ClientChannelInitializer.newHttpCodec());
        try {
            channel.writeInbound(ascii("GET /v1/models HTTP/3.0\r\nHost: proxy\r\n\r\n"));
            HttpRequest head = channel.readInbound();
            HttpConformance.Violation violation = HttpConformance.check(head);
            ReferenceCountUtil.release(head);

            channel.writeOutbound(Responses.error(violation.responseVersion(), violation.error()));
            StringBuilder response = new StringBuilder();
            for (ByteBuf written; (written = channel.readOutbound()) != null; written.release()) {
                response.append(written.toString(StandardCharsets.US_ASCII));
            }

            assertThat(response.toString()).startsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n")
                    .contains("\"code\":\"http_version_not_supported\"");
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /v1/models HTTP/1.1\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: a, b\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: a b\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: a:80x\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: user@a\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: a/b\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: [::1\r\n\r\n",
            "GET /health HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    })
    void refusesAMissingRepeatedOrInvalidHostWith400(String raw) {
        HttpConformance.Violation violation = check(raw);

        assertThat(violation).isNotNull();
        assertThat(violation.error().kind()).isEqualTo(ErrorKind.BAD_HTTP_REQUEST);
        assertThat(violation.error().message()).contains("Host");
    }

    @Test
    void answersAnHttp10ClientInHttp10() {
        HttpConformance.Violation violation = check("GET /health HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n");

        assertThat(violation.responseVersion()).isEqualTo(HttpVersion.HTTP_1_0);
        assertThat(check("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").responseVersion())
                .isEqualTo(HttpVersion.HTTP_1_1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip, chunked", "deflate,chunked", "x-custom , chunked"})
    void refusesATransferCodingBeforeChunkedWith501(String codings) {
        HttpConformance.Violation violation = check("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\n"
                + "Transfer-Encoding: " + codings + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        assertThat(violation.error().status()).isEqualTo(501);
        assertThat(violation.error().kind().code()).isEqualTo("unsupported_transfer_encoding");
        assertThat(violation.error().message()).contains(codings.substring(0, codings.indexOf(',')).trim());
    }

    @Test
    void readsTransferCodingsAcrossRepeatedHeaderLines() {
        HttpConformance.Violation violation = check("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\n"
                + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

        assertThat(violation.error().status()).isEqualTo(501);
        assertThat(violation.error().message()).contains("gzip");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // RFC 9112 §6.3: chunked is not the final coding, so the body's length is unknown
            "Transfer-Encoding: chunked, gzip\r\n",
            "Transfer-Encoding: identity\r\n",
            "Transfer-Encoding: gzip\r\n",
            // RFC 9112 §6.1: chunked at most once
            "Transfer-Encoding: chunked, chunked\r\n",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            // RFC 9112 §6.3: both framings is a smuggling attempt, whichever comes first
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    })
    void refusesAmbiguousBodyFramingWith400(String headers) {
        HttpConformance.Violation violation = check("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\n" + headers
                + "\r\n5\r\nhello\r\n0\r\n\r\n");

        assertThat(violation.error().status()).isEqualTo(400);
        assertThat(violation.error().kind()).isEqualTo(ErrorKind.BAD_HTTP_REQUEST);
        assertThat(violation.responseVersion()).isEqualTo(HttpVersion.HTTP_1_1);
    }

    @Test
    void namesBothFramingsWhenContentLengthComesWithTransferEncoding() {
        assertThat(check("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
                .error().message()).contains("not both");
    }

    @Test
    void refusesTransferEncodingInHttp10With400() {
        HttpConformance.Violation violation = check("POST /v1/chat/completions HTTP/1.0\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

        assertThat(violation.error().status()).isEqualTo(400);
        assertThat(violation.error().message()).contains("HTTP/1.0");
    }

    @Test
    void answersAnOverlongRequestLineWith414AndOverlargeHeadersWith431() {
        HttpConformance.Violation line = check("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        HttpConformance.Violation headers = check("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(40_000)
                + "\r\n\r\n");

        assertThat(line.error().status()).isEqualTo(414);
        assertThat(line.error().kind().code()).isEqualTo("uri_too_long");
        assertThat(headers.error().status()).isEqualTo(431);
        assertThat(headers.error().kind().code()).isEqualTo("request_header_fields_too_large");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / FOO/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
            "GET / HTTP/1.1\nHost: a\n\n",
    })
    void refusesWhatTheDecoderCouldNotParseWith400(String raw) {
        HttpConformance.Violation violation = check(raw);

        assertThat(violation.error().kind()).isEqualTo(ErrorKind.BAD_HTTP_REQUEST);
        assertThat(violation.error().message()).startsWith("malformed HTTP request");
        assertThat(violation.responseVersion()).isEqualTo(HttpVersion.HTTP_1_1);
    }

    @Test
    void quotesClientTextEscapedAndShort() {
        // obs-text passes the decoder (RFC 9110 §5.5) but is no part of a host name
        HttpConformance.Violation violation = check("GET / HTTP/1.1\r\nHost: a\u00E9b" + "c".repeat(200) + "\r\n\r\n");

        assertThat(violation.error().message()).contains("a\\u00e9b").doesNotContain("\u00E9").hasSizeLessThan(200);
    }

    /**
     * The framing rules hold on their own, should a decoder let such a head through: these heads are built by hand
     * because Netty's decoder refuses them first.
     */
    @Test
    void refusesAmbiguousFramingEvenIfTheDecoderAcceptedIt() {
        HttpRequest both = head(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked", "Content-Length", "5");
        HttpRequest http10 = head(HttpVersion.HTTP_1_0, "Transfer-Encoding", "chunked");
        HttpRequest notLast = head(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked, gzip");
        HttpRequest twice = head(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked");
        HttpRequest empty = head(HttpVersion.HTTP_1_1, "Transfer-Encoding", ",");

        assertThat(HttpConformance.check(both).error().message()).contains("not both");
        assertThat(HttpConformance.check(http10).error().message()).contains("HTTP/1.0");
        assertThat(HttpConformance.check(notLast).error().message()).contains("must end with chunked");
        assertThat(HttpConformance.check(twice).error().message()).contains("more than once");
        assertThat(HttpConformance.check(empty).error().message()).contains("must end with chunked");
        assertThat(HttpConformance.check(head(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked"))).isNull();
    }

    // ---------------------------------------------------------------- helpers

    /** Decodes {@code raw} with the proxy's codec and checks the first request head. */
    private static HttpConformance.Violation check(String raw) {
        EmbeddedChannel channel = new EmbeddedChannel(ClientChannelInitializer.newHttpCodec());
        try {
            channel.writeInbound(ascii(raw));
            Object message = channel.readInbound();
            assertThat(message).as("a request head from: " + raw).isInstanceOf(HttpRequest.class);
            try {
                return HttpConformance.check((HttpRequest) message);
            } finally {
                ReferenceCountUtil.release(message);
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static HttpRequest head(HttpVersion version, String... headers) {
        HttpRequest head = new DefaultHttpRequest(version, HttpMethod.POST, "/v1/chat/completions");
        head.headers().set("Host", "proxy");
        for (int i = 0; i < headers.length; i += 2) {
            head.headers().add(headers[i], headers[i + 1]);
        }
        return head;
    }

    private static ByteBuf ascii(String raw) {
        return Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
    }
}
