package dev.llmproxy.bridge;

/**
 * What the upstream's chat endpoint accepts beyond the common core, so a bridged request says only what the
 * upstream understands. Immutable; chosen per upstream (or per model) by whoever wires a bridged route.
 *
 * @param maxTokensField  where an output-token limit goes: {@code max_tokens} (vLLM, Ollama, llama.cpp, LM Studio,
 *                        OpenRouter; OpenAI's older models) or {@code max_completion_tokens} (OpenAI and Azure, whose
 *                        reasoning models refuse {@code max_tokens})
 * @param reasoningEffort the upstream takes {@code reasoning_effort}; when false, a requested effort (Responses'
 *                        {@code reasoning.effort}, Messages' {@code thinking} or {@code output_config.effort}) is
 *                        not sent, since it only tunes how the model thinks
 * @param topK            the upstream takes {@code top_k} (vLLM, llama.cpp); when false, Messages' {@code top_k} is
 *                        not sent (OpenAI refuses unknown sampling fields)
 */
public record ChatDialect(String maxTokensField, boolean reasoningEffort, boolean topK) {
    public static final String MAX_TOKENS = "max_tokens";
    public static final String MAX_COMPLETION_TOKENS = "max_completion_tokens";

    /** OpenAI and Azure OpenAI: {@code max_completion_tokens}, {@code reasoning_effort}, no {@code top_k}. */
    public static final ChatDialect OPENAI = new ChatDialect(MAX_COMPLETION_TOKENS, true, false);
    /** The common OpenAI-compatible servers (vLLM, Ollama, llama.cpp, LM Studio): {@code max_tokens}, {@code top_k}. */
    public static final ChatDialect OPEN_WEIGHTS = new ChatDialect(MAX_TOKENS, false, true);

    public ChatDialect {
        if (!MAX_TOKENS.equals(maxTokensField) && !MAX_COMPLETION_TOKENS.equals(maxTokensField)) {
            throw new IllegalArgumentException("maxTokensField: " + maxTokensField
                    + " (expected: " + MAX_TOKENS + " or " + MAX_COMPLETION_TOKENS + ")");
        }
    }
}
