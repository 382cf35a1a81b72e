package dev.llmproxy.routes;

import dev.llmproxy.metrics.ProxyMetrics;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * {@code GET /metrics}: the Prometheus text exposition (format 0.0.4). The scrape runs on its own executor, never on
 * an event loop: it walks JVM management beans and briefly waits for latency recorders.
 */
public final class MetricsRoute implements LocalRoute {
    private final ProxyMetrics metrics;
    private final Executor scrapes;

    public MetricsRoute(ProxyMetrics metrics, Executor scrapes) {
        this.metrics = metrics;
        this.scrapes = scrapes;
    }

    @Override
    public FullHttpResponse respond(LocalRequest request) {
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(request.version(), HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, ProxyMetrics.CONTENT_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return response;
    }

    @Override
    public CompletionStage<FullHttpResponse> respondAsync(LocalRequest request) {
        return CompletableFuture.supplyAsync(() -> respond(request), scrapes);
    }
}
