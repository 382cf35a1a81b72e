package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.TokenCounter;

/**
 * What token accounting of one response needs: the tokenizer and prompt for an estimate when the upstream reports
 * no usage, and whether the proxy asked for stream usage itself (then that usage event is removed from the stream).
 *
 * @param prompt chat {@code messages} or embeddings {@code input}; may be null
 */
public record Metering(TokenCounter counter, String model, JsonNode prompt, boolean usageInjected) {
}
