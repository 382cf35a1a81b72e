package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;

/**
 * Renders the body of {@code GET /v1/models}: the OpenAI list shape, each model with its catalog facts, its token
 * limits and where each came from ({@link LimitSource}), and — for GitHub Models — the published limits of the
 * configured plan. Stateless; the catalog is never fetched here (upstream is not called).
 */
public final class ModelsResponse {
    /** The reference implementation's constant; OpenAI SDKs require the field, nothing reads its value. */
    static final long CREATED = 1677610602L;
    static final String DISCLAIMER = "Values are heuristic / approximate; real upstream provider limits may vary.";
    private static final long MILLIS_PER_DAY = 86_400_000L;

    private ModelsResponse() {
    }

    /**
     * @param plan the GitHub plan whose limits each model's {@code rate_limit} shows, or null for an upstream other
     *             than GitHub Models (no {@code rate_limit}, no {@code meta.plan})
     */
    public static ObjectNode render(ModelCatalog catalog, GitHubModelsPlan plan, Instant now) {
        // GitHub's daily quotas reset at 00:00 UTC.
        long millisToReset = MILLIS_PER_DAY - Math.floorMod(now.toEpochMilli(), MILLIS_PER_DAY);
        double hoursUntilReset = Math.round(millisToReset / 36_000.0) / 100.0;

        ObjectNode root = Json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (CatalogModel model : catalog.models()) {
            ObjectNode entry = data.addObject();
            entry.put("id", model.id());
            entry.put("object", "model");
            entry.put("created", CREATED);
            entry.put("owned_by", model.ownedBy());
            entry.put("name", model.name());
            entry.put("publisher", model.publisher());
            ObjectNode limits = entry.putObject("limits");
            limits.put("max_input_tokens", model.maxInputTokens());
            limits.put("max_output_tokens", model.maxOutputTokens());
            limits.put("input_source", model.limits().inputSource().wireName());
            limits.put("output_source", model.limits().outputSource().wireName());
            putStrings(entry, "capabilities", model.capabilities());
            putStrings(entry, "supported_input_modalities", model.inputModalities());
            putStrings(entry, "supported_output_modalities", model.outputModalities());
            putStrings(entry, "tags", model.tags());
            if (plan == null) {
                continue;
            }
            PlanLimits planLimits = PlanLimits.limitsFor(model, plan);
            ObjectNode rateLimit = entry.putObject("rate_limit");
            rateLimit.put("per_minute", planLimits.requestsPerMinute());
            rateLimit.put("per_day", planLimits.requestsPerDay());
            rateLimit.put("concurrent", planLimits.concurrentRequests());
            rateLimit.put("window_seconds", 60);
            rateLimit.put("tier", model.rateLimitTier());
            rateLimit.put("plan", plan.wireName());
            rateLimit.put("available", planLimits.available());
            rateLimit.put("hours_until_reset", hoursUntilReset);
            rateLimit.put("approximate", true);
        }
        ObjectNode meta = root.putObject("meta");
        meta.put("rate_limit_disclaimer", DISCLAIMER);
        if (plan != null) {
            meta.put("plan", plan.wireName());
        }
        return root;
    }

    private static void putStrings(ObjectNode parent, String key, List<String> values) {
        ArrayNode array = parent.putArray(key);
        values.forEach(array::add);
    }
}
