package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UsageTest {

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void readsTheUpstreamsNumbers() {
        assertThat(Usage.fromUpstream(json("{\"prompt_tokens\":12,\"completion_tokens\":9,\"total_tokens\":21,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":0}}"))).isEqualTo(new Usage(12, 9, false));
        assertThat(Usage.fromUpstream(json("{\"prompt_tokens\":12.0,\"completion_tokens\":0}")))
                .isEqualTo(new Usage(12, 0, false));
    }

    @Test
    void embeddingsUsageHasNoCompletionTokens() {
        assertThat(Usage.fromUpstream(json("{\"prompt_tokens\":8,\"total_tokens\":8}"))).isEqualTo(new Usage(8, 0, false));
        assertThat(Usage.fromUpstream(json("{\"prompt_tokens\":8,\"total_tokens\":10}"))).isEqualTo(new Usage(8, 2, false));
        assertThat(Usage.fromUpstream(json("{\"prompt_tokens\":8}"))).isEqualTo(new Usage(8, 0, false));
    }

    @Test
    void missingOrMalformedUsageIsNullNeverAnException() {
        for (String bad : new String[]{"null", "5", "\"x\"", "[]", "{}", "{\"prompt_tokens\":\"12\"}",
                "{\"prompt_tokens\":-1}", "{\"prompt_tokens\":1.5}", "{\"prompt_tokens\":1e30}",
                "{\"prompt_tokens\":1,\"completion_tokens\":-2}", "{\"prompt_tokens\":1,\"completion_tokens\":true}"}) {
            assertThat(Usage.fromUpstream(json(bad))).as(bad).isNull();
        }
        assertThat(Usage.fromUpstream(null)).isNull();
    }

    @Test
    void countsAreNeverNegative() {
        assertThatThrownBy(() -> new Usage(-1, 0, true)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Usage.UNKNOWN.totalTokens()).isZero();
        assertThat(new Usage(3, 4, false).totalTokens()).isEqualTo(7);
    }
}
