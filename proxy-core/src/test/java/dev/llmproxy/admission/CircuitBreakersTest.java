package dev.llmproxy.admission;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link CircuitBreakers}: a breaker per model, in a table bounded however many ids clients send. */
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
    void aModelOutsideTheCatalogHasItsOwnBreakerSoItsFaultsPauseNoOtherModel() {
        breakers.forModel("local/llama3.2:3b").onFailure();

        assertThat(breakers.forModel("local/llama3.2:3b").state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breakers.forModel("local/qwen3:8b").state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breakers.forModel("local/qwen3:8b").tryPass().permitted()).isTrue();
        assertThat(breakers.other().state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void arbitraryIdsCannotGrowTheTableBeyondItsBound() {
        CircuitBreakers bounded = new CircuitBreakers(Set.of("openai/gpt-4.1"), 1, Duration.ofSeconds(30), clock, 4);
        for (int i = 0; i < 10_000; i++) {
            bounded.forModel("made-up/model-" + i).onFailure(); // each opens and so must be remembered
        }
        assertThat(bounded.size()).as("catalog + 4 + overflow").isEqualTo(6);
        assertThat(bounded.forModel("made-up/model-9999")).isSameAs(bounded.other());
        assertThat(bounded.forModel((String) null)).isSameAs(bounded.other());
        assertThat(bounded.byModel()).containsOnlyKeys("openai/gpt-4.1");
    }

    @Test
    void aFullTableMakesRoomByDroppingBreakersWithNothingToRemember() {
        CircuitBreakers bounded = new CircuitBreakers(Set.of(), 1, Duration.ofSeconds(30), clock, 2);
        bounded.forModel("a").tryPass(); // healthy: nothing to remember
        bounded.forModel("b").onFailure(); // open: kept
        assertThat(bounded.forModel("c")).as("room made by dropping a's").isNotSameAs(bounded.other());
        CircuitBreaker c = bounded.forModel("c");
        c.onFailure();
        assertThat(bounded.forModel("d")).as("full of open breakers: the overflow").isSameAs(bounded.other());
        assertThat(bounded.forModel("b").state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(bounded.forModel("c")).isSameAs(c);
    }
}
