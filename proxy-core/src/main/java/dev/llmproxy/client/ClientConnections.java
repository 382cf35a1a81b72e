package dev.llmproxy.client;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open client connections and the requests in flight, for graceful shutdown and readiness. Thread-safe: the
 * counters are touched by every event loop, the draining flag is set once by the shutdown thread.
 */
public final class ClientConnections {
    private final ChannelGroup channels = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;

    void add(Channel channel) {
        channels.add(channel);
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    void requestEnded() {
        if (inFlight.decrementAndGet() == 0 && draining) {
            drained.complete(null);
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int open() {
        return channels.size();
    }

    /**
     * Bytes written to client connections but not yet taken by their sockets, summed over all connections: what the
     * proxy is holding for slow clients. Read from any thread (the per-channel totals are volatile).
     */
    public long pendingOutboundBytes() {
        long sum = 0;
        for (Channel ch : channels) {
            var buffer = ch.unsafe().outboundBuffer();
            if (buffer != null) {
                sum += buffer.totalPendingWriteBytes();
            }
        }
        return sum;
    }

    public boolean draining() {
        return draining;
    }

    /** Stop taking new work: idle keep-alive connections close now, busy ones after their current response. */
    public void startDraining() {
        draining = true;
        for (Channel ch : channels) {
            ClientRequestHandler handler = ch.pipeline().get(ClientRequestHandler.class);
            if (handler != null) {
                ch.eventLoop().execute(handler::closeIfIdle);
            }
        }
    }

    /** Waits until no request is in flight (after {@link #startDraining()}), at most {@code grace}. */
    public boolean awaitDrained(Duration grace) throws InterruptedException {
        if (inFlight.get() == 0) {
            return true;
        }
        try {
            drained.get(grace.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return inFlight.get() == 0;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The end of the grace period: responses still in progress end with a {@code shutting_down} error (the envelope,
     * or a final event on a started stream), then every client connection closes.
     */
    public void closeAll() {
        List<Future<?>> ended = new ArrayList<>();
        for (Channel ch : channels) {
            ClientRequestHandler handler = ch.pipeline().get(ClientRequestHandler.class);
            if (handler != null && !ch.eventLoop().isShuttingDown()) {
                ended.add(ch.eventLoop().submit(handler::terminate));
            }
        }
        for (Future<?> f : ended) {
            f.awaitUninterruptibly(1000);
        }
        channels.close().awaitUninterruptibly(2000);
    }
}
