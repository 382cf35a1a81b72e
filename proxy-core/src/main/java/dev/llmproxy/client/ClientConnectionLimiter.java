package dev.llmproxy.client;

import dev.llmproxy.admission.NanoClock;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Caps the client connections open at once ({@code MAX_CONNECTIONS}). It belongs in the <em>server</em> channel's
 * pipeline ({@code ServerBootstrap.handler}), where every accepted connection passes as a message before the acceptor
 * registers it: one over the cap is closed right there — before it has an event loop, a pipeline or a byte read — and
 * counted. A slot is taken at accept and given back when the connection's close future completes.
 *
 * <p>Threading: {@link ChannelHandler.Sharable} (one instance may serve several server channels). Accepts arrive on
 * the server channels' loops and closes on every child loop; the open count changes only by CAS below the cap, so it
 * never exceeds it, and the counters are atomics any thread may read.
 */
@ChannelHandler.Sharable
public final class ClientConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientConnectionLimiter.class);
    /** At most one warning per interval, however fast connections are refused. */
    static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int maxConnections;
    private final NanoClock clock;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong nextWarnNanos;
    private final AtomicLong rejectedWhenWarned = new AtomicLong();
    private final ChannelFutureListener releaseSlot = closed -> open.decrementAndGet();

    /**
     * @param maxConnections the most client connections open at once; 0 = no limit (connections are still counted)
     */
    public ClientConnectionLimiter(int maxConnections) {
        this(maxConnections, NanoClock.system());
    }

    ClientConnectionLimiter(int maxConnections, NanoClock clock) {
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 0, 0 = no limit)");
        }
        this.maxConnections = maxConnections;
        this.clock = clock;
        this.nextWarnNanos = new AtomicLong(clock.nanoTime());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel child)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (tryTakeSlot()) {
            // completes on the child's loop when it closes, whoever closes it
            child.closeFuture().addListener(releaseSlot);
            ctx.fireChannelRead(child);
        } else {
            // not registered yet, so it has no event loop: close the socket directly, as Netty's acceptor does
            child.unsafe().closeForcibly();
            onRejected();
        }
    }

    /** Client connections open now (accepted and not yet closed). */
    public int open() {
        return open.get();
    }

    /** Connections closed at accept because the cap was reached, since start: {@code client_connections_rejected_total}. */
    public long rejectedTotal() {
        return rejected.get();
    }

    /** The cap; 0 = no limit. */
    public int maxConnections() {
        return maxConnections;
    }

    private boolean tryTakeSlot() {
        if (maxConnections == 0) {
            open.incrementAndGet();
            return true;
        }
        while (true) {
            int now = open.get();
            if (now >= maxConnections) {
                return false;
            }
            if (open.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    private void onRejected() {
        long total = rejected.incrementAndGet();
        long now = clock.nanoTime();
        long next = nextWarnNanos.get();
        if (now - next >= 0 && nextWarnNanos.compareAndSet(next, now + WARN_INTERVAL_NANOS)) {
            long since = total - rejectedWhenWarned.getAndSet(total);
            log.warn("refused {} client connection(s) since the last warning: {} open, MAX_CONNECTIONS={}"
                    + " ({} refused since start)", since, open.get(), maxConnections, total);
        }
    }
}
