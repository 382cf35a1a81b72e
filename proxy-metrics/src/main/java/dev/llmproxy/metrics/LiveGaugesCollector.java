package dev.llmproxy.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

import io.prometheus.client.Collector;

/**
 * The gauges read at scrape time: live state from {@link LiveGauges} and {@code process_uptime_seconds}.
 * Stateless apart from its suppliers, so any number of scrapes may run at once.
 */
final class LiveGaugesCollector extends Collector implements Collector.Describable {
    private static final List<String> NO_LABELS = List.of();
    private static final List<String> GUESS_LABELS = List.of("model", "hard_cap");

    private final LiveGauges gauges;
    private final LongSupplier nanoClock;
    private final long startNanos;

    LiveGaugesCollector(LiveGauges gauges, LongSupplier nanoClock) {
        this.gauges = gauges;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    @Override
    public List<MetricFamilySamples> collect() {
        List<MetricFamilySamples> out = new ArrayList<>(6);
        out.add(gauge(MetricNames.UPSTREAM_ACTIVE, "Upstream calls holding a concurrency slot.",
                gauges.upstreamActive().getAsInt()));
        out.add(gauge(MetricNames.UPSTREAM_QUEUE, "Requests waiting for an upstream concurrency slot.",
                gauges.upstreamQueueLength().getAsInt()));
        out.add(gauge(MetricNames.READY, "1 when the proxy is ready to serve (as /ready answers), else 0.",
                gauges.ready().getAsBoolean() ? 1 : 0));
        out.add(gauge(MetricNames.OPEN_CONNECTIONS, "Open client connections.",
                gauges.openConnections().getAsInt()));
        out.add(gauge(MetricNames.PROCESS_UPTIME, "Seconds since the proxy started.",
                (nanoClock.getAsLong() - startNanos) / 1e9));

        List<MetricFamilySamples.Sample> guesses = new ArrayList<>();
        // Sorted so that successive scrapes list models in the same order.
        new TreeMap<>(gauges.rateLimitGuesses().get()).forEach((model, guess) -> guesses.add(
                new MetricFamilySamples.Sample(MetricNames.MODEL_RATE_LIMIT_GUESS, GUESS_LABELS,
                        List.of(model, guess.hardCap() ? "1" : "0"), guess.requestsPerMinute())));
        out.add(new MetricFamilySamples(MetricNames.MODEL_RATE_LIMIT_GUESS, Type.GAUGE,
                "Adaptive guess of each model's upstream limit, in requests per minute.", guesses));
        return out;
    }

    @Override
    public List<MetricFamilySamples> describe() {
        List<MetricFamilySamples> out = new ArrayList<>();
        for (String name : List.of(MetricNames.UPSTREAM_ACTIVE, MetricNames.UPSTREAM_QUEUE, MetricNames.READY,
                MetricNames.OPEN_CONNECTIONS, MetricNames.PROCESS_UPTIME, MetricNames.MODEL_RATE_LIMIT_GUESS)) {
            out.add(new MetricFamilySamples(name, Type.GAUGE, name, List.of()));
        }
        return out;
    }

    private static MetricFamilySamples gauge(String name, String help, double value) {
        return new MetricFamilySamples(name, Type.GAUGE, help,
                List.of(new MetricFamilySamples.Sample(name, NO_LABELS, NO_LABELS, value)));
    }
}
