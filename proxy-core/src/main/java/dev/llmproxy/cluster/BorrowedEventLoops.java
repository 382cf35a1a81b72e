package dev.llmproxy.cluster;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Lends one of the proxy's own event loops to a Lettuce client, so its Redis connection is one more channel on a
 * loop that already serves clients and upstreams, instead of a second pool of I/O threads competing for the same
 * cores — and so the requests that loop serves write their commands and read their replies without a thread
 * hand-off. Redis replies are a few dozen bytes each; decoding them costs less than a hand-off would.
 * Lettuce never shuts the loop down: the proxy owns it and closes it after closing the Redis client.
 */
final class BorrowedEventLoops implements EventLoopGroupProvider {

    private final EventLoopGroup group;

    /** @param group a loop (a group of one) or a whole group of the proxy's transport */
    BorrowedEventLoops(EventLoopGroup group) {
        this.group = Objects.requireNonNull(group, "group");
    }

    /**
     * The lent group, whatever class Lettuce names ({@code MultiThreadIoEventLoopGroup} for the native transport): a
     * single loop is not an instance of it, but Lettuce uses what it gets only as an {@code EventLoopGroup} for its
     * bootstrap (a change there would fail every connect, and so every Redis test, with a ClassCastException).
     */
    @Override
    @SuppressWarnings("unchecked")
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        return (T) group;
    }

    @Override
    public int threadPoolSize() {
        int n = 0;
        for (Object ignored : group) {
            n++;
        }
        return n;
    }

    @Override
    public Future<Boolean> release(EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(Boolean.TRUE);
    }

    @Override
    public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(Boolean.TRUE);
    }
}
