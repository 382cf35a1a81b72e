package dev.llmproxy.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.GitHubModelsPlan;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.ModelsResponse;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * {@code GET /v1/models} (the catalog, never the upstream) and {@code GET /v1/models/{id}} (one model, as the OpenAI
 * SDKs' {@code models.retrieve} expects; short names resolve like in chat requests).
 */
public final class ModelRoutes {
    private final ModelCatalog catalog;
    private final GitHubModelsPlan plan;
    private final Clock clock;

    public ModelRoutes(ModelCatalog catalog, GitHubModelsPlan plan, Clock clock) {
        this.catalog = catalog;
        this.plan = plan;
        this.clock = clock;
    }

    public FullHttpResponse list(HttpRequest request, String unused) {
        return Responses.json(request.protocolVersion(), HttpResponseStatus.OK,
                ModelsResponse.render(catalog, plan, clock.instant()));
    }

    public FullHttpResponse retrieve(HttpRequest request, String rawId) {
        String id = QueryStringDecoder.decodeComponent(rawId, StandardCharsets.UTF_8);
        String resolved = catalog.resolve(id);
        ObjectNode all = ModelsResponse.render(catalog, plan, clock.instant());
        for (JsonNode model : all.path("data")) {
            if (model.path("id").asText().equals(resolved)) {
                return Responses.json(request.protocolVersion(), HttpResponseStatus.OK, model);
            }
        }
        return Responses.error(request.protocolVersion(), ProxyError.of(ErrorKind.MODEL_NOT_FOUND,
                "The model '" + id + "' does not exist; call /v1/models to list available ids"));
    }
}
