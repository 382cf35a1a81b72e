package dev.llmproxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How the proxy talks to one upstream, as plain values: the environment settings ({@code UPSTREAM_*_TIMEOUT_MS},
 * {@code UPSTREAM_POOL_*}, {@code UPSTREAM_CA_FILE}, {@code STREAM_USAGE_INJECTION}) with the upstream's own
 * {@link UpstreamOverrides} applied. Immutable.
 *
 * @param connectTimeout        TCP (+TLS) connect limit
 * @param firstByteTimeout      from request written to the first byte of the response head
 * @param streamIdleTimeout     longest silence allowed between two body chunks
 * @param maxConnectionsPerLoop open connections per event loop
 * @param maxPendingAcquires    callers allowed to wait for a connection per event loop, beyond that 503
 * @param poolIdleTimeout       an idle pooled connection is closed after this long
 * @param trustedCaFile         PEM file of the CAs to trust instead of the platform defaults
 * @param streamUsage           the proxy may add {@code stream_options.include_usage} to a stream request
 */
public record UpstreamOptions(
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration streamIdleTimeout,
        int maxConnectionsPerLoop,
        int maxPendingAcquires,
        Duration poolIdleTimeout,
        Optional<Path> trustedCaFile,
        boolean streamUsage) {
}
