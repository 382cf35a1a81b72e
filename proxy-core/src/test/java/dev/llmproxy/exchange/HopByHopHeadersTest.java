package dev.llmproxy.exchange;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HopByHopHeadersTest {

    @Test
    void responseKeepsEndToEndHeadersAndDropsHopByHopOnes() {
        HttpHeaders up = new DefaultHttpHeaders()
                .add("Content-Type", "text/event-stream")
                .add("x-request-id", "abc")
                .add("x-ratelimit-remaining-requests", "9")
                .add("retry-after", "7")
                .add("ETag", "\"v1\"")
                .add("Content-Range", "bytes 0-9/100")
                .add("Connection", "keep-alive, X-Secret-Hop")
                .add("X-Secret-Hop", "1")
                .add("Keep-Alive", "timeout=5")
                .add("Transfer-Encoding", "chunked")
                .add("Upgrade", "h2c")
                .add("Trailer", "x")
                .add("Proxy-Authenticate", "Basic");
        HttpHeaders out = new DefaultHttpHeaders();
        HopByHopHeaders.copyResponseHeaders(up, out);
        assertThat(out.names()).containsExactlyInAnyOrder("Content-Type", "x-request-id",
                "x-ratelimit-remaining-requests", "retry-after", "ETag", "Content-Range");
    }

    @Test
    void requestDropsCredentialsHostFramingAndClientContext() {
        HttpHeaders client = new DefaultHttpHeaders()
                .add("Host", "proxy:3010")
                .add("Authorization", "Bearer client")
                .add("X-Proxy-Key", "secret")
                .add("X-OpenAI-Api-Key", "own")
                .add("X-Proxy-Auth-Mode", "request")
                .add("X-OpenAI-Base-Url", "http://evil")
                .add("Cookie", "s=1")
                .add("X-Forwarded-For", "10.0.0.1")
                .add("Content-Length", "10")
                .add("Accept-Encoding", "gzip")
                .add("Expect", "100-continue")
                .add("TE", "trailers")
                .add("User-Agent", "OpenAI/Java 4.1")
                .add("OpenAI-Organization", "org")
                .add("x-stainless-lang", "java")
                .add("Accept", "application/json");
        HttpHeaders out = new DefaultHttpHeaders();
        HopByHopHeaders.copyRequestHeaders(client, out);
        assertThat(out.names()).containsExactlyInAnyOrder("User-Agent", "OpenAI-Organization", "x-stainless-lang",
                "Accept");
    }

    @Test
    void keepsRepeatedHeaders() {
        HttpHeaders up = new DefaultHttpHeaders().add("Set-Cookie", "a=1").add("Set-Cookie", "b=2");
        HttpHeaders out = new DefaultHttpHeaders();
        HopByHopHeaders.copyResponseHeaders(up, out);
        assertThat(out.getAll("set-cookie")).containsExactly("a=1", "b=2");
    }
}
