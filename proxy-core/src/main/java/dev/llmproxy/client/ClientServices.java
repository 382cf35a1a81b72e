package dev.llmproxy.client;

import dev.llmproxy.admission.Admission;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.routes.LocalRoute;
import dev.llmproxy.upstream.UpstreamPool;

import java.util.Map;

/**
 * What every client connection shares: wired once by {@code ProxyServer} and handed to each connection's handler.
 * All members are immutable or thread-safe.
 */
public record ClientServices(
        ProxyConfig config,
        Router router,
        ClientAuth auth,
        Admission admission,
        ModelCatalog catalog,
        UpstreamPool pool,
        Map<Route, LocalRoute> localRoutes,
        ClientConnections connections) {

    public ClientServices {
        localRoutes = Map.copyOf(localRoutes);
    }
}
