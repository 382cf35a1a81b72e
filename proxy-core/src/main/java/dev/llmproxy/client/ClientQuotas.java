package dev.llmproxy.client;

import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.config.ClientSpec;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configured client keys' quotas, one per {@link ClientSpec}, built once; a bounded, fixed set; and, with
 * {@code REDIS_URL}, the admission by the limits the replicas share. Thread-safe.
 */
public final class ClientQuotas {
    private final Map<ClientSpec, ClientQuota> bySpec = new IdentityHashMap<>();
    private final List<ClientQuota> all = new ArrayList<>();
    private final SharedClientAdmission shared;

    public ClientQuotas(List<ClientSpec> clients, long nowNanos) {
        this(clients, nowNanos, null);
    }

    /** @param shared the replicas' shared limits, or null without {@code REDIS_URL} */
    public ClientQuotas(List<ClientSpec> clients, long nowNanos, SharedLimits shared) {
        this.shared = shared == null ? null : new SharedClientAdmission(shared);
        for (ClientSpec c : clients) {
            ClientQuota q = new ClientQuota(c, nowNanos);
            bySpec.put(c, q);
            all.add(q);
        }
    }

    /** The quota of a client {@link ClientAuth#identify} returned. */
    public ClientQuota of(ClientSpec client) {
        return bySpec.get(client);
    }

    /** The admission by the limits the replicas share, or null when each replica keeps its own. */
    public SharedClientAdmission shared() {
        return shared;
    }

    public List<ClientQuota> all() {
        return all;
    }
}
