package dev.llmproxy.cluster;

import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;

import java.util.concurrent.Executor;

/**
 * One of the proxy's event loops dressed as the group type Lettuce asks its {@code EventLoopGroupProvider} for
 * ({@link MultiThreadIoEventLoopGroup}), so that a Lettuce connection's channel is registered on that very loop: a
 * request on that loop then writes its commands and hears their replies on its own thread, with no hand-off between
 * loops. Every registration goes to {@link #next()}, the borrowed loop. The one placeholder child the superclass
 * insists on creating (a NIO selector) never gets a task, so its thread never starts; {@link #shutdownGracefully}
 * from the connector closes it.
 */
final class PinnedEventLoop extends MultiThreadIoEventLoopGroup {

    private static final Executor NEVER = command -> {
        throw new IllegalStateException("the placeholder loop of a PinnedEventLoop never runs");
    };

    private final IoEventLoop loop;

    PinnedEventLoop(IoEventLoop loop) {
        super(1, NEVER, NioIoHandler.newFactory());
        this.loop = loop;
    }

    /** The borrowed loop: where Lettuce registers its channel. */
    @Override
    public IoEventLoop next() {
        return loop;
    }
}
