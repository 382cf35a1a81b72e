package dev.llmproxy.routes;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.llmproxy.upstream.Hop;
import dev.llmproxy.upstream.ModelRouter;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.admission.Admission;
import dev.llmproxy.admission.DailyUsage;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.GitHubModelsPlan;
import dev.llmproxy.openai.LiveCatalog;
import dev.llmproxy.openai.ModelsResponse;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * {@code GET /v1/models} (the catalog, never the upstream) and {@code GET /v1/models/{id}} (one model, as the OpenAI
 * SDKs' {@code models.retrieve} expects; short names resolve like in chat requests).
 */
public final class ModelRoutes {
    private final ModelRouter upstreams;
    private final LiveCatalog catalog;
    private final GitHubModelsPlan plan;
    private final Admission admission;
    private final Clock clock;

    public ModelRoutes(ModelRouter upstreams, GitHubModelsPlan plan, Admission admission, Clock clock) {
        this.upstreams = upstreams;
        this.catalog = upstreams.combined();
        this.plan = plan;
        this.admission = admission;
        this.clock = clock;
    }

    public FullHttpResponse list(LocalRequest request) {
        return Responses.json(request.version(), HttpResponseStatus.OK, render());
    }

    /**
     * The catalog with each model's live bookkeeping added to its {@code rate_limit} block, as the reference showed
     * it: today's {@code daily_requests}/{@code daily_errors} and, once the model has upstream history, the adaptive
     * guess ({@code adaptive_guess}, {@code adaptive_hard_cap}, {@code adaptive_last429_at}, {@code adaptive_updated_at}).
     */
    private ObjectNode render() {
        ObjectNode all = ModelsResponse.render(catalog.current(), plan, clock.instant());
        ArrayNode data = (ArrayNode) all.path("data");
        for (JsonNode model : data) {
            String id = model.path("id").asText();
            upstreams.owner(id).ifPresent(u -> ((ObjectNode) model).put("upstream", u.name())
                    .put("responses", u.spec().responses().wireName()));
            JsonNode block = model.path("rate_limit");
            if (block instanceof ObjectNode rateLimit) {
                DailyUsage.Counts today = admission.dailyCounts(id);
                rateLimit.put("daily_requests", today.count() + today.errors());
                rateLimit.put("daily_errors", today.errors());
                admission.observed(id).ifPresent(o -> {
                    rateLimit.put("adaptive_guess", o.guess());
                    rateLimit.put("adaptive_hard_cap", o.hardCap());
                    rateLimit.put("adaptive_last429_at", o.last429AtEpochMillis());
                    rateLimit.put("adaptive_updated_at", o.updatedAtEpochMillis());
                });
            }
        }
        for (Map.Entry<String, List<Hop>> alias : upstreams.aliases().entrySet()) {
            ObjectNode route = data.addObject();
            route.put("id", alias.getKey());
            route.put("object", "model");
            route.put("created", 0);
            route.put("owned_by", "llm-proxy");
            route.put("upstream", "route");
            ArrayNode targets = route.putArray("targets");
            for (Hop hop : alias.getValue()) {
                targets.add(hop.toString());
            }
        }
        return all;
    }

    public FullHttpResponse retrieve(LocalRequest request) {
        String id;
        try {
            id = QueryStringDecoder.decodeComponent(request.pathArg(), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            id = request.pathArg(); // a broken %-escape names no model
        }
        List<Hop> hops = upstreams.peek(id);
        String resolved = upstreams.aliases().containsKey(id) ? id
                : hops.size() == 1 && upstreams.owner(hops.get(0).model()).isPresent() ? hops.get(0).model() : id;
        for (JsonNode model : render().path("data")) {
            if (model.path("id").asText().equals(resolved)) {
                return Responses.json(request.version(), HttpResponseStatus.OK, model);
            }
        }
        return Responses.error(request.version(), ProxyError.of(ErrorKind.MODEL_NOT_FOUND,
                "The model '" + id + "' does not exist; call /v1/models to list available ids"));
    }
}
