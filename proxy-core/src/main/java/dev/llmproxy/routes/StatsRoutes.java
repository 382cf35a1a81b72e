package dev.llmproxy.routes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.client.ClientQuota;
import dev.llmproxy.client.ClientQuotas;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.Upstream;
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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * {@code GET /v1/stats} (per-model usage, percentiles and windows: what the monitor polls) and
 * {@code GET|POST /v1/history} (each client's own history; the reference shared one list among all clients).
 *
 * <p>Threading: the stats report is built on {@code work}, never on the event loop — it merges every model's
 * histograms under their lock and walks every client — and the caller writes it back on its own loop; a full
 * {@code work} queue answers 503 {@code server_busy}. History is small and answered on the loop.
 */
public final class StatsRoutes {
    private final StatsReport report;
    private final History history;
    private final ClientQuotas clients;
    private final ModelRouter upstreams;
    private final Executor work;

    /** The replicas' totals ({@code REDIS_URL}), or null. */
    private final ClusterTotals cluster;

    /**
     * @param work    where the stats report is built
     * @param cluster the replicas' totals ({@code REDIS_URL}), or null
     */
    public StatsRoutes(StatsReport report, History history, ClientQuotas clients, ModelRouter upstreams,
                       Executor work, ClusterTotals cluster) {
        this.cluster = cluster;
        this.report = report;
        this.history = history;
        this.clients = clients;
        this.upstreams = upstreams;
        this.work = work;
    }

    /** {@code GET /v1/stats}, built on {@code work}. */
    public LocalRoute stats() {
        return new LocalRoute() {
            @Override
            public FullHttpResponse respond(LocalRequest request) {
                return buildStats(request);
            }

            @Override
            public CompletionStage<FullHttpResponse> respondAsync(LocalRequest request) {
                return OffLoop.answer(request, () -> buildStats(request), work);
            }
        };
    }

    /** Per-model usage, then per upstream (requests, errors, failovers away) and per configured client key. */
    FullHttpResponse buildStats(LocalRequest request) {
        ObjectNode body = report.build();
        ArrayNode ups = body.putArray("upstreams");
        for (Upstream u : upstreams.upstreams()) {
            ObjectNode one = ups.addObject();
            one.put("name", u.name());
            one.put("kind", u.kind().wireName());
            one.put("requests", u.counters().requests());
            one.put("errors", u.counters().errors());
            one.put("failovers", u.counters().failovers());
        }
        ArrayNode cs = body.putArray("clients");
        long now = System.currentTimeMillis();
        for (ClientQuota q : clients.all()) {
            ClientQuota.Snapshot s = q.snapshot(now);
            ObjectNode one = cs.addObject();
            one.put("name", s.name());
            one.put("in_flight", s.inFlight());
            one.put("requests_today", s.requestsToday());
            one.put("tokens_this_month", s.tokensThisMonth());
            one.put("requests_total", s.requestsTotal());
            one.put("tokens_total", s.tokensTotal());
            one.put("rejected_total", s.rejectedTotal());
            ObjectNode limits = one.putObject("limits");
            limits.put("rpm", s.limits().rpm());
            limits.put("tpm", s.limits().tpm());
            limits.put("rpd", s.limits().rpd());
            limits.put("concurrency", s.limits().concurrency());
            limits.put("monthly_tokens", s.limits().monthlyTokens());
        }
        ObjectNode totals = cluster == null ? null : cluster.current();
        if (totals != null) {
            body.set("cluster", totals.deepCopy());
        }
        return Responses.json(request.version(), HttpResponseStatus.OK, body);
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
