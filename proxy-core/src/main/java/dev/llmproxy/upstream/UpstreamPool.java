package dev.llmproxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * Keep-alive HTTP/1.1 connections to the upstream. Connections are bound to an event loop: an exchange takes its
 * upstream channel from the pool of its client channel's loop, so both legs run on one thread without locks.
 */
public interface UpstreamPool extends AutoCloseable {

    /**
     * Takes an idle connection or opens one (connect + TLS handshake). Must be called on {@code loop}; the future
     * completes on {@code loop}. Fails with {@link PoolExhaustedException} when too many callers already wait.
     * Cancelling the future withdraws the request; a connection that arrives after that goes back to the pool.
     *
     * @param fresh true to skip idle connections (a retry after a reused connection turned out dead)
     */
    Future<Channel> acquire(EventLoop loop, boolean fresh);

    /**
     * Gives back a connection whose last request and response both completed and that may be reused. Anything else
     * is closed by the caller instead. Must be called on the channel's event loop.
     */
    void release(Channel channel);

    UpstreamTarget target();

    /** Connections open right now (connected or connecting, idle or in use); safe from any thread. */
    int openConnections();

    /** Open connections idle in the pool; safe from any thread. */
    int idleConnections();

    /** Closes every connection; pending acquires fail. */
    @Override
    void close();
}
