package dev.llmproxy.admission;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link CircuitBreakers}: a fixed set of breakers however many ids clients send. */
class CircuitBreakersTest {

    private final FakeNanoClock clock = new FakeNanoClock();
    private final CircuitBreakers breakers = new CircuitBreakers(
            Set.of("openai/gpt-4o-mini", "openai/gpt-4.1"), 1, Duration.ofSeconds(30), clock);

    @Test
    void eachKnownModelHasItsOwnBreaker() {
        breakers.forModel("openai/gpt-4o-mini").onFailure();

        assertThat(breakers.forModel("openai/gpt-4o-mini").state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breakers.forModel("openai/gpt-4.1").state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breakers.forModel("openai/gpt-4o-mini")).isSameAs(breakers.byModel().get("openai/gpt-4o-mini"));
    }

    @Test
    void unknownIdsShareOneBreakerSoTheCountStaysFixed() {
        for (int i = 0; i < 10_000; i++) {
            assertThat(breakers.forModel("made-up/model-" + i)).isSameAs(breakers.other());
        }
        assertThat(breakers.forModel(null)).isSameAs(breakers.other());
        assertThat(breakers.size()).isEqualTo(3);
        assertThat(breakers.byModel()).containsOnlyKeys("openai/gpt-4o-mini", "openai/gpt-4.1");
    }
}
