package dev.llmproxy.openai;

import java.util.Objects;

/**
 * The token limits one request to a model meets: the catalog's {@code max_input_tokens}/{@code max_output_tokens},
 * lowered by the GitHub plan's per-request caps when a plan applies (GitHub's free usage caps most models at
 * 8,000 input tokens per request, far below their context windows). Immutable.
 *
 * @param input           the input limit, or null when neither the catalog nor the plan states one
 * @param output          the output limit, or null when neither states one (embeddings models have none)
 * @param inputFromPlan   the plan's cap is the smaller input limit (it decides, not the context window)
 * @param catalogInput    the catalog's own {@code max_input_tokens}, or null
 */
public record TokenLimits(Integer input, Integer output, boolean inputFromPlan, Integer catalogInput) {

    /**
     * @param plan the Copilot plan whose free-usage caps apply, or null when none does (another upstream, or paid
     *             usage)
     */
    public static TokenLimits of(CatalogModel model, GitHubModelsPlan plan) {
        Objects.requireNonNull(model, "model");
        PlanLimits limits = plan == null ? PlanLimits.UNKNOWN : PlanLimits.limitsFor(model, plan);
        Integer input = min(model.maxInputTokens(), limits.maxInputTokensPerRequest());
        Integer planInput = limits.maxInputTokensPerRequest();
        boolean fromPlan = planInput != null && (model.maxInputTokens() == null || planInput < model.maxInputTokens());
        return new TokenLimits(input, min(model.maxOutputTokens(), limits.maxOutputTokensPerRequest()), fromPlan,
                model.maxInputTokens());
    }

    /** {@code "plan"} when the plan's cap decides the input limit, else {@code "catalog"}. */
    public String inputSource() {
        return inputFromPlan ? "plan" : "catalog";
    }

    private static Integer min(Integer a, Integer b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : Integer.valueOf(Math.min(a, b));
    }
}
