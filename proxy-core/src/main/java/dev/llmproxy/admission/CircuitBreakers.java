package dev.llmproxy.admission;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One {@link CircuitBreaker} per known model id, plus one shared breaker for every id outside the catalog, so the
 * number of breakers is fixed when this is built however many distinct ids clients send. Built once; immutable, and
 * so safe from any thread without synchronisation.
 */
public final class CircuitBreakers {

    /** The name under which ids outside the catalog are reported, as in metric labels. */
    public static final String OTHER = "other";

    private final Map<String, CircuitBreaker> byModel;
    private final CircuitBreaker other;

    public CircuitBreakers(Set<String> knownIds, int threshold, Duration openFor, NanoClock clock) {
        Map<String, CircuitBreaker> breakers = new HashMap<>();
        for (String id : knownIds) {
            breakers.put(id, new CircuitBreaker(threshold, openFor, clock));
        }
        this.byModel = Map.copyOf(breakers);
        this.other = new CircuitBreaker(threshold, openFor, clock);
    }

    /** The breaker of a catalog model (as resolved to its catalog id), or the shared one for any other id. */
    public CircuitBreaker forModel(String modelId) {
        CircuitBreaker breaker = modelId == null ? null : byModel.get(modelId);
        return breaker != null ? breaker : other;
    }

    /** The shared breaker for ids outside the catalog. */
    public CircuitBreaker other() {
        return other;
    }

    /** The known ids' breakers (without {@link #other()}), for metrics and status pages. */
    public Map<String, CircuitBreaker> byModel() {
        return byModel;
    }

    /** Breakers held: the known ids plus the shared one. */
    public int size() {
        return byModel.size() + 1;
    }
}
