package dev.llmproxy.config;

import java.time.Duration;

/**
 * The client-facing listener.
 *
 * @param host                address to bind ({@code 127.0.0.1} unless the operator says otherwise)
 * @param port                TCP port; 0 picks a free port (tests)
 * @param ioThreads           event loops serving both legs of every exchange
 * @param maxRequestBodyBytes request bodies above this (received or decoded) are answered 413 without being read further
 * @param maxConnections      client connections open at once; more are closed at accept; 0 = no limit
 * @param clientIdleTimeout   a keep-alive connection with no request in flight for this long is closed
 * @param shutdownGrace       on SIGTERM, how long in-flight exchanges may run before connections are closed
 */
public record ServerConfig(
        String host,
        int port,
        int ioThreads,
        int maxRequestBodyBytes,
        int maxConnections,
        Duration clientIdleTimeout,
        Duration shutdownGrace) {
}
