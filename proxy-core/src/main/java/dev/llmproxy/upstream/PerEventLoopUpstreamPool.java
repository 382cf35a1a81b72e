package dev.llmproxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One small pool per event loop. Each {@link LoopPool} is touched only by its own loop, so it needs no locks: idle
 * connections in a LIFO deque (the warmest first), waiters in a bounded FIFO, a count of open connections.
 *
 * <p>An idle connection keeps a read pending, so a peer that closes it (or sends stray bytes) is noticed at once
 * and the connection leaves the pool instead of failing the next request.
 */
public final class PerEventLoopUpstreamPool implements UpstreamPool {

    private final UpstreamTarget target;
    private final Class<? extends SocketChannel> channelType;
    private final ChannelHandler initializer;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final Duration connectTimeout;
    private final int maxConnectionsPerLoop;
    private final int maxPendingPerLoop;
    private final Map<EventLoop, LoopPool> pools = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public PerEventLoopUpstreamPool(UpstreamTarget target, Class<? extends SocketChannel> channelType,
                                    ChannelHandler initializer, AddressResolverGroup<InetSocketAddress> resolver,
                                    Duration connectTimeout, int maxConnectionsPerLoop, int maxPendingPerLoop) {
        this.target = target;
        this.channelType = channelType;
        this.initializer = initializer;
        this.resolver = resolver;
        this.connectTimeout = connectTimeout;
        this.maxConnectionsPerLoop = maxConnectionsPerLoop;
        this.maxPendingPerLoop = maxPendingPerLoop;
    }

    @Override
    public UpstreamTarget target() {
        return target;
    }

    @Override
    public Future<Channel> acquire(EventLoop loop, boolean fresh) {
        assert loop.inEventLoop();
        if (closed) {
            return loop.newFailedFuture(new IllegalStateException("upstream pool closed"));
        }
        return pools.computeIfAbsent(loop, LoopPool::new).acquire(fresh);
    }

    @Override
    public void release(Channel channel) {
        LoopPool pool = pools.get(channel.eventLoop());
        if (pool == null || closed) {
            channel.close();
            return;
        }
        pool.release(channel);
    }

    @Override
    public int openConnections() {
        int sum = 0;
        for (LoopPool pool : pools.values()) {
            sum += pool.open;
        }
        return sum;
    }

    @Override
    public int idleConnections() {
        int sum = 0;
        for (LoopPool pool : pools.values()) {
            sum += pool.idleCount;
        }
        return sum;
    }

    @Override
    public void close() {
        closed = true;
        List<Future<?>> done = new ArrayList<>();
        for (LoopPool pool : pools.values()) {
            if (!pool.loop.isShuttingDown()) {
                done.add(pool.loop.submit(pool::closeAll));
            }
        }
        for (Future<?> f : done) {
            f.awaitUninterruptibly(2000);
        }
    }

    private final class LoopPool {
        final EventLoop loop;
        final Bootstrap bootstrap;
        final ArrayDeque<Channel> idle = new ArrayDeque<>();
        final ArrayDeque<Promise<Channel>> waiters = new ArrayDeque<>();
        // written only by the loop; volatile so counts can be read from other threads (tests, metrics)
        volatile int open;
        volatile int idleCount;

        LoopPool(EventLoop loop) {
            this.loop = loop;
            this.bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(channelType)
                    .resolver(resolver)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(initializer);
        }

        Future<Channel> acquire(boolean fresh) {
            if (!fresh) {
                Channel ch;
                while ((ch = idle.pollFirst()) != null) {
                    idleCount = idle.size();
                    if (ch.isActive() && inStep(ch)) {
                        return loop.newSucceededFuture(ch);
                    }
                    ch.close();
                }
            }
            Promise<Channel> promise = loop.newPromise();
            if (open < maxConnectionsPerLoop) {
                connect(promise);
            } else if (waiters.size() < maxPendingPerLoop) {
                waiters.addLast(promise);
                promise.addListener(f -> {
                    if (f.isCancelled()) {
                        waiters.remove(promise);
                    }
                });
            } else {
                return loop.newFailedFuture(new PoolExhaustedException(waiters.size()));
            }
            return promise;
        }

        /** False when bytes arrived on the idle connection that no response owns: it is out of step. */
        boolean inStep(Channel ch) {
            UpstreamHttpCodec codec = UpstreamHttpCodec.of(ch);
            return codec == null || !codec.holdsUnreadBytes();
        }

        void connect(Promise<Channel> promise) {
            open++;
            ChannelFuture connect = bootstrap.connect(target.address());
            Channel ch = connect.channel();
            ch.closeFuture().addListener(f -> onClosed(ch));
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    promise.tryFailure(f.cause());
                    return;
                }
                SslHandler tls = ch.pipeline().get(SslHandler.class);
                if (tls == null) {
                    deliver(promise, ch);
                    return;
                }
                tls.handshakeFuture().addListener(h -> {
                    if (h.isSuccess()) {
                        deliver(promise, ch);
                    } else {
                        promise.tryFailure(h.cause());
                        ch.close();
                    }
                });
            });
        }

        void deliver(Promise<Channel> promise, Channel ch) {
            if (!promise.trySuccess(ch)) {
                release(ch); // the caller gave up meanwhile; the connection is still good for someone else
            }
        }

        void release(Channel ch) {
            UpstreamHandler.of(ch).unbind();
            if (!ch.isActive()) {
                return;
            }
            Promise<Channel> waiter;
            while ((waiter = waiters.pollFirst()) != null) {
                if (waiter.trySuccess(ch)) {
                    return;
                }
            }
            idle.addFirst(ch);
            idleCount = idle.size();
            ch.read();
        }

        void onClosed(Channel ch) {
            open--;
            idle.remove(ch);
            idleCount = idle.size();
            Promise<Channel> waiter;
            while (open < maxConnectionsPerLoop && (waiter = waiters.pollFirst()) != null) {
                if (!waiter.isDone()) {
                    connect(waiter);
                }
            }
        }

        void closeAll() {
            for (Promise<Channel> waiter : waiters) {
                waiter.tryFailure(new IllegalStateException("upstream pool closed"));
            }
            waiters.clear();
            for (Channel ch : new ArrayList<>(idle)) {
                ch.close();
            }
            idle.clear();
            idleCount = 0;
        }
    }
}
