package dev.llmproxy.demo;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DemoReplyTextTest {

    @Test
    void composesBetweenFortyAndEightyWordsWithoutWhitespaceInAnyWord() {
        List<String> prompts = List.of("", "hi", "What is the capital of France?",
                "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen",
                "x".repeat(10_000), "tabs\tand\nnewlines\u2003and unicode spaces");
        for (int i = 0; i < prompts.size(); i++) {
            List<String> words = DemoReplyText.words("gpt-4o-mini", prompts.get(i), i * 7919L);
            assertThat(words).as(prompts.get(i)).hasSizeBetween(40, 80)
                    .allSatisfy(w -> assertThat(w).isNotEmpty().doesNotContainPattern("\\s"));
        }
        assertThat(DemoReplyText.words("gpt-4o-mini", null, 1)).hasSizeBetween(40, 80);
    }

    @Test
    void echoesAtMostTheFirstTwelveWordsAndClipsGiantWords() {
        String said = String.join(" ", "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14".split(" "));
        String reply = String.join(" ", DemoReplyText.words("m", said, 0));
        assertThat(reply).contains("\u201cw1 w2").contains("w12\u2026\u201d").doesNotContain("w13");

        String giant = String.join(" ", DemoReplyText.words("m", "y".repeat(1000), 0));
        assertThat(giant).contains("y".repeat(DemoReplyText.ECHO_WORD_MAX) + "\u2026").doesNotContain("y".repeat(33));
    }

    @Test
    void picksSentencesByThePromptHash() {
        List<String> a = DemoReplyText.words("m", "same words", 1);
        assertThat(DemoReplyText.words("m", "same words", 1)).isEqualTo(a);
        long differing = java.util.stream.LongStream.range(2, 12)
                .filter(h -> !DemoReplyText.words("m", "same words", h).equals(a))
                .count();
        assertThat(differing).isPositive();
    }

    @Test
    void splitsTheReplyIntoTokensThatCarryTheirFollowingSpace() {
        DemoChatRequest request = new DemoChatRequest("m", false, false, Integer.MAX_VALUE, 5, 42, "hello");
        DemoReply reply = DemoReply.of(request);
        List<String> tokens = reply.tokens();
        assertThat(tokens.subList(0, tokens.size() - 1)).allSatisfy(t -> assertThat(t).endsWith(" "));
        assertThat(tokens.get(tokens.size() - 1)).doesNotEndWith(" ");
        assertThat(reply.content()).isEqualTo(String.join(" ", DemoReplyText.words("m", "hello", 42)));
        assertThat(reply.finishReason()).isEqualTo("stop");
    }

    @Test
    void saysItIsTheDemoUpstreamAndHowToConfigureARealOne() {
        String reply = String.join(" ", DemoReplyText.words("gpt-4o-mini", "hello", 3));
        assertThat(reply).startsWith("Hello! This is the llm-proxy demo upstream. No real upstream is configured, so"
                + " gpt-4o-mini was not called and this reply is simulated.")
                .endsWith("For real answers set OPENAI_API_KEY, OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT or CONFIG_FILE"
                        + " and restart the proxy.")
                .doesNotContain("GitHub").doesNotContain("GITHUB");
        for (long hash = 0; hash < 64; hash++) {
            assertThat(String.join(" ", DemoReplyText.words("m", "x", hash))).as("hash %d", hash)
                    .doesNotContain("GitHub");
        }
    }
}
