package dev.llmproxy.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One chat reply as it will be sent: its tokens (each word with its following space, the last one without), the
 * finish reason after {@code max_tokens} truncation, and the usage numbers.
 *
 * @param tokens           the tokens sent, in order; joined they are {@link #content()}
 * @param finishReason     {@code "stop"}, or {@code "length"} when the cap cut the reply short
 * @param promptTokens     the request's estimate
 */
record DemoReply(List<String> tokens, String finishReason, int promptTokens) {

    static DemoReply of(DemoChatRequest request) {
        List<String> words = DemoReplyText.words(request.model(), request.lastUserText(), request.promptHash());
        int sent = Math.min(words.size(), request.maxTokens());
        List<String> tokens = new ArrayList<>(sent);
        for (int i = 0; i < sent; i++) {
            tokens.add(i < words.size() - 1 ? words.get(i) + " " : words.get(i));
        }
        String finishReason = sent < words.size() ? "length" : "stop";
        return new DemoReply(Collections.unmodifiableList(tokens), finishReason, request.promptTokens());
    }

    String content() {
        return String.join("", tokens);
    }

    int completionTokens() {
        return tokens.size();
    }

    int totalTokens() {
        return promptTokens + tokens.size();
    }
}
