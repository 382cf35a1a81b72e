package dev.llmproxy.exchange;

import dev.llmproxy.openai.TokenCounter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GeneratedTextTest {

    @Test
    void keepsAPrefixWithinTheBoundAndExtrapolatesByLength() {
        TokenCounter counter = new TokenCounter();
        GeneratedText text = new GeneratedText(5);
        text.append("ab🚀"); // 4 chars: a surrogate pair fits
        text.append("cd");   // only 'c' fits
        assertThat(text.totalChars()).isEqualTo(6);
        long keptTokens = counter.count("ab🚀c", "openai/gpt-4o");
        assertThat(text.estimateTokens(counter, "openai/gpt-4o")).isEqualTo((long) Math.ceil(keptTokens * 6 / 5.0));

        GeneratedText split = new GeneratedText(3);
        split.append("ab🚀"); // the pair would be cut in half: only "ab" is kept
        split.append("x");    // and nothing after a cut, so the kept text stays a prefix
        assertThat(split.estimateTokens(counter, "openai/gpt-4o"))
                .isEqualTo((long) Math.ceil(counter.count("ab", "openai/gpt-4o") * 5 / 2.0));

        GeneratedText none = new GeneratedText(0);
        none.append("12345678");
        assertThat(none.estimateTokens(counter, "openai/gpt-4o")).isEqualTo(2);
        assertThat(new GeneratedText(10).estimateTokens(counter, "openai/gpt-4o")).isZero();
    }
}
