package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The tokens one exchange used: the upstream's own {@code usage} numbers when it sent them, else the proxy's
 * estimate ({@code estimated} true). Counts are never negative, so a caller can add them to counters as they are.
 *
 * @param promptTokens     tokens of the request's input
 * @param completionTokens tokens the model generated (0 for embeddings)
 * @param estimated        counted by the proxy, not reported by the upstream
 */
public record Usage(long promptTokens, long completionTokens, boolean estimated) {
    /** Nothing known and nothing counted (an exchange that never got a response body): adds nothing. */
    public static final Usage UNKNOWN = new Usage(0, 0, true);

    public Usage {
        if (promptTokens < 0 || completionTokens < 0) {
            throw new IllegalArgumentException("tokens: " + promptTokens + "/" + completionTokens
                    + " (expected: >= 0)");
        }
    }

    public long totalTokens() {
        return promptTokens + completionTokens;
    }

    /**
     * The upstream's numbers from an OpenAI {@code usage} object, or null when it is missing or malformed (the caller
     * then estimates; a bad {@code usage} never fails an exchange, REFERENCE §12.8). {@code prompt_tokens} must be
     * a non-negative integer; {@code completion_tokens} may be absent (embeddings), in which case it is
     * {@code total_tokens - prompt_tokens} when that makes sense, else 0.
     */
    public static Usage fromUpstream(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        if (usage.get("prompt_tokens") == null && usage.get("input_tokens") != null) {
            // the Responses API's (and Anthropic's) names for the same counts
            long input = count(usage.get("input_tokens"));
            long output = usage.get("output_tokens") == null ? 0 : count(usage.get("output_tokens"));
            return input < 0 || output < 0 ? null : new Usage(input, output, false);
        }
        long prompt = count(usage.get("prompt_tokens"));
        if (prompt < 0) {
            return null;
        }
        JsonNode completionNode = usage.get("completion_tokens");
        long completion;
        if (completionNode == null || completionNode.isNull()) {
            long total = count(usage.get("total_tokens"));
            completion = total >= prompt ? total - prompt : 0;
        } else {
            completion = count(completionNode);
            if (completion < 0) {
                return null;
            }
        }
        return new Usage(prompt, completion, false);
    }

    /** A non-negative whole count, or -1 for anything else (absent, null, text, fraction, negative, huge). */
    static long count(JsonNode value) {
        if (value == null || !value.isNumber() || !value.canConvertToExactIntegral() || !value.canConvertToLong()) {
            return -1;
        }
        long n = value.longValue();
        return n >= 0 ? n : -1;
    }
}
