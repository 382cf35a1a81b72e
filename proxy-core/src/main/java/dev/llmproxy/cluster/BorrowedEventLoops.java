package dev.llmproxy.cluster;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Lends the proxy's own event loops to Lettuce, so the Redis connection is one more channel on the loops that
 * already serve clients and upstreams, instead of a second pool of I/O threads competing for the same cores. Redis
 * replies are a few dozen bytes each; decoding them costs less than the thread hand-offs a separate pool would add.
 * Lettuce never shuts the loops down: the proxy owns them and closes them after closing the Redis client.
 */
final class BorrowedEventLoops implements EventLoopGroupProvider {

    private final EventLoopGroup group;

    BorrowedEventLoops(EventLoopGroup group) {
        this.group = Objects.requireNonNull(group, "group");
    }

    @Override
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        if (!type.isInstance(group)) {
            throw new IllegalStateException("event loop group: " + group.getClass().getName()
                    + " (expected: a " + type.getName() + ", the transport Lettuce picked)");
        }
        return type.cast(group);
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
