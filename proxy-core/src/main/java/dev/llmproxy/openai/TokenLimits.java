package dev.llmproxy.openai;

import java.util.Objects;

/**
 * The token limits one request to a model meets: the model's own limits ({@link ModelLimits}: from the upstream's
 * listing, the bundled table of known models, GitHub's catalog or the config), lowered by the GitHub plan's
 * per-request caps when a plan applies (GitHub's free usage caps most models at 8,000 input tokens per request, far
 * below their context windows). Immutable.
 *
 * <p>A null limit is unknown: checks that need it skip the model rather than guess (see {@link PromptCheck}).
 *
 * @param input         the input limit, or null when neither the model's limits nor the plan state one
 * @param output        the output limit, or null when neither states one (embeddings models have none)
 * @param inputFromPlan the plan's cap is the smaller input limit (it decides, not the context window)
 * @param model         the model's own limits, before any plan
 */
public record TokenLimits(Integer input, Integer output, boolean inputFromPlan, ModelLimits model) {

    public TokenLimits {
        Objects.requireNonNull(model, "model");
    }

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
                model.limits());
    }

    /** The model's own input limit, before the plan's cap; null when unknown. */
    public Integer modelInput() {
        return model.input();
    }

    /**
     * Where {@link #input()} came from: {@code plan} when the plan's cap decides it, else the model's own source
     * ({@code listing}, {@code known-models}, {@code catalog}, {@code config}, or {@code unknown}).
     */
    public String inputSource() {
        return inputFromPlan ? "plan" : model.inputSource().wireName();
    }

    /**
     * The output tokens to reserve for a request that sets no {@code max_tokens}: the model's default output cap
     * ({@link ModelLimits#outputWithoutMaxTokens()}), within {@link #output()}; null when unknown. Azure counts this
     * against the tokens-per-minute quota when the request is admitted, not what the answer later uses.
     */
    public Integer outputWithoutMaxTokens() {
        return min(model.outputWithoutMaxTokens(), output);
    }

    private static Integer min(Integer a, Integer b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : Integer.valueOf(Math.min(a, b));
    }
}
