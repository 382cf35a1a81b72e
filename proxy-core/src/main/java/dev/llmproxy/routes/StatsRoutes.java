package dev.llmproxy.routes;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.stats.History;
import dev.llmproxy.stats.StatsReport;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;

/**
 * {@code GET /v1/stats} (per-model usage, percentiles and windows: what the monitor polls) and
 * {@code GET|POST /v1/history} (each client's own history; the reference shared one list among all clients).
 */
public final class StatsRoutes {
    private final StatsReport report;
    private final History history;

    public StatsRoutes(StatsReport report, History history) {
        this.report = report;
        this.history = history;
    }

    public FullHttpResponse stats(LocalRequest request) {
        return Responses.json(request.version(), HttpResponseStatus.OK, report.build());
    }

    public FullHttpResponse history(LocalRequest request) {
        List<com.fasterxml.jackson.databind.JsonNode> entries;
        if (HttpMethod.POST.equals(request.head().method())) {
            try {
                entries = history.add(request.identity(), request.body());
            } catch (IllegalArgumentException e) {
                return Responses.error(request.version(), ProxyError.of(ErrorKind.INVALID_JSON, e.getMessage()));
            }
        } else {
            entries = history.get(request.identity());
        }
        ArrayNode body = Json.MAPPER.createArrayNode();
        body.addAll(entries);
        return Responses.json(request.version(), HttpResponseStatus.OK, body);
    }
}
