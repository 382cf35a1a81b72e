package dev.llmproxy.bench.exchange;

import dev.llmproxy.exchange.HopByHopHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * The header copy every proxied exchange does twice: the client's request headers to the upstream request
 * ({@link HopByHopHeaders#copyRequestHeaders}: hop-by-hop, {@code Connection}-named and credential headers dropped)
 * and the upstream's response headers to the client ({@link HopByHopHeaders#copyResponseHeaders}), on header sets the
 * size of what an OpenAI SDK sends and GitHub Models answers. The score is copies per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class HeaderFilteringBenchmark {
    private HttpHeaders sdkRequest;
    private HttpHeaders upstreamResponse;

    @Setup
    public void setUp() {
        sdkRequest = new DefaultHttpHeaders()
                .add("Host", "127.0.0.1:3010")
                .add("Accept", "application/json")
                .add("Content-Type", "application/json")
                .add("User-Agent", "OpenAI/Java 4.101.0")
                .add("X-Stainless-Lang", "java")
                .add("X-Stainless-Package-Version", "4.101.0")
                .add("X-Stainless-OS", "Linux")
                .add("X-Stainless-Arch", "x64")
                .add("X-Stainless-Runtime", "JRE")
                .add("X-Stainless-Runtime-Version", "17.0.15")
                .add("X-Stainless-Retry-Count", "0")
                .add("X-Stainless-Read-Timeout", "600")
                .add("Authorization", "Bearer proxy-client-key")
                .add("Connection", "keep-alive, x-trace")
                .add("X-Trace", "abc")
                .add("Keep-Alive", "timeout=5")
                .add("Content-Length", "182");
        upstreamResponse = new DefaultHttpHeaders()
                .add("Content-Type", "text/event-stream")
                .add("Transfer-Encoding", "chunked")
                .add("Connection", "keep-alive")
                .add("Cache-Control", "no-cache")
                .add("x-ratelimit-limit-requests", "15")
                .add("x-ratelimit-remaining-requests", "14")
                .add("x-ratelimit-limit-tokens", "64000")
                .add("x-ratelimit-remaining-tokens", "63800")
                .add("x-ratelimit-renewalperiod-requests", "60")
                .add("x-request-id", "2f0c7f3e-0c1b-4b53-9a3e-9f6f0b7a1f55")
                .add("apim-request-id", "5b3d1a7e-77e4-4f1a-8f2e-0d9b8c6a4e21")
                .add("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload")
                .add("Date", "Thu, 26 Nov 2026 07:00:00 GMT");
    }

    @Benchmark
    public HttpHeaders requestHeaders() {
        HttpHeaders out = new DefaultHttpHeaders();
        HopByHopHeaders.copyRequestHeaders(sdkRequest, out);
        return out;
    }

    @Benchmark
    public HttpHeaders responseHeaders() {
        HttpHeaders out = new DefaultHttpHeaders();
        HopByHopHeaders.copyResponseHeaders(upstreamResponse, out);
        return out;
    }
}
