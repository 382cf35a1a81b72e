package dev.llmproxy.cluster;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LearnedQuotaTest {

    @Test
    void readsTheChannelsFormatWithTheModelLastSoItMayHoldSpaces() {
        assertThat(LearnedQuota.parse("pause 1500000 -1 openai/gpt-4.1"))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.PAUSE, "openai/gpt-4.1", Duration.ofMillis(1500).toNanos(),
                        -1));
        assertThat(LearnedQuota.parse("concurrency 60000000 3 my deployment"))
                .isEqualTo(new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "my deployment",
                        Duration.ofSeconds(60).toNanos(), 3));
        assertThat(LearnedQuota.parse("all 20000000 -1 other").kind()).isEqualTo(LearnedQuota.Kind.ALL);
        assertThat(LearnedQuota.parse("day 1 -1 m").nanos()).isEqualTo(1_000);
    }

    @Test
    void dropsWhatItCannotReadInsteadOfGuessing() {
        for (String bad : new String[] {null, "", "pause", "pause 10 -1", "pause 10 -1 ", "later 10 -1 m",
                "pause ten -1 m", "pause 0 -1 m", "pause -5 -1 m", "pause 10 3 m", "concurrency 10 0 m",
                "concurrency 10 -1 m", "pause 99999999999999999999 -1 m"}) {
            assertThat(LearnedQuota.parse(bad)).as(String.valueOf(bad)).isNull();
        }
    }

    @Test
    void refusesValuesThatCouldNotBeSent() {
        assertThatThrownBy(() -> new LearnedQuota(LearnedQuota.Kind.PAUSE, "m", 0, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LearnedQuota(LearnedQuota.Kind.CONCURRENCY, "m", 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LearnedQuota(LearnedQuota.Kind.DAY, "m", 1, 2))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
