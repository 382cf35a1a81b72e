package dev.llmproxy.routes;

import dev.llmproxy.client.AccessLogWriter;
import io.prometheus.client.Collector;
import io.prometheus.client.CounterMetricFamily;

import java.util.List;

/** {@code access_log_lines_dropped_total}: access lines dropped because the writer's queue was full. */
public final class AccessLogCollector extends Collector {
    private final AccessLogWriter writer;

    /** @param writer the access log's writer, or null when the access log is off (the counter stays 0) */
    public AccessLogCollector(AccessLogWriter writer) {
        this.writer = writer;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        return List.of(new CounterMetricFamily("access_log_lines_dropped",
                "Access log lines dropped because the writer's queue was full (stdout slower than the requests).",
                writer == null ? 0 : writer.dropped()));
    }
}
