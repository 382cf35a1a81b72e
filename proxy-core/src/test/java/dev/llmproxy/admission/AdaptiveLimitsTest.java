package dev.llmproxy.admission;

import dev.llmproxy.admission.AdaptiveLimits.Observed;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdaptiveLimitsTest {
    private static final String MINI = "openai/gpt-4o-mini";
    private static final String GPT4O = "openai/gpt-4o";
    private static final List<String> KNOWN = List.of(MINI, GPT4O);
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    private static final Duration ONE_MS = Duration.ofMillis(1);

    private final ManualTime time = ManualTime.at("2025-03-10T12:00:00Z");
    private final AdaptiveLimits limits = new AdaptiveLimits(30, KNOWN, time.clock(), time.nanoTime());

    @Test
    void firstSuccessOfAModelRaisesThirtyToThirtySix() {
        assertThat(limits.observed(MINI)).isEmpty();

        limits.onSuccess(MINI);

        assertThat(limits.observed(MINI)).hasValue(new Observed(36, false, 0, time.now().toEpochMilli()));
        assertThat(limits.observed(GPT4O)).isEmpty();
    }

    @Test
    void raisesAgainOnlyAfterMoreThanFiveMinutesWithSuccesses() {
        limits.onSuccess(MINI);
        for (int i = 0; i < 10; i++) {
            time.advance(Duration.ofSeconds(30));
            limits.onSuccess(MINI);
        }
        assertThat(guess(MINI)).as("exactly five minutes is not more than five").isEqualTo(36);

        time.advance(ONE_MS);
        limits.onSuccess(MINI);
        assertThat(guess(MINI)).isEqualTo(43);

        int[] expected = {52, 62, 74, 89, 107};
        for (int next : expected) {
            time.advance(FIVE_MINUTES.plus(ONE_MS));
            limits.onSuccess(MINI);
            assertThat(guess(MINI)).isEqualTo(next);
        }
    }

    @Test
    void an429LowersBySixtyPercentAtMostOnceEveryThirtySeconds() {
        limits.on429(MINI);
        assertThat(guess(MINI)).isEqualTo(18);

        limits.on429(MINI);
        time.advance(Duration.ofSeconds(30));
        limits.on429(MINI);
        assertThat(guess(MINI)).as("within the cooldown").isEqualTo(18);

        time.advance(ONE_MS);
        limits.on429(MINI);
        assertThat(guess(MINI)).isEqualTo(11);
    }

    @Test
    void an429InTheCurrentWindowHoldsTheGuessUntilTheWindowRolls() {
        limits.on429(MINI);
        time.advance(Duration.ofSeconds(10));
        limits.onSuccess(MINI);
        assertThat(guess(MINI)).as("never raised before, but a 429 in this window").isEqualTo(18);

        time.advance(Duration.ofSeconds(50));
        limits.onSuccess(MINI);
        assertThat(guess(MINI)).as("60 s is not more than 60 s").isEqualTo(18);

        time.advance(ONE_MS);
        limits.onSuccess(MINI);
        assertThat(guess(MINI)).isEqualTo(22);
    }

    @Test
    void raisesWhenTheLast429IsInAnEarlierWindowEvenIfWithinFiveMinutes() {
        // The reference counts 429s per 60 s window, and times raises from the last raise, not from the last 429.
        limits.onSuccess(MINI);
        time.advance(Duration.ofMinutes(4));
        limits.on429(MINI);
        assertThat(guess(MINI)).isEqualTo(22);

        time.advance(Duration.ofMinutes(1).plus(ONE_MS));
        limits.onSuccess(MINI);
        assertThat(guess(MINI)).isEqualTo(26);
    }

    @Test
    void hardCapsAfterTwo429sInAWindowWithTheGuessAtTwoOrBelowAndNeverRisesAgain() {
        int[] expected = {18, 11, 7, 4, 2};
        for (int i = 0; i < expected.length; i++) {
            if (i > 0) {
                time.advance(Duration.ofSeconds(31));
            }
            limits.on429(MINI);
            assertThat(guess(MINI)).isEqualTo(expected[i]);
            assertThat(limits.observed(MINI).orElseThrow().hardCap()).as("after 429 #%d", i + 1).isFalse();
        }
        // The fifth 429 rolled the window (62 s after its start): one 429 in it so far.
        time.advance(Duration.ofSeconds(1));
        limits.on429(MINI);
        assertThat(limits.observed(MINI).orElseThrow()).extracting(Observed::guess, Observed::hardCap)
                .containsExactly(2, true);

        time.advance(Duration.ofMinutes(10));
        limits.onSuccess(MINI);
        time.advance(Duration.ofMinutes(10));
        limits.onSuccess(MINI);
        assertThat(limits.observed(MINI).orElseThrow()).extracting(Observed::guess, Observed::hardCap)
                .containsExactly(2, true);

        limits.on429(MINI);
        assertThat(guess(MINI)).as("a hard cap still goes down").isEqualTo(1);
    }

    @Test
    void manyQuick429sWithTheGuessAboveTwoDoNotHardCap() {
        for (int i = 0; i < 50; i++) {
            limits.on429(MINI);
        }
        assertThat(limits.observed(MINI).orElseThrow()).extracting(Observed::guess, Observed::hardCap)
                .containsExactly(18, false);
    }

    @Test
    void guessIsClampedToTwoHundredButTheInitialGuessIsNotClampedBeforeItsFirstChange() {
        AdaptiveLimits high = new AdaptiveLimits(190, KNOWN, time.clock(), time.nanoTime());
        high.onSuccess(MINI);
        assertThat(high.observed(MINI).orElseThrow().guess()).isEqualTo(200);

        AdaptiveLimits huge = new AdaptiveLimits(500, KNOWN, time.clock(), time.nanoTime());
        huge.on429(MINI);
        assertThat(huge.observed(MINI).orElseThrow().guess()).as("round(500 × 0.6) = 300, clamped").isEqualTo(200);
    }

    @Test
    void guessNeverFallsBelowOne() {
        AdaptiveLimits one = new AdaptiveLimits(1, KNOWN, time.clock(), time.nanoTime());
        one.on429(MINI);
        assertThat(one.observed(MINI).orElseThrow().guess()).isEqualTo(1);
    }

    @Test
    void reportsTheLast429AndTheLastOutcomeInEpochMillis() {
        long start = time.now().toEpochMilli();
        limits.on429(MINI);
        time.advance(Duration.ofSeconds(7));
        limits.onSuccess(MINI);

        assertThat(limits.observed(MINI).orElseThrow())
                .isEqualTo(new Observed(18, false, start, start + 7_000));
    }

    @Test
    void snapshotHasModelsWithStateInCatalogOrderAndOneSharedSlotForUnknownNames() {
        for (int i = 0; i < 1_000; i++) {
            limits.onSuccess("attacker/model-" + i);
        }
        limits.on429(GPT4O);
        limits.onSuccess("OPENAI/GPT-4O-MINI");

        long now = time.now().toEpochMilli();
        assertThat(limits.snapshot()).containsExactly(
                entry(MINI, new Observed(36, false, 0, now)),
                entry(GPT4O, new Observed(18, false, now, now)),
                entry(QuotaTracker.OTHER_MODELS, new Observed(36, false, 0, now)));
    }

    @Test
    void rejectsAnInitialGuessBelowOne() {
        assertThatThrownBy(() -> new AdaptiveLimits(0, KNOWN, time.clock(), time.nanoTime()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("initialGuess: 0 (expected: at least 1)");
    }

    @Test
    void onlyUpstreamOutcomesCanChangeTheGuess() {
        // REFERENCE §12.15: the proxy's own 429s lowered the guess there. Here there is no input for them at all;
        // this fails when someone adds one.
        List<String> mutators = Arrays.stream(AdaptiveLimits.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()))
                .filter(m -> m.getReturnType() == void.class)
                .map(Method::getName)
                .distinct() // each takes the model as text or as its handle
                .sorted()
                .toList();
        assertThat(mutators).containsExactly("on429", "onSuccess");
    }

    private int guess(String model) {
        return limits.observed(model).orElseThrow().guess();
    }
}
