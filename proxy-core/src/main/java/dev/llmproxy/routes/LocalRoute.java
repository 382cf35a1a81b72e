package dev.llmproxy.routes;

import io.netty.handler.codec.http.FullHttpResponse;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** An endpoint the proxy answers itself, on the event loop, without blocking. */
@FunctionalInterface
public interface LocalRoute {

    FullHttpResponse respond(LocalRequest request);

    /**
     * For routes whose work must not run on the event loop (a Prometheus scrape walks JVM beans and waits on
     * recorders): the answer may complete on another thread; the caller writes it on its own event loop. The default
     * answers at once.
     */
    default CompletionStage<FullHttpResponse> respondAsync(LocalRequest request) {
        return CompletableFuture.completedFuture(respond(request));
    }
}
