package dev.llmproxy.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

import io.prometheus.client.Collector;

/**
 * A set of {@link LatencyRecorder}s keyed by label values, exported as one Prometheus summary family:
 * {@code name{…,quantile="0.5"|"0.95"|"0.99"}} over the rolling window, plus {@code name_sum} and {@code name_count}
 * since start. The quantiles cover the last {@link LatencyRecorder#windowMinutes()} minutes, as a client library's
 * summary covers its max age: a since-start p99 would stop moving after a day of uptime. {@code _sum}/{@code _count}
 * are cumulative, so {@code rate(name_sum[5m]) / rate(name_count[5m])} works as for any summary.
 *
 * <p><b>Label values</b> must come from a closed set the caller controls (route templates, catalog model ids or
 * {@code other}); a family never sees a client-supplied string. As a guard, not a feature, a family holds at most
 * {@link #MAX_CHILDREN} label tuples: further tuples are recorded under all-{@code other} labels.
 *
 * <p><b>Threading.</b> {@link #labels(String...)} and recording on the returned recorder may be called from any
 * thread, without locks (a tuple's first use inserts it into a concurrent map). {@link #collect()},
 * {@link #snapshots()} and {@link #lastMinutes(int)} are the reader side, as in {@link LatencyRecorder}.
 */
public final class LatencyFamily extends Collector implements Collector.Describable {
    /** Label tuples kept before further ones fold into {@code other}. */
    public static final int MAX_CHILDREN = 1024;
    /** The exported quantiles. */
    public static final List<Double> QUANTILES = List.of(0.5, 0.95, 0.99);

    private static final String QUANTILE_LABEL = "quantile";
    private static final List<String> QUANTILE_VALUES = List.of("0.5", "0.95", "0.99");

    private final String name;
    private final String help;
    private final List<String> labelNames;
    private final List<String> quantileLabelNames;
    private final List<String> overflowLabels;
    private final int windowMinutes;
    private final LongSupplier nanoClock;
    private final ConcurrentMap<List<String>, LatencyRecorder> children = new ConcurrentHashMap<>();

    /**
     * @param name          family name, a {@code _seconds} summary (no {@code _sum}/{@code _count} suffix)
     * @param labelNames    label names, possibly none; {@code quantile} is reserved
     * @param windowMinutes the window of the exported quantiles and the longest {@link #lastMinutes(int)}
     * @param nanoClock     monotonic clock for the windows
     */
    public LatencyFamily(String name, String help, List<String> labelNames, int windowMinutes, LongSupplier nanoClock) {
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
            throw new IllegalArgumentException("name: " + name + " (expected: a Prometheus metric name)");
        }
        if (labelNames.contains(QUANTILE_LABEL)) {
            throw new IllegalArgumentException("labelNames: " + labelNames + " (expected: no 'quantile')");
        }
        if (windowMinutes < 1) {
            throw new IllegalArgumentException("windowMinutes: " + windowMinutes + " (expected: >= 1)");
        }
        this.name = name;
        this.help = help;
        this.labelNames = List.copyOf(labelNames);
        List<String> withQuantile = new ArrayList<>(labelNames);
        withQuantile.add(QUANTILE_LABEL);
        this.quantileLabelNames = List.copyOf(withQuantile);
        this.overflowLabels = Collections.nCopies(labelNames.size(), "other");
        this.windowMinutes = windowMinutes;
        this.nanoClock = nanoClock;
        if (labelNames.isEmpty()) {
            // An unlabelled family always exports, with count 0 and NaN quantiles before the first value.
            labels();
        }
    }

    public String name() {
        return name;
    }

    public List<String> labelNames() {
        return labelNames;
    }

    /**
     * The recorder for one label tuple, created on first use. Callers on a hot path may keep the result.
     *
     * @param labelValues one non-null value per label name, from a closed set
     */
    public LatencyRecorder labels(String... labelValues) {
        if (labelValues.length != labelNames.size()) {
            throw new IllegalArgumentException("labelValues: " + labelValues.length + " values (expected: "
                    + labelNames.size() + " for " + labelNames + ")");
        }
        List<String> key = List.of(labelValues); // rejects nulls
        LatencyRecorder child = children.get(key);
        if (child != null) {
            return child;
        }
        if (children.size() >= MAX_CHILDREN) {
            key = overflowLabels;
            child = children.get(key);
            if (child != null) {
                return child;
            }
        }
        return children.computeIfAbsent(key, k -> new LatencyRecorder(windowMinutes, nanoClock));
    }

    /** Drains every child's writers; see {@link LatencyRecorder#aggregate()}. */
    public void aggregate() {
        children.values().forEach(LatencyRecorder::aggregate);
    }

    /** Since-start snapshot of every label tuple seen, keyed by label values (in {@link #labelNames()} order). */
    public Map<List<String>, LatencyRecorder.Snapshot> snapshots() {
        Map<List<String>, LatencyRecorder.Snapshot> out = new LinkedHashMap<>();
        children.forEach((labels, recorder) -> out.put(labels, recorder.snapshot()));
        return out;
    }

    /** Rolling-window snapshot of every label tuple seen; see {@link LatencyRecorder#lastMinutes(int)}. */
    public Map<List<String>, LatencyRecorder.Snapshot> lastMinutes(int n) {
        Map<List<String>, LatencyRecorder.Snapshot> out = new LinkedHashMap<>();
        children.forEach((labels, recorder) -> out.put(labels, recorder.lastMinutes(n)));
        return out;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        List<MetricFamilySamples.Sample> samples = new ArrayList<>(children.size() * (QUANTILES.size() + 2));
        children.forEach((labels, recorder) -> {
            LatencyRecorder.Snapshot window = recorder.lastMinutes(windowMinutes);
            for (int i = 0; i < QUANTILES.size(); i++) {
                List<String> values = new ArrayList<>(labels);
                values.add(QUANTILE_VALUES.get(i));
                samples.add(new MetricFamilySamples.Sample(name, quantileLabelNames, values,
                        window.quantileSeconds(QUANTILES.get(i))));
            }
            samples.add(new MetricFamilySamples.Sample(name + "_sum", labelNames, labels, recorder.sumSeconds()));
            samples.add(new MetricFamilySamples.Sample(name + "_count", labelNames, labels, recorder.count()));
        });
        return List.of(new MetricFamilySamples(name, Type.SUMMARY, help, samples));
    }

    @Override
    public List<MetricFamilySamples> describe() {
        return List.of(new MetricFamilySamples(name, Type.SUMMARY, help, List.of()));
    }
}
