package dev.llmproxy.routes;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.cluster.SharedLimitsStatus;
import dev.llmproxy.openai.CatalogRefresher;
import dev.llmproxy.openai.UpstreamCatalog;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.Upstream;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.Clock;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * {@code GET /health} (the process is up; says which upstream it fronts, "demo upstream" plainly) and
 * {@code GET /ready} (503 while draining for shutdown, so a load balancer stops sending work).
 */
public final class HealthRoutes {
    private final Clock clock;
    private final ModelRouter upstreams;
    /** The replicas' shared limits, or null without {@code REDIS_URL}. */
    private final SharedLimits shared;
    private final boolean demo;
    private final BooleanSupplier draining;
    private final IntSupplier inFlight;

    public HealthRoutes(Clock clock, ModelRouter upstreams, boolean demo,
                        BooleanSupplier draining, IntSupplier inFlight, SharedLimits shared) {
        this.shared = shared;
        this.clock = clock;
        this.upstreams = upstreams;
        this.demo = demo;
        this.draining = draining;
        this.inFlight = inFlight;
    }

    public FullHttpResponse health(LocalRequest request) {
        ObjectNode body = Json.object();
        body.put("status", "ok");
        body.put("timestamp", clock.instant().toString());
        body.put("models", upstreams.combined().current().size());
        ObjectNode up = body.putObject("upstream");
        up.put("mode", demo ? "demo upstream" : "configured");
        up.put("url", upstreams.upstreams().get(0).display());
        if (shared != null) {
            SharedLimitsStatus status = shared.status();
            ObjectNode redis = body.putObject("redis");
            redis.put("up", status.redis().up());
            redis.put("since", String.valueOf(status.redis().since()));
            if (status.redis().lastError() != null) {
                redis.put("last_error", status.redis().lastError());
            }
            redis.put("failure_mode", status.failureMode().wireName());
            redis.put("replica", status.replicaId());
            redis.put("replicas", status.replicas());
        }
        ArrayNode all = body.putArray("upstreams");
        for (Upstream u : upstreams.upstreams()) {
            ObjectNode one = all.addObject();
            one.put("name", u.name());
            one.put("kind", u.kind().wireName());
            one.put("url", u.display());
            one.put("responses", u.spec().responses().wireName());
            UpstreamCatalog.Status list = u.catalog().status();
            Boolean reachable = list.reachable();
            if (reachable == null) {
                one.putNull("reachable");
            } else {
                one.put("reachable", reachable);
            }
            one.put("models", list.models());
            one.put("models_fixed", list.fixed());
            if (list.loadedAt() != null) {
                one.put("models_loaded_at", list.loadedAt().toString());
            }
            if (list.lastRefresh() != null && !list.lastRefresh().ok()) {
                one.put("last_refresh_error", list.lastRefresh().failure());
            }
            one.put("breaker", u.breaker().state(System.nanoTime()).name().toLowerCase(java.util.Locale.ROOT));
            Boolean keyValid = keyValid(u, list);
            if (keyValid == null) {
                one.putNull("key_valid");
            } else {
                one.put("key_valid", keyValid);
            }
            if (u.retired()) {
                one.put("retired", "GitHub Models was retired on 2026-07-30");
            }
        }
        return Responses.json(request.version(), HttpResponseStatus.OK, body);
    }

    /**
     * Whether the upstream took the proxy's key when its model list was last asked for: true when the list came
     * with the key, false on a 401 or 403, null when unknown (no key, a fixed list, or no answer yet).
     */
    private static Boolean keyValid(Upstream u, UpstreamCatalog.Status list) {
        CatalogRefresher.Result last = list.lastRefresh();
        if (u.apiKey().isEmpty() || last == null || u.catalog().refresher() == null
                || !u.catalog().refresher().sendsCredential()) {
            return null;
        }
        if (last.ok()) {
            return true;
        }
        String failure = last.failure() == null ? "" : last.failure();
        if (last.outcome() == CatalogRefresher.Outcome.HTTP_STATUS
                && (failure.contains("401") || failure.contains("403"))) {
            return false;
        }
        return null;
    }

    public FullHttpResponse ready(LocalRequest request) {
        boolean isDraining = draining.getAsBoolean();
        ObjectNode body = Json.object();
        body.put("ready", !isDraining);
        ObjectNode details = body.putObject("details");
        details.put("draining", isDraining);
        details.put("in_flight", inFlight.getAsInt());
        body.put("timestamp", clock.instant().toString());
        return Responses.json(request.version(),
                isDraining ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK, body);
    }
}
