package dev.llmproxy.routes;

import dev.llmproxy.cluster.SharedLimits;
import dev.llmproxy.cluster.SharedLimitsStatus;
import io.prometheus.client.Collector;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;

import java.util.List;

/**
 * The limits replicas share through Redis, read at scrape time from {@link SharedLimits#status()}: {@code redis_up}
 * (1 while Redis answers; 0 means every limit check gets the {@code REDIS_FAILURE_MODE} answer), {@code redis_replicas}
 * (live replicas at the last count), {@code redis_leases_held}, {@code redis_usage_pending} (usage kept for when Redis
 * is back) and the call counters {@code redis_calls_total}, {@code redis_call_failures_total} by {@code reason}.
 * Registered only with {@code REDIS_URL}. Threading: the scrape thread.
 */
public final class SharedLimitsCollector extends Collector {
    private final SharedLimits shared;

    public SharedLimitsCollector(SharedLimits shared) {
        this.shared = shared;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        SharedLimitsStatus s = shared.status();
        GaugeMetricFamily up = new GaugeMetricFamily("redis_up",
                "1 while Redis answers; 0 while limits follow REDIS_FAILURE_MODE instead", List.of("failure_mode"));
        up.addMetric(List.of(s.failureMode().wireName()), s.redis().up() ? 1 : 0);
        GaugeMetricFamily replicas = new GaugeMetricFamily("redis_replicas",
                "Replicas alive at the last count in Redis", s.replicas());
        GaugeMetricFamily leases = new GaugeMetricFamily("redis_leases_held",
                "Concurrency leases this replica holds in Redis", s.leasesHeld());
        GaugeMetricFamily pending = new GaugeMetricFamily("redis_usage_pending",
                "Usage made while Redis was unavailable, to be added when it answers", s.usagePending());
        CounterMetricFamily calls = new CounterMetricFamily("redis_calls",
                "Calls to Redis from this replica", s.redis().calls());
        CounterMetricFamily failures = new CounterMetricFamily("redis_call_failures",
                "Calls to Redis answered \"unavailable\", by why", List.of("reason"));
        failures.addMetric(List.of("timeout"), s.redis().timeouts());
        failures.addMetric(List.of("unreachable"), s.redis().unreachable());
        failures.addMetric(List.of("error"), s.redis().errors());
        failures.addMetric(List.of("down"), s.redis().shortCircuited());
        return List.of(up, replicas, leases, pending, calls, failures);
    }
}
