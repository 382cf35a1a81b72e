package dev.llmproxy.admission;

import dev.llmproxy.admission.UpstreamRateLimit.Kind;
import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.ModelIndex;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-model tables read one {@link ModelIndex}: a handle the router resolved finds the same model in each of
 * them, the one the same id as text finds, and a handle no table was built with finds each table's shared slot.
 */
class ModelTablesTest {
    private static final List<String> KNOWN = List.of("openai/gpt-4o-mini", "Org/Fine-Tune");

    private final ManualTime time = ManualTime.at("2025-03-10T21:30:00Z");
    private final ModelIndex index = new ModelIndex();
    private final QuotaTracker quota = new QuotaTracker(KNOWN, index, time.clock(), time.nanoTime());
    private final DailyUsage daily = new DailyUsage(KNOWN, index, time.clock());
    private final AdaptiveLimits adaptive = new AdaptiveLimits(10, KNOWN, index, time.clock(), time.nanoTime());
    private final CircuitBreakers breakers = new CircuitBreakers(Set.copyOf(KNOWN), index, 1, Duration.ofSeconds(5),
            Duration.ofSeconds(30), new FakeNanoClock(), 8);

    @Test
    void aResolvedHandleFindsTheSameModelInEveryTable() {
        ModelHandle fineTune = index.internRequested("org/fine-tune"); // as a hop of a request spelled so

        quota.onUpstream429(fineTune, limit(Kind.USER_BY_MODEL_BY_DAY), 1);
        daily.record(fineTune, true);
        adaptive.on429(fineTune);
        breakers.forModel(fineTune).onFailure();

        assertThat(quota.check("Org/Fine-Tune")).isPresent();
        assertThat(quota.check("openai/gpt-4o-mini")).isEmpty();
        assertThat(daily.snapshot().models()).containsOnlyKeys("Org/Fine-Tune");
        assertThat(daily.today("ORG/fine-tune")).isEqualTo(new DailyUsage.Counts(0, 1));
        assertThat(adaptive.snapshot()).containsOnlyKeys("Org/Fine-Tune");
        assertThat(breakers.forModel(fineTune)).isSameAs(breakers.byModel().get("Org/Fine-Tune"));
        assertThat(breakers.forModel("Org/Fine-Tune").state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breakers.forModel("openai/gpt-4o-mini").state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void aHandleNoTableWasBuiltWithCountsInEachTablesSharedSlot() {
        ModelHandle later = index.intern("listed-after-start"); // a refreshed catalog's id

        quota.onUpstream429(later, limit(Kind.USER_BY_MODEL_BY_DAY), 1);
        daily.record(later, false);
        daily.record(ModelHandle.OTHER, false);

        assertThat(quota.snapshot().models()).containsOnlyKeys(QuotaTracker.OTHER_MODELS);
        assertThat(quota.check("made-up")).as("unknown ids share the slot").isPresent();
        assertThat(daily.snapshot().models()).containsOnlyKeys(QuotaTracker.OTHER_MODELS);
        assertThat(daily.today("made-up")).isEqualTo(new DailyUsage.Counts(2, 0));
        assertThat(breakers.forModel(later)).as("breakers: its own, created on first use")
                .isNotSameAs(breakers.other()).isSameAs(breakers.forModel("LISTED-after-start"));
        assertThat(breakers.forModel(ModelHandle.OTHER)).isSameAs(breakers.other());
    }

    private static UpstreamRateLimit limit(Kind kind) {
        return new UpstreamRateLimit(kind, kind.wireName(), OptionalLong.of(30), OptionalLong.empty(),
                "RateLimitReached", null);
    }
}
