package dev.llmproxy.routes;

import dev.llmproxy.client.ClientConnectionLimiter;
import dev.llmproxy.client.ClientQuota;
import dev.llmproxy.client.ClientQuotas;
import dev.llmproxy.upstream.FailoverReason;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.Upstream;
import io.prometheus.client.Collector;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;

import java.util.List;

/**
 * Per-upstream and per-client-key families, read from their counters at scrape time (nothing on the request path
 * but the counters themselves): {@code upstream_requests_total}, {@code upstream_errors_total},
 * {@code upstream_failovers_total}, {@code upstream_connections_open}, {@code upstream_connections_idle} by
 * {@code upstream}; {@code client_requests_total}, {@code client_tokens_total},
 * {@code client_rejected_total}, {@code client_in_flight} by {@code client}; and
 * {@code client_connections_rejected_total}. Label values come from the configuration only, so they stay bounded.
 */
public final class UpstreamsAndClientsCollector extends Collector {
    private final ModelRouter upstreams;
    private final ClientQuotas clients;
    private final ClientConnectionLimiter limiter;

    public UpstreamsAndClientsCollector(ModelRouter upstreams, ClientQuotas clients, ClientConnectionLimiter limiter) {
        this.upstreams = upstreams;
        this.clients = clients;
        this.limiter = limiter;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        List<String> upstream = List.of("upstream");
        CounterMetricFamily requests = new CounterMetricFamily("upstream_requests",
                "Requests that ended on each upstream", upstream);
        CounterMetricFamily errors = new CounterMetricFamily("upstream_errors",
                "Requests that ended on each upstream with a 5xx, a 429 or no response", upstream);
        CounterMetricFamily failovers = new CounterMetricFamily("upstream_failovers",
                "Requests that moved on from each upstream to the next target of their route", upstream);
        GaugeMetricFamily open = new GaugeMetricFamily("upstream_connections_open",
                "Connections open to each upstream, idle or in use", upstream);
        GaugeMetricFamily idle = new GaugeMetricFamily("upstream_connections_idle",
                "Connections to each upstream idle in its pool", upstream);
        for (Upstream u : upstreams.upstreams()) {
            List<String> name = List.of(u.name());
            requests.addMetric(name, u.counters().requests());
            errors.addMetric(name, u.counters().errors());
            failovers.addMetric(name, u.counters().failovers());
            open.addMetric(name, u.pool().openConnections());
            idle.addMetric(name, u.pool().idleConnections());
        }
        CounterMetricFamily byRoute = new CounterMetricFamily("failovers",
                "Requests of a route alias that moved on to its next target, by why", List.of("route", "reason"));
        for (String alias : upstreams.aliases().keySet()) {
            for (FailoverReason reason : FailoverReason.values()) {
                long n = upstreams.failovers(alias, reason);
                if (n > 0) {
                    byRoute.addMetric(List.of(alias, reason.label()), n);
                }
            }
        }
        List<String> client = List.of("client");
        CounterMetricFamily clientRequests = new CounterMetricFamily("client_requests",
                "Requests admitted by each client key's own limits", client);
        CounterMetricFamily clientTokens = new CounterMetricFamily("client_tokens",
                "Tokens (prompt + completion) used by each client key", client);
        CounterMetricFamily clientRejected = new CounterMetricFamily("client_rejected",
                "Requests refused by each client key's own limits or budget", client);
        GaugeMetricFamily clientInFlight = new GaugeMetricFamily("client_in_flight",
                "Requests of each client key in flight", client);
        long now = System.currentTimeMillis();
        for (ClientQuota q : clients.all()) {
            ClientQuota.Snapshot s = q.snapshot(now);
            List<String> name = List.of(s.name());
            clientRequests.addMetric(name, s.requestsTotal());
            clientTokens.addMetric(name, s.tokensTotal());
            clientRejected.addMetric(name, s.rejectedTotal());
            clientInFlight.addMetric(name, s.inFlight());
        }
        CounterMetricFamily connectionsRejected = new CounterMetricFamily("client_connections_rejected",
                "Client connections closed at accept because MAX_CONNECTIONS were open", limiter.rejectedTotal());
        return List.of(requests, errors, failovers, open, idle, byRoute, clientRequests, clientTokens, clientRejected,
                clientInFlight, connectionsRejected);
    }
}
