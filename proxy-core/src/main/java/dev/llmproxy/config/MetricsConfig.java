package dev.llmproxy.config;

/**
 * The Prometheus endpoint.
 *
 * @param enabled serve {@code path}
 * @param path    where the text exposition is served; not under {@code /v1/}, never behind the client key
 */
public record MetricsConfig(boolean enabled, String path) {
}
