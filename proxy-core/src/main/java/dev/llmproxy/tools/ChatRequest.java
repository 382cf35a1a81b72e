package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

/**
 * One chat turn the tools send: a model, an optional system prompt, the user's prompt and an answer length cap.
 * Immutable.
 *
 * @param model     the model id as the proxy lists it
 * @param system    the system prompt, or null for none
 * @param prompt    the user's message
 * @param maxTokens the answer's length cap; 0 for none
 */
record ChatRequest(String model, String system, String prompt, int maxTokens) {

    /**
     * The request body. The cap goes as {@code max_tokens}, which every OpenAI-compatible server takes, or as
     * {@code max_completion_tokens}, which OpenAI's reasoning models require instead.
     */
    ObjectNode body(boolean stream, boolean capAsMaxCompletionTokens) {
        ObjectNode body = Json.object();
        body.put("model", model);
        var messages = body.putArray("messages");
        if (system != null) {
            messages.addObject().put("role", "system").put("content", system);
        }
        messages.addObject().put("role", "user").put("content", prompt);
        if (maxTokens > 0) {
            body.put(capAsMaxCompletionTokens ? "max_completion_tokens" : "max_tokens", maxTokens);
        }
        if (stream) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }
}
