package dev.llmproxy;

import dev.llmproxy.config.ProxyConfig;

import java.net.InetSocketAddress;
import java.time.Duration;

/** Placeholder: the bootstrap is being written; the API below is final. */
public final class ProxyServer implements AutoCloseable {

    /** Binds and starts serving; returns once the listener is bound. Starts the demo upstream when configured so. */
    public static ProxyServer start(ProxyConfig config) throws InterruptedException {
        throw new UnsupportedOperationException("not yet");
    }

    /** The bound address (the real port when the config asked for port 0). */
    public InetSocketAddress address() {
        throw new UnsupportedOperationException("not yet");
    }

    /** Stops accepting, lets in-flight exchanges finish up to {@code grace}, then closes everything. Idempotent. */
    public void stop(Duration grace) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Blocks until {@link #stop} has completed. */
    public void awaitTermination() throws InterruptedException {
        throw new UnsupportedOperationException("not yet");
    }

    /** {@link #stop} with the configured grace period. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("not yet");
    }
}
