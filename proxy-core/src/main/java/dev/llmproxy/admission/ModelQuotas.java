package dev.llmproxy.admission;

import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.GitHubModelsPlan;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.PlanLimits;
import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Per catalog model: its GitHub plan limits, a pacer that keeps requests under the plan's per-minute quota, and a
 * concurrency gate at the plan's concurrent-request limit (both only when quota pacing is on). The gate exists for
 * every catalog model even without pacing, unbounded, so an upstream {@code UserConcurrentRequests} 429 can still
 * lower it for a while. Entries sit at their ids' {@link ModelHandle} indexes (ids matched ignoring case); other
 * models have none. Immutable table of thread-safe parts, built once.
 */
final class ModelQuotas {
    /** A gate limit that never binds: "no concurrency limit known". */
    static final int UNBOUNDED = Integer.MAX_VALUE / 2;

    record Entry(String id, PlanLimits limits, SlidingWindowLimiter pacer, ConcurrencyGate gate, int planConcurrency) {
    }

    private final ModelTable<Entry> entries;

    ModelQuotas(ModelCatalog catalog, ModelIndex models, GitHubModelsPlan plan, boolean pacing, QueueBudget budget,
                NanoClock clock) {
        Map<String, CatalogModel> byId = new HashMap<>();
        for (CatalogModel model : catalog.models()) {
            byId.put(model.id(), model);
        }
        this.entries = new ModelTable<>(models, catalog.models().stream().map(CatalogModel::id).toList(), id -> {
            CatalogModel model = byId.get(id);
            PlanLimits limits = PlanLimits.limitsFor(model, plan);
            Integer rpm = limits.requestsPerMinute();
            SlidingWindowLimiter pacer = pacing && rpm != null && rpm > 0
                    ? new SlidingWindowLimiter(rpm, Duration.ofMinutes(1), clock) : null;
            Integer concurrent = limits.concurrentRequests();
            int planConcurrency = pacing && concurrent != null && concurrent > 0 ? concurrent : UNBOUNDED;
            ConcurrencyGate gate = new ConcurrencyGate("model:" + model.id(), planConcurrency, budget, clock);
            return new Entry(model.id(), limits, pacer, gate, planConcurrency);
        }, null);
    }

    /** The entry of a resolved model, or null for models outside the catalog. */
    Entry find(ModelHandle model) {
        return entries.at(model);
    }

    /** The entry of a catalog id given as text (reports), or null for ids outside the catalog. */
    Entry find(String model) {
        return model == null ? null : entries.of(model);
    }
}
