package dev.llmproxy.config;

/**
 * The Prometheus endpoint.
 *
 * @param enabled           serve {@code path}
 * @param path              where the text exposition is served; not under {@code /v1/}, never behind the client key
 * @param injectStreamUsage ask the upstream for usage on streams whose client did not (and hide that event), so
 *                          stream tokens are counted exactly; off for upstreams that refuse {@code stream_options}
 */
public record MetricsConfig(boolean enabled, String path, boolean injectStreamUsage) {
}
