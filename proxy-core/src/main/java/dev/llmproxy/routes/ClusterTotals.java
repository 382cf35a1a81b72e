package dev.llmproxy.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.client.SharedClientPass;
import dev.llmproxy.cluster.PeriodCounts;
import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.openai.Json;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.Upstream;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntSupplier;

/**
 * The {@code cluster} part of {@code /v1/stats} with {@code REDIS_URL}: one row per live replica (what each wrote of
 * itself: requests and errors ended on its upstreams since it started, requests in flight) and their sum, and each
 * client key's requests today and tokens this month across every replica — the shared counters its limits are
 * checked against. Refreshed every few seconds by {@link #refresh} on an event loop (this replica writes its row, then
 * reads everyone's); {@code /v1/stats} shows the last refresh, so a stats request never waits on Redis.
 *
 * <p>Threading: {@link #refresh} on one event loop; {@link #current} from any.
 */
public final class ClusterTotals {

    private final SharedLimits shared;
    private final ModelRouter upstreams;
    private final List<String> clients;
    private final IntSupplier inFlight;
    private final long staleMillis;
    private volatile ObjectNode current;

    /**
     * @param staleMillis a replica whose row is older than this is left out (it stopped: crashed or left)
     */
    public ClusterTotals(SharedLimits shared, ModelRouter upstreams, List<String> clients, IntSupplier inFlight,
                         long staleMillis) {
        this.shared = shared;
        this.upstreams = upstreams;
        this.clients = List.copyOf(clients);
        this.inFlight = inFlight;
        this.staleMillis = staleMillis;
    }

    /** The last refresh's {@code cluster} object, or null before the first (or while Redis has not answered). */
    public ObjectNode current() {
        return current;
    }

    /** Writes this replica's row, then reads every replica's rows and the clients' shared counters. */
    public void refresh(EventExecutor loop) {
        long requests = 0;
        long errors = 0;
        for (Upstream u : upstreams.upstreams()) {
            requests += u.counters().requests();
            errors += u.counters().errors();
        }
        long now = System.currentTimeMillis();
        ObjectNode mine = Json.object();
        mine.put("updated", now);
        mine.put("requests", requests);
        mine.put("errors", errors);
        mine.put("in_flight", inFlight.getAsInt());
        shared.totals().publish(mine.toString()).addListener(published ->
                shared.totals().read(loop).addListener(f -> {
                    @SuppressWarnings("unchecked")
                    Map<String, String> rows = (Map<String, String>) f.getNow();
                    if (rows != null) {
                        readClients(loop, build(rows, System.currentTimeMillis()));
                    }
                }));
    }

    private ObjectNode build(Map<String, String> rows, long now) {
        ObjectNode cluster = Json.object();
        String self = shared.replicas().replicaId();
        cluster.put("replica", self);
        cluster.put("redis_up", shared.health().admitsCalls());
        ArrayNode replicas = cluster.putArray("replicas");
        long requests = 0;
        long errors = 0;
        long inFlightAll = 0;
        for (Map.Entry<String, String> e : new TreeMap<>(rows).entrySet()) {
            JsonNode row;
            try {
                row = Json.MAPPER.readTree(e.getValue());
            } catch (IOException bad) {
                continue; // not written by this version of the proxy
            }
            if (now - row.path("updated").asLong() > staleMillis) {
                continue;
            }
            ObjectNode one = replicas.addObject();
            one.put("replica", e.getKey());
            one.put("self", e.getKey().equals(self));
            one.put("requests", row.path("requests").asLong());
            one.put("errors", row.path("errors").asLong());
            one.put("in_flight", row.path("in_flight").asLong());
            requests += row.path("requests").asLong();
            errors += row.path("errors").asLong();
            inFlightAll += row.path("in_flight").asLong();
        }
        ObjectNode totals = cluster.putObject("totals");
        totals.put("replicas", replicas.size());
        totals.put("requests", requests);
        totals.put("errors", errors);
        totals.put("in_flight", inFlightAll);
        return cluster;
    }

    /** Adds each client key's shared totals, one read per key, then publishes the whole as {@link #current}. */
    private void readClients(EventExecutor loop, ObjectNode cluster) {
        ArrayNode list = cluster.putArray("clients");
        if (clients.isEmpty()) {
            current = cluster;
            return;
        }
        int[] pending = {clients.size() * 2};
        for (String name : clients) {
            ObjectNode one = list.addObject();
            one.put("name", name);
            Future<PeriodCounts> requests = shared.counters().read(loop, SharedClientPass.requestsCounter(name));
            Future<PeriodCounts> tokens = shared.counters().read(loop, SharedClientPass.tokensCounter(name));
            requests.addListener(f -> {
                PeriodCounts c = requests.getNow();
                if (c.available()) {
                    one.put("requests_today", c.day());
                }
                if (--pending[0] == 0) {
                    current = cluster;
                }
            });
            tokens.addListener(f -> {
                PeriodCounts c = tokens.getNow();
                if (c.available()) {
                    one.put("tokens_this_month", c.month());
                }
                if (--pending[0] == 0) {
                    current = cluster;
                }
            });
        }
    }
}
