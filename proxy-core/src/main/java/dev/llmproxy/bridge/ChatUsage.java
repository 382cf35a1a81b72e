package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Token usage as a chat answer reports it ({@code usage} of the last chunk or of the completion), with the details
 * both bridged APIs can express. Absent counts are 0.
 *
 * @param promptTokens     {@code prompt_tokens}, cached ones included
 * @param completionTokens {@code completion_tokens}, reasoning included
 * @param totalTokens      {@code total_tokens}, or the sum when the upstream left it out
 * @param cachedTokens     {@code prompt_tokens_details.cached_tokens}
 * @param reasoningTokens  {@code completion_tokens_details.reasoning_tokens}
 */
public record ChatUsage(long promptTokens, long completionTokens, long totalTokens, long cachedTokens,
                        long reasoningTokens) {

    /** The usage in a chat {@code usage} object; null when {@code usage} is not an object. */
    public static ChatUsage from(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        long prompt = usage.path("prompt_tokens").asLong(0);
        long completion = usage.path("completion_tokens").asLong(0);
        JsonNode total = usage.get("total_tokens");
        return new ChatUsage(prompt, completion,
                total != null && total.canConvertToLong() ? total.asLong() : prompt + completion,
                usage.path("prompt_tokens_details").path("cached_tokens").asLong(0),
                usage.path("completion_tokens_details").path("reasoning_tokens").asLong(0));
    }

    /** Prompt tokens that were not read from the upstream's cache. */
    public long uncachedPromptTokens() {
        return Math.max(0, promptTokens - cachedTokens);
    }
}
