package dev.llmproxy.client;

import dev.llmproxy.admission.Admission;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.metrics.RequestObserver;
import dev.llmproxy.openai.GitHubModelsPlan;
import dev.llmproxy.openai.LiveCatalog;
import dev.llmproxy.openai.ModelAdvisor;
import dev.llmproxy.openai.PromptCheck;
import dev.llmproxy.openai.TokenCounter;
import dev.llmproxy.routes.LocalRoute;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.UpstreamPool;

import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * What every client connection shares: wired once by {@code ProxyServer} and handed to each connection's handler.
 * All members are immutable or thread-safe. {@code upstreams} resolves a model to the upstreams that may serve it;
 * {@code catalog} is every upstream's models in one list (what the model tools read); {@code shared} is the
 * replicas' shared limits, or null without {@code REDIS_URL}. {@code promptCheck} is null when the context pre-check is off; {@code plan}
 * is the GitHub plan whose caps and availability apply (null for upstreams other than GitHub Models); {@code work}
 * runs CPU work (tokenizing large prompts) off the event loops. {@code observer} hears every finished request and {@code chunkGaps} every
 * pause between two pieces of a stream, both on the event loop that served them.
 */
public record ClientServices(
        ProxyConfig config,
        Router router,
        ClientAuth auth,
        ClientQuotas clientQuotas,
        Admission admission,
        ModelRouter upstreams,
        LiveCatalog catalog,
        ModelAdvisor advisor,
        PromptCheck promptCheck,
        GitHubModelsPlan plan,
        Executor work,
        TokenCounter tokens,
        UpstreamPool ttsPool,
        RequestBodyDecoder bodyDecoder,
        SharedLimits shared,
        Map<Route, LocalRoute> localRoutes,
        ClientConnections connections,
        RequestObserver observer,
        LongConsumer chunkGaps) {

    public ClientServices {
        localRoutes = Map.copyOf(localRoutes);
    }
}
