package dev.llmproxy.openai;

import java.util.Locale;
import java.util.Map;

import static dev.llmproxy.openai.GitHubModelsPlan.BUSINESS;
import static dev.llmproxy.openai.GitHubModelsPlan.ENTERPRISE;
import static dev.llmproxy.openai.GitHubModelsPlan.FREE;
import static dev.llmproxy.openai.GitHubModelsPlan.PRO;

/**
 * GitHub Models' published free-usage limits for one model under one Copilot plan, and the table they come from
 * ({@code github-models-rate-limits.md}, taken from GitHub's "Prototyping with AI models" page). Immutable.
 *
 * <p>A null number means the table does not state it (token limits of the custom-tier models, concurrency of
 * Grok): unknown, never guessed. GitHub may change these limits without notice, so they are advice for clients and
 * defaults for admission, not a promise.
 *
 * @param requestsPerMinute         per model, per user
 * @param requestsPerDay            per model, per user
 * @param concurrentRequests        in flight at once
 * @param maxInputTokensPerRequest  the plan's cap, often far below the model's context window
 * @param maxOutputTokensPerRequest the plan's cap on output tokens
 * @param available                 false where the table says "n/a": the plan cannot use the model at all
 */
public record PlanLimits(
        Integer requestsPerMinute,
        Integer requestsPerDay,
        Integer concurrentRequests,
        Integer maxInputTokensPerRequest,
        Integer maxOutputTokensPerRequest,
        boolean available) {

    /** "n/a" in the table. */
    public static final PlanLimits NOT_AVAILABLE = new PlanLimits(null, null, null, null, null, false);
    /** A model the table has no row for (a tier or custom id that appeared after the table was written). */
    public static final PlanLimits UNKNOWN = new PlanLimits(null, null, null, null, null, true);

    private static final Map<GitHubModelsPlan, PlanLimits> LOW = perPlan(
            limits(15, 150, 5, 8000, 4000),
            limits(15, 150, 5, 8000, 4000),
            limits(15, 300, 5, 8000, 4000),
            limits(20, 450, 8, 8000, 8000));
    private static final Map<GitHubModelsPlan, PlanLimits> HIGH = perPlan(
            limits(10, 50, 2, 8000, 4000),
            limits(10, 50, 2, 8000, 4000),
            limits(10, 100, 2, 8000, 4000),
            limits(15, 150, 4, 16000, 8000));
    /** The table gives one "tokens per request" figure for embeddings: it caps the input; there is no output. */
    private static final Map<GitHubModelsPlan, PlanLimits> EMBEDDINGS = perPlan(
            limits(15, 150, 5, 64000, null),
            limits(15, 150, 5, 64000, null),
            limits(15, 300, 5, 64000, null),
            limits(20, 450, 8, 64000, null));

    // The custom tier: one row per group of ids; the table gives requests and concurrency, no token caps.
    private static final Map<GitHubModelsPlan, PlanLimits> OPENAI_REASONING = perPlan(
            NOT_AVAILABLE,
            limits(1, 8, 1, null, null),
            limits(2, 10, 1, null, null),
            limits(2, 12, 1, null, null));
    private static final Map<GitHubModelsPlan, PlanLimits> OPENAI_MINI = perPlan(
            NOT_AVAILABLE,
            limits(2, 12, 1, null, null),
            limits(3, 15, 1, null, null),
            limits(3, 20, 1, null, null));
    private static final Map<GitHubModelsPlan, PlanLimits> DEEPSEEK_R1 = perPlan(
            limits(1, 8, 1, null, null),
            limits(1, 8, 1, null, null),
            limits(2, 10, 1, null, null),
            limits(2, 12, 1, null, null));
    private static final Map<GitHubModelsPlan, PlanLimits> GROK_3 = perPlan(
            limits(1, 15, null, null, null),
            limits(1, 15, null, null, null),
            limits(2, 20, null, null, null),
            limits(2, 30, null, null, null));
    private static final Map<GitHubModelsPlan, PlanLimits> GROK_3_MINI = perPlan(
            limits(2, 30, null, null, null),
            limits(2, 30, null, null, null),
            limits(3, 40, null, null, null),
            limits(3, 50, null, null, null));

    private static final Map<String, Map<GitHubModelsPlan, PlanLimits>> CUSTOM_BY_ID = Map.ofEntries(
            Map.entry("openai/o1", OPENAI_REASONING),
            // Not named in the table; GitHub's page gives o1-preview its own row with the same numbers as o1.
            Map.entry("openai/o1-preview", OPENAI_REASONING),
            Map.entry("openai/o3", OPENAI_REASONING),
            Map.entry("openai/gpt-5", OPENAI_REASONING),
            Map.entry("openai/o1-mini", OPENAI_MINI),
            Map.entry("openai/o3-mini", OPENAI_MINI),
            Map.entry("openai/o4-mini", OPENAI_MINI),
            Map.entry("openai/gpt-5-mini", OPENAI_MINI),
            Map.entry("openai/gpt-5-nano", OPENAI_MINI),
            Map.entry("openai/gpt-5-chat", OPENAI_MINI),
            Map.entry("deepseek/deepseek-r1", DEEPSEEK_R1),
            Map.entry("deepseek/deepseek-r1-0528", DEEPSEEK_R1),
            Map.entry("microsoft/mai-ds-r1", DEEPSEEK_R1),
            Map.entry("xai/grok-3", GROK_3),
            Map.entry("xai/grok-3-mini", GROK_3_MINI));

    /**
     * The limits of {@code model} under {@code plan}: by the catalog's {@code rate_limit_tier} for low, high and
     * embeddings, by model id for every other tier (GitHub's {@code custom}); {@link #UNKNOWN} when neither matches.
     */
    public static PlanLimits limitsFor(CatalogModel model, GitHubModelsPlan plan) {
        String tier = model.rateLimitTier();
        if (tier == null) {
            return UNKNOWN; // not a GitHub Models model: no plan governs it
        }
        Map<GitHubModelsPlan, PlanLimits> row = switch (tier.toLowerCase(Locale.ROOT)) {
            case "low" -> LOW;
            case "high" -> HIGH;
            case "embeddings" -> EMBEDDINGS;
            default -> CUSTOM_BY_ID.get(model.id().toLowerCase(Locale.ROOT));
        };
        return row == null ? UNKNOWN : row.get(plan);
    }

    private static PlanLimits limits(Integer perMinute, Integer perDay, Integer concurrent, Integer in, Integer out) {
        return new PlanLimits(perMinute, perDay, concurrent, in, out, true);
    }

    private static Map<GitHubModelsPlan, PlanLimits> perPlan(
            PlanLimits free, PlanLimits pro, PlanLimits business, PlanLimits enterprise) {
        return Map.of(FREE, free, PRO, pro, BUSINESS, business, ENTERPRISE, enterprise);
    }
}
