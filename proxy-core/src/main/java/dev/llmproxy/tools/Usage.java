package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The token usage an answer reported ({@code usage} of a completion, or of a stream's last event). Immutable.
 *
 * @param promptTokens     tokens of the prompt
 * @param completionTokens tokens of the answer
 * @param totalTokens      both
 */
record Usage(long promptTokens, long completionTokens, long totalTokens) {

    /** The {@code usage} object, or null when {@code node} is not one. */
    static Usage from(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("completion_tokens").canConvertToLong()) {
            return null;
        }
        long prompt = node.path("prompt_tokens").asLong();
        long completion = node.path("completion_tokens").asLong();
        long total = node.path("total_tokens").canConvertToLong() ? node.path("total_tokens").asLong()
                : prompt + completion;
        return new Usage(prompt, completion, total);
    }
}
