package dev.llmproxy.openai;

import java.util.Objects;

/**
 * A model's own token limits and where each came from. Immutable. A null limit is unknown, never guessed; its source
 * is then {@link LimitSource#UNKNOWN}, and only then.
 *
 * @param input         the largest prompt the model takes (its context window, or the smaller input limit its
 *                      provider states), or null when unknown
 * @param output        the most tokens one answer may have (the ceiling of {@code max_tokens}), or null when unknown
 *                      or when the model produces no text (embeddings)
 * @param defaultOutput the cap on an answer whose request sets no {@code max_tokens}, when the provider states one
 *                      below {@code output} (DeepSeek's API: 4K of 8K); null means {@code output} applies
 * @param inputSource   where {@code input} came from
 * @param outputSource  where {@code output} and {@code defaultOutput} came from
 */
public record ModelLimits(Integer input, Integer output, Integer defaultOutput, LimitSource inputSource,
                          LimitSource outputSource) {

    /** Nothing known. */
    public static final ModelLimits UNKNOWN = new ModelLimits(null, null, null, LimitSource.UNKNOWN,
            LimitSource.UNKNOWN);

    public ModelLimits {
        Objects.requireNonNull(inputSource, "inputSource");
        Objects.requireNonNull(outputSource, "outputSource");
        requireNonNegative("input", input);
        requireNonNegative("output", output);
        requireNonNegative("defaultOutput", defaultOutput);
        if ((input == null) != (inputSource == LimitSource.UNKNOWN)) {
            throw new IllegalArgumentException("inputSource: " + inputSource + " (expected: UNKNOWN exactly when"
                    + " input is null; input is " + input + ")");
        }
        if ((output == null && defaultOutput == null) != (outputSource == LimitSource.UNKNOWN)) {
            throw new IllegalArgumentException("outputSource: " + outputSource + " (expected: UNKNOWN exactly when"
                    + " output and defaultOutput are null)");
        }
    }

    /** Limits one source states; a null value is unknown. */
    public static ModelLimits of(Integer input, Integer output, LimitSource source) {
        return new ModelLimits(input, output, null, input == null ? LimitSource.UNKNOWN : source,
                output == null ? LimitSource.UNKNOWN : source);
    }

    /**
     * The output tokens a request without {@code max_tokens} may produce: {@code defaultOutput}, else {@code output},
     * else null (unknown). Token-per-minute accounting reserves this much for such a request, as Azure's does.
     */
    public Integer outputWithoutMaxTokens() {
        return defaultOutput != null ? defaultOutput : output;
    }

    /**
     * These limits where known, {@code fallback}'s where not — side by side: the input limit, and the output side
     * ({@code output} with {@code defaultOutput}) as one, so one answer's two output numbers never mix sources.
     * Precedence is written as {@code config.orElse(listing).orElse(knownModels)}.
     */
    public ModelLimits orElse(ModelLimits fallback) {
        boolean inputKnown = inputSource != LimitSource.UNKNOWN;
        boolean outputKnown = outputSource != LimitSource.UNKNOWN;
        if (inputKnown && outputKnown) {
            return this;
        }
        return new ModelLimits(
                inputKnown ? input : fallback.input,
                outputKnown ? output : fallback.output,
                outputKnown ? defaultOutput : fallback.defaultOutput,
                inputKnown ? inputSource : fallback.inputSource,
                outputKnown ? outputSource : fallback.outputSource);
    }

    /** Whether both the input and the output side are known. */
    public boolean complete() {
        return input != null && outputSource != LimitSource.UNKNOWN;
    }

    private static void requireNonNegative(String field, Integer value) {
        if (value != null && value < 0) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: a non-negative integer or null)");
        }
    }
}
