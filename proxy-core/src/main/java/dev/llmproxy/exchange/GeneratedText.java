package dev.llmproxy.exchange;

import dev.llmproxy.openai.TokenCounter;

/**
 * The text a model generated, kept up to a bound, for estimating completion tokens when the upstream reports no
 * usage. Beyond the bound only the length is counted, and the estimate scales the tokens of the kept prefix by the
 * whole length, so a long answer is not under-counted by the bound.
 *
 * <p>Threading: confined to the exchange's event loop.
 */
final class GeneratedText {
    private final int maxChars;
    private final StringBuilder kept = new StringBuilder();
    private long totalChars;
    /** The bound was reached: the kept text stays a prefix of the whole. */
    private boolean full;

    GeneratedText(int maxChars) {
        if (maxChars < 0) {
            throw new IllegalArgumentException("maxCapturedChars: " + maxChars + " (expected: >= 0)");
        }
        this.maxChars = maxChars;
    }

    void append(String text) {
        if (text == null || text.isEmpty()) {
            return;
        }
        totalChars += text.length();
        if (full) {
            return;
        }
        int room = maxChars - kept.length();
        if (text.length() <= room) {
            kept.append(text);
            return;
        }
        full = true;
        int end = room;
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never keep half a surrogate pair
        }
        kept.append(text, 0, end);
    }

    long totalChars() {
        return totalChars;
    }

    /** Tokens of everything appended: exact for the kept text, extrapolated by length past the bound. */
    long estimateTokens(TokenCounter counter, String model) {
        if (totalChars == 0) {
            return 0;
        }
        if (kept.length() == 0) {
            return (totalChars + 3) / 4; // nothing kept (a zero bound): the usual 4 characters per token
        }
        long tokens = counter.count(kept.toString(), model);
        if (totalChars == kept.length()) {
            return tokens;
        }
        return (long) Math.ceil((double) tokens * totalChars / kept.length());
    }
}
