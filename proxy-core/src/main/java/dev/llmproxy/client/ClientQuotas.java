package dev.llmproxy.client;

import dev.llmproxy.config.ClientSpec;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** The configured client keys' quotas, one per {@link ClientSpec}, built once; a bounded, fixed set. Thread-safe. */
public final class ClientQuotas {
    private final Map<ClientSpec, ClientQuota> bySpec = new IdentityHashMap<>();
    private final List<ClientQuota> all = new ArrayList<>();

    public ClientQuotas(List<ClientSpec> clients, long nowNanos) {
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

    public List<ClientQuota> all() {
        return all;
    }
}
