package dev.llmproxy.tools;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PacerTest {
    private final List<Duration> sleeps = new ArrayList<>();
    private final Pacer pacer = new Pacer(sleeps::add, Duration.ofSeconds(1), Duration.ofSeconds(30));

    private static ChatOutcome answered(int status, Duration retryAfter) {
        return ChatOutcome.failed("m", status, 1, null, null, "x", Optional.ofNullable(retryAfter));
    }

    @Test
    void waitsTheIntervalBetweenRequestsButNotBeforeTheFirst() throws InterruptedException {
        pacer.beforeRequest();
        pacer.answered(answered(500, null));
        pacer.beforeRequest();
        pacer.beforeRequest();
        assertThat(sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @Test
    void honoursRetryAfterOfA429OnceThenReturnsToTheInterval() throws InterruptedException {
        pacer.beforeRequest();
        pacer.answered(answered(429, Duration.ofSeconds(7)));
        pacer.beforeRequest();
        pacer.beforeRequest();
        assertThat(sleeps).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(1));
    }

    @Test
    void capsRetryAfterAtMaxWaitAndNeverWaitsLessThanTheInterval() throws InterruptedException {
        pacer.beforeRequest();
        pacer.answered(answered(429, Duration.ofHours(2)));
        pacer.beforeRequest();
        pacer.answered(answered(429, Duration.ofMillis(10)));
        pacer.beforeRequest();
        pacer.answered(answered(429, null));
        pacer.beforeRequest();
        assertThat(sleeps).containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @Test
    void readsSecondsOptionsWithFractionsAndRefusesOthers() {
        assertThat(Pacer.seconds("--interval", 0.25)).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> Pacer.seconds("--interval", -1)).isInstanceOf(ToolException.class)
                .hasMessage("--interval: -1.0 (expected: seconds from 0 to 3600)");
        assertThatThrownBy(() -> Pacer.seconds("--max-wait", Double.NaN)).isInstanceOf(ToolException.class);
    }
}
