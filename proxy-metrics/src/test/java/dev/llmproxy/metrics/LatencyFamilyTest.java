package dev.llmproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.io.StringWriter;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import org.junit.jupiter.api.Test;

class LatencyFamilyTest {
    private final AtomicLong clock = new AtomicLong();
    private final LatencyFamily family =
            new LatencyFamily("ttft_quantile_seconds", "Time to first token.", List.of("model"), 5, clock::get);

    @Test
    void exportsWindowQuantilesAndCumulativeSumAndCountPerLabelTuple() {
        for (int ms = 1; ms <= 100; ms++) {
            family.labels("openai/gpt-4o").record(TimeUnit.MILLISECONDS.toNanos(ms));
        }
        family.labels("other").record(TimeUnit.SECONDS.toNanos(2));

        List<Collector.MetricFamilySamples> collected = family.collect();

        assertThat(collected).hasSize(1);
        Collector.MetricFamilySamples mfs = collected.get(0);
        assertThat(mfs.type).isEqualTo(Collector.Type.SUMMARY);
        assertThat(value(mfs, "ttft_quantile_seconds", "openai/gpt-4o", "0.5")).isCloseTo(0.050, withinPercentage(0.1));
        assertThat(value(mfs, "ttft_quantile_seconds", "openai/gpt-4o", "0.95")).isCloseTo(0.095, withinPercentage(0.1));
        assertThat(value(mfs, "ttft_quantile_seconds", "openai/gpt-4o", "0.99")).isCloseTo(0.099, withinPercentage(0.1));
        assertThat(value(mfs, "ttft_quantile_seconds_sum", "openai/gpt-4o")).isCloseTo(5.05, withinPercentage(1e-9));
        assertThat(value(mfs, "ttft_quantile_seconds_count", "openai/gpt-4o")).isEqualTo(100);
        assertThat(value(mfs, "ttft_quantile_seconds", "other", "0.99")).isCloseTo(2.0, withinPercentage(0.1));
        assertThat(value(mfs, "ttft_quantile_seconds_count", "other")).isEqualTo(1);
    }

    @Test
    void quantilesForgetOldMinutesWhileSumAndCountKeepEverything() {
        family.labels("m").record(TimeUnit.SECONDS.toNanos(1));
        family.aggregate();
        clock.addAndGet(TimeUnit.MINUTES.toNanos(6));

        Collector.MetricFamilySamples mfs = family.collect().get(0);

        assertThat(value(mfs, "ttft_quantile_seconds", "m", "0.5")).isNaN();
        assertThat(value(mfs, "ttft_quantile_seconds_count", "m")).isEqualTo(1);
        assertThat(value(mfs, "ttft_quantile_seconds_sum", "m")).isEqualTo(1.0);
    }

    @Test
    void givesPerLabelSnapshotsForStats() {
        family.labels("a").record(1_000_000);
        family.labels("b").record(2_000_000);
        family.labels("b").record(4_000_000);

        Map<List<String>, LatencyRecorder.Snapshot> sinceStart = family.snapshots();
        Map<List<String>, LatencyRecorder.Snapshot> recent = family.lastMinutes(5);

        assertThat(sinceStart).containsOnlyKeys(List.of("a"), List.of("b"));
        assertThat(sinceStart.get(List.of("b")).count()).isEqualTo(2);
        assertThat(sinceStart.get(List.of("b")).sumSeconds()).isEqualTo(0.006);
        assertThat(recent.get(List.of("a")).valueAtPercentile(50)).isCloseTo(1_000_000L, withinPercentage(0.1));
    }

    @Test
    void anUnlabelledFamilyExportsBeforeItsFirstValue() {
        LatencyFamily unlabelled = new LatencyFamily("queue_quantile_seconds", "Queue.", List.of(), 5, clock::get);

        Collector.MetricFamilySamples mfs = unlabelled.collect().get(0);

        assertThat(mfs.samples).extracting(s -> s.name).containsExactly("queue_quantile_seconds",
                "queue_quantile_seconds", "queue_quantile_seconds", "queue_quantile_seconds_sum",
                "queue_quantile_seconds_count");
        assertThat(mfs.samples.get(0).value).isNaN();
        assertThat(mfs.samples.get(4).value).isZero();
    }

    @Test
    void foldsLabelTuplesBeyondTheCapIntoOther() {
        for (int i = 0; i < LatencyFamily.MAX_CHILDREN + 10; i++) {
            family.labels("model-" + i).record(1_000);
        }

        Map<List<String>, LatencyRecorder.Snapshot> snapshots = family.snapshots();

        assertThat(snapshots).hasSizeLessThanOrEqualTo(LatencyFamily.MAX_CHILDREN + 1);
        assertThat(snapshots.values().stream().mapToLong(LatencyRecorder.Snapshot::count).sum())
                .isEqualTo(LatencyFamily.MAX_CHILDREN + 10);
        assertThat(snapshots).containsKey(List.of("other"));
    }

    @Test
    void rejectsWrongLabelsAndReservedNames() {
        assertThatThrownBy(() -> family.labels()).hasMessageContaining("expected: 1");
        assertThatThrownBy(() -> family.labels("a", "b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> family.labels((String) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new LatencyFamily("x_seconds", "x", List.of("quantile"), 5, clock::get))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LatencyFamily("bad-name", "x", List.of(), 5, clock::get))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void registersAndRendersAsAValidSummary() throws Exception {
        CollectorRegistry registry = new CollectorRegistry(true);
        registry.register(family);
        family.labels("m").record(3_000_000);

        StringWriter out = new StringWriter();
        TextFormat.write004(out, registry.metricFamilySamples());

        assertThat(out.toString()).contains(
                "# TYPE ttft_quantile_seconds summary\n",
                "ttft_quantile_seconds{model=\"m\",quantile=\"0.95\",}",
                "ttft_quantile_seconds_count{model=\"m\",} 1.0\n");
        // Describable: a second family of the same name is refused instead of rendering twice.
        assertThatThrownBy(() -> registry.register(
                new LatencyFamily("ttft_quantile_seconds", "again", List.of(), 5, clock::get)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static double value(Collector.MetricFamilySamples mfs, String name, String... labelValues) {
        return mfs.samples.stream()
                .filter(s -> s.name.equals(name) && s.labelValues.equals(List.of(labelValues)))
                .mapToDouble(s -> s.value)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + name + List.of(labelValues) + " in "
                        + Collections.unmodifiableList(mfs.samples)));
    }
}
