package dev.llmproxy.client;

import dev.llmproxy.admission.Admission;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.metrics.RequestObserver;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.TokenCounter;
import dev.llmproxy.routes.LocalRoute;
import dev.llmproxy.upstream.UpstreamPool;

import java.util.Map;
import java.util.function.LongConsumer;

/**
 * What every client connection shares: wired once by {@code ProxyServer} and handed to each connection's handler.
 * All members are immutable or thread-safe. {@code observer} hears every finished request and {@code chunkGaps} every
 * pause between two pieces of a stream, both on the event loop that served them.
 */
public record ClientServices(
        ProxyConfig config,
        Router router,
        ClientAuth auth,
        Admission admission,
        ModelCatalog catalog,
        TokenCounter tokens,
        UpstreamPool pool,
        UpstreamPool ttsPool,
        Map<Route, LocalRoute> localRoutes,
        ClientConnections connections,
        RequestObserver observer,
        LongConsumer chunkGaps) {

    public ClientServices {
        localRoutes = Map.copyOf(localRoutes);
    }
}
