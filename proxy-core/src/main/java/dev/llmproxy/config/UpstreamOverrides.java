package dev.llmproxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The environment settings one upstream of the file sets for itself; what it leaves empty comes from the
 * environment (see {@link #over}). Immutable.
 *
 * @param connectTimeout        {@code connect_timeout_ms}, else {@code UPSTREAM_CONNECT_TIMEOUT_MS}
 * @param firstByteTimeout      {@code first_byte_timeout_ms}, else {@code UPSTREAM_FIRST_BYTE_TIMEOUT_MS}
 * @param streamIdleTimeout     {@code stream_idle_timeout_ms}, else {@code UPSTREAM_STREAM_IDLE_TIMEOUT_MS}
 * @param maxConnectionsPerLoop {@code pool_max_connections}, else {@code UPSTREAM_POOL_MAX_CONNECTIONS}
 * @param trustedCaFile         {@code ca_file}, else {@code UPSTREAM_CA_FILE}
 * @param streamUsage           {@code stream_usage}, else {@code STREAM_USAGE_INJECTION}
 */
public record UpstreamOverrides(
        Optional<Duration> connectTimeout,
        Optional<Duration> firstByteTimeout,
        Optional<Duration> streamIdleTimeout,
        OptionalInt maxConnectionsPerLoop,
        Optional<Path> trustedCaFile,
        Optional<Boolean> streamUsage) {

    /** Overrides nothing. */
    public static final UpstreamOverrides NONE = new UpstreamOverrides(Optional.empty(), Optional.empty(),
            Optional.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());

    /** {@code defaults} with each value this upstream sets replaced by its own. */
    public UpstreamOptions over(UpstreamOptions defaults) {
        return new UpstreamOptions(
                connectTimeout.orElse(defaults.connectTimeout()),
                firstByteTimeout.orElse(defaults.firstByteTimeout()),
                streamIdleTimeout.orElse(defaults.streamIdleTimeout()),
                maxConnectionsPerLoop.orElse(defaults.maxConnectionsPerLoop()),
                defaults.maxPendingAcquires(),
                defaults.poolIdleTimeout(),
                trustedCaFile.or(defaults::trustedCaFile),
                streamUsage.orElse(defaults.streamUsage()));
    }
}
