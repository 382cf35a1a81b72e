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
        return of(request, 0);
    }

    /**
     * The reply, or with {@code length > 0} one of exactly that many words (the composed words repeated), so a bench
     * can ask for a long stream; {@code max_tokens} still cuts it.
     */
    static DemoReply of(DemoChatRequest request, int length) {
        List<String> words = DemoReplyText.words(request.model(), request.lastUserText(), request.promptHash());
        if (length > 0) {
            List<String> repeated = new ArrayList<>(length);
            for (int i = 0; i < length; i++) {
                repeated.add(words.get(i % words.size()));
            }
            words = repeated;
        }
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
