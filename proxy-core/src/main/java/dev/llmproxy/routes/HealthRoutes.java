package dev.llmproxy.routes;

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
    private final IntSupplier modelCount;
    private final String upstream;
    private final boolean demo;
    private final BooleanSupplier draining;
    private final IntSupplier inFlight;

    public HealthRoutes(Clock clock, IntSupplier modelCount, String upstreamDisplay, boolean demo,
                        BooleanSupplier draining, IntSupplier inFlight) {
        this.clock = clock;
        this.modelCount = modelCount;
        this.upstream = upstreamDisplay;
        this.demo = demo;
        this.draining = draining;
        this.inFlight = inFlight;
    }

    public FullHttpResponse health(LocalRequest request) {
        ObjectNode body = Json.object();
        body.put("status", "ok");
        body.put("timestamp", clock.instant().toString());
        body.put("models", modelCount.getAsInt());
        ObjectNode up = body.putObject("upstream");
        up.put("mode", demo ? "demo upstream" : "configured");
        up.put("url", upstream);
        return Responses.json(request.version(), HttpResponseStatus.OK, body);
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
