package dev.llmproxy.admission;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QueueBudgetTest {

    @Test
    void handsOutExactlyMaxUnitsAndTakesThemBack() {
        QueueBudget budget = new QueueBudget(2);

        assertThat(budget.tryTake()).isTrue();
        assertThat(budget.tryTake()).isTrue();
        assertThat(budget.tryTake()).isFalse();
        assertThat(budget.used()).isEqualTo(2);

        budget.giveBack();
        assertThat(budget.used()).isEqualTo(1);
        assertThat(budget.tryTake()).isTrue();
        assertThat(budget.max()).isEqualTo(2);
    }

    @Test
    void zeroMeansNeverQueue() {
        assertThat(new QueueBudget(0).tryTake()).isFalse();
    }

    @Test
    void givingBackMoreThanWasTakenIsABug() {
        QueueBudget budget = new QueueBudget(1);
        assertThatThrownBy(budget::giveBack).isInstanceOf(IllegalStateException.class);
        assertThat(budget.used()).isZero();
        assertThatThrownBy(() -> new QueueBudget(-1)).hasMessage("max: -1 (expected: >= 0)");
    }
}
