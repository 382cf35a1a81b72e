package dev.llmproxy.config;

import java.util.List;
import java.util.Optional;

/**
 * One client key of the {@code clients:} section: who it is, what it may call and how much. With any client
 * configured, keys not listed are refused. Immutable.
 *
 * @param name      {@code [a-z0-9-]+}, unique; the label in {@code /metrics} and {@code /v1/stats}
 * @param keyDigest the SHA-256 of the key the client sends
 * @param models    the model ids and aliases it may use; empty = all
 * @param limits    its own limits, on top of the upstreams'
 * @param overLimit what happens to a request over a limit
 */
public record ClientSpec(String name, ClientKeyDigest keyDigest, Optional<List<String>> models,
                         ClientLimits limits, OverLimit overLimit) {

    public ClientSpec {
        models = models.map(List::copyOf);
    }

    /** What the proxy does with a request over one of the client's limits. */
    public enum OverLimit implements WireName {
        /** Answer 429 ({@code client_rate_limit} or {@code client_budget_exhausted}) at once. */
        REJECT("reject"),
        /** Wait, bounded, for the limit to allow it. */
        QUEUE("queue");

        private final String wireName;

        OverLimit(String wireName) {
            this.wireName = wireName;
        }

        @Override
        public String wireName() {
            return wireName;
        }
    }
}
