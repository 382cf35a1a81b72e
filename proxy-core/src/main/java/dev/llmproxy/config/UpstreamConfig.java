package dev.llmproxy.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The OpenAI-compatible upstream and how the proxy talks to it.
 *
 * @param baseUrl                  e.g. {@code https://models.github.ai/inference}; requests go to {@code <base>/chat/completions}.
 *                                 Empty only while the embedded demo upstream has not started yet.
 * @param token                    server-side key sent as {@code Authorization: Bearer} (GITHUB_TOKEN / OPENAI_API_KEY)
 * @param connectTimeout           TCP (+TLS) connect limit
 * @param firstByteTimeout         from request written to the first byte of the response head
 * @param streamIdleTimeout        longest silence allowed between two body chunks
 * @param maxConnectionsPerLoop    open upstream connections per event loop
 * @param maxPendingAcquires       callers allowed to wait for a connection per event loop, beyond that 503
 * @param poolIdleTimeout          an idle pooled connection is closed after this long
 * @param trustedCaFile            PEM file of the CAs to trust instead of the platform defaults (private CAs, tests)
 * @param demo                     true when {@link #baseUrl} points at the embedded demo upstream
 */
public record UpstreamConfig(
        Optional<URI> baseUrl,
        Optional<String> token,
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration streamIdleTimeout,
        int maxConnectionsPerLoop,
        int maxPendingAcquires,
        Duration poolIdleTimeout,
        Optional<Path> trustedCaFile,
        boolean demo) {

    public UpstreamConfig withBaseUrl(URI url) {
        return new UpstreamConfig(Optional.of(url), token, connectTimeout, firstByteTimeout, streamIdleTimeout,
                maxConnectionsPerLoop, maxPendingAcquires, poolIdleTimeout, trustedCaFile, demo);
    }

    /** Never print the token: records' generated toString would. */
    @Override
    public String toString() {
        return "UpstreamConfig[baseUrl=" + baseUrl.map(URI::toString).orElse("(demo)")
                + ", token=" + (token.isPresent() ? "(set)" : "(none)")
                + ", connectTimeout=" + connectTimeout + ", firstByteTimeout=" + firstByteTimeout
                + ", streamIdleTimeout=" + streamIdleTimeout + ", maxConnectionsPerLoop=" + maxConnectionsPerLoop
                + ", maxPendingAcquires=" + maxPendingAcquires + ", poolIdleTimeout=" + poolIdleTimeout
                + ", trustedCaFile=" + trustedCaFile + ", demo=" + demo + "]";
    }
}
