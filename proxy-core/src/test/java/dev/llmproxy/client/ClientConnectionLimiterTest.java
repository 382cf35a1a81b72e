package dev.llmproxy.client;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.llmproxy.netty.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link ClientConnectionLimiter} in the server channel's pipeline of a real {@link ServerBootstrap} on 127.0.0.1,
 * with plain sockets as clients: connections over the cap close before anything of theirs is read, closed ones free
 * their slot, and the count stays exact when two server channels accept and four child loops close at once.
 */
class ClientConnectionLimiterTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long a connection that must stay open is watched for a close. */
    private static final Duration OPEN_CHECK = Duration.ofMillis(300);
    private static final AttributeKey<Boolean> REGISTERED = AttributeKey.valueOf("limiter-test-registered");

    private final EventLoopGroup boss = Transports.best().newGroup(2, "limiter-test-boss");
    private final EventLoopGroup children = Transports.best().newGroup(4, "limiter-test-child");
    private final List<Socket> clients = new ArrayList<>();
    /** Children registered and not yet closed: the sockets the proxy really holds. */
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger maxLive = new AtomicInteger();
    private final AtomicInteger initialized = new AtomicInteger();
    private final AtomicLong bytesRead = new AtomicLong();

    @AfterEach
    void stop() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        boss.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        children.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void closesAConnectionOverTheCapAtOnceWithoutReadingIt() throws Exception {
        ClientConnectionLimiter limiter = new ClientConnectionLimiter(2);
        int port = serve(limiter).get(0);

        Socket first = connectAndSend(port);
        await().atMost(TIMEOUT).until(() -> limiter.open() == 1);
        Socket second = connectAndSend(port);
        await().atMost(TIMEOUT).until(() -> limiter.open() == 2);
        Socket third = connectAndSend(port);

        assertThat(closedByServer(third)).as("the third connection is closed").isTrue();
        // the close can reach the client before the acceptor's thread has counted it
        await().atMost(TIMEOUT).until(() -> limiter.rejectedTotal() == 1);
        assertThat(initialized).as("no pipeline built for it").hasValue(2);
        await().atMost(TIMEOUT).until(() -> bytesRead.get() == 2 * "hello".length());
        assertThat(closedByServer(first, OPEN_CHECK)).isFalse();
        assertThat(closedByServer(second, OPEN_CHECK)).isFalse();
        assertThat(bytesRead).as("nothing of the refused connection was read").hasValue(2 * "hello".length());
        assertThat(limiter.open()).isEqualTo(2);
    }

    @Test
    void aClosedConnectionFreesItsSlot() throws Exception {
        ClientConnectionLimiter limiter = new ClientConnectionLimiter(1);
        int port = serve(limiter).get(0);
        Socket first = connectAndSend(port);
        await().atMost(TIMEOUT).until(() -> limiter.open() == 1);
        assertThat(closedByServer(connectAndSend(port))).isTrue();

        first.close();
        await().atMost(TIMEOUT).until(() -> limiter.open() == 0);
        Socket next = connectAndSend(port);

        await().atMost(TIMEOUT).until(() -> initialized.get() == 2);
        assertThat(closedByServer(next, OPEN_CHECK)).isFalse();
        assertThat(limiter.rejectedTotal()).isOne();
    }

    @Test
    void zeroMeansNoLimitButStillCounts() throws Exception {
        ClientConnectionLimiter limiter = new ClientConnectionLimiter(0);
        int port = serve(limiter).get(0);

        for (int i = 0; i < 50; i++) {
            connectAndSend(port);
        }

        await().atMost(TIMEOUT).until(() -> limiter.open() == 50);
        assertThat(limiter.rejectedTotal()).isZero();
        for (Socket client : clients) {
            client.close();
        }
        await().atMost(TIMEOUT).until(() -> limiter.open() == 0);
    }

    /**
     * Two server channels (on two boss loops) share one limiter while four child loops close connections. In each
     * round 40 connections arrive and stay open until all are counted, so exactly the cap of them is accepted; then a
     * churn of connects and closes races accepts against closes, and the sockets held never exceed the cap.
     */
    @Test
    void keepsTheCountExactUnderConcurrentAcceptsAndCloses() throws Exception {
        int cap = 20;
        ClientConnectionLimiter limiter = new ClientConnectionLimiter(cap);
        List<Integer> ports = serve(limiter, limiter);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            for (int round = 1; round <= 3; round++) {
                List<Future<List<Socket>>> opened = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int port = ports.get(t % 2);
                    opened.add(threads.submit(() -> {
                        List<Socket> five = new ArrayList<>();
                        for (int i = 0; i < 5; i++) {
                            five.add(connect(port));
                        }
                        return five;
                    }));
                }
                List<Socket> round40 = new ArrayList<>();
                for (Future<List<Socket>> f : opened) {
                    round40.addAll(f.get());
                }
                long arrived = 40L * round;
                await().atMost(TIMEOUT).until(() -> initialized.get() + limiter.rejectedTotal() == arrived);
                assertThat(initialized).hasValue(cap * round);
                assertThat(limiter.rejectedTotal()).isEqualTo(arrived - cap * round);
                assertThat(limiter.open()).isEqualTo(cap);

                List<Future<?>> closed = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    List<Socket> five = round40.subList(t * 5, t * 5 + 5);
                    closed.add(threads.submit(() -> closeAll(five)));
                }
                for (Future<?> f : closed) {
                    f.get();
                }
                await().atMost(TIMEOUT).until(() -> limiter.open() == 0);
            }

            AtomicInteger attempts = new AtomicInteger();
            List<Future<?>> churn = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int port = ports.get(t % 2);
                churn.add(threads.submit(() -> {
                    List<Socket> held = new ArrayList<>();
                    for (int i = 0; i < 60; i++) {
                        held.add(connect(port));
                        attempts.incrementAndGet();
                        if (held.size() == 4) {
                            closeAll(held);
                            held.clear();
                        }
                    }
                    closeAll(held);
                    return null;
                }));
            }
            for (Future<?> f : churn) {
                f.get();
            }
            long before = 40L * 3;
            await().atMost(TIMEOUT).until(() -> initialized.get() + limiter.rejectedTotal() == before + attempts.get());
            await().atMost(TIMEOUT).until(() -> limiter.open() == 0 && live.get() == 0);
            assertThat(maxLive.get()).as("sockets held at once").isLessThanOrEqualTo(cap);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void warnsAtMostOncePerIntervalWithTheCountSinceTheLastWarning() {
        AtomicLong now = new AtomicLong(1_000);
        ClientConnectionLimiter limiter = new ClientConnectionLimiter(1, now::get);
        EmbeddedChannel server = new EmbeddedChannel(limiter);
        ListAppender<ILoggingEvent> warnings = captureWarnings();
        try {
            server.writeInbound(new EmbeddedChannel()); // takes the one slot
            Object accepted = server.readInbound();
            assertThat(accepted).isInstanceOf(Channel.class);

            List<EmbeddedChannel> refused = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                EmbeddedChannel child = new EmbeddedChannel();
                refused.add(child);
                server.writeInbound(child);
            }
            now.addAndGet(ClientConnectionLimiter.WARN_INTERVAL_NANOS - 1);
            server.writeInbound(new EmbeddedChannel());
            assertThat(warnings.list).hasSize(1);
            now.addAndGet(1);
            server.writeInbound(new EmbeddedChannel());

            assertThat(server.<Object>readInbound()).as("refused connections go no further").isNull();
            assertThat(refused).allSatisfy(child -> assertThat(child.isOpen()).isFalse());
            assertThat(limiter.rejectedTotal()).isEqualTo(7);
            assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "refused 1 client connection(s) since the last warning: 1 open, MAX_CONNECTIONS=1"
                            + " (1 refused since start)",
                    "refused 6 client connection(s) since the last warning: 1 open, MAX_CONNECTIONS=1"
                            + " (7 refused since start)");
            ((Channel) accepted).close();
            assertThat(limiter.open()).isZero();
        } finally {
            ((Logger) LoggerFactory.getLogger(ClientConnectionLimiter.class)).detachAppender(warnings);
            server.finishAndReleaseAll();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** One server channel per limiter given, each on 127.0.0.1 and a free port. */
    private List<Integer> serve(ClientConnectionLimiter... limiters) {
        List<Integer> ports = new ArrayList<>();
        for (ClientConnectionLimiter limiter : limiters) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(boss, children)
                    .channel(Transports.best().serverChannel())
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new LiveSockets(), limiter);
                        }
                    })
                    .childOption(ChannelOption.AUTO_READ, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            initialized.incrementAndGet();
                            ch.attr(REGISTERED).set(true);
                            maxLive.accumulateAndGet(live.incrementAndGet(), Math::max);
                            ch.pipeline().addLast(new CountingReader());
                        }
                    });
            Channel server = bootstrap.bind("127.0.0.1", 0).syncUninterruptibly().channel();
            ports.add(((InetSocketAddress) server.localAddress()).getPort());
        }
        return ports;
    }

    private Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        synchronized (clients) {
            clients.add(socket);
        }
        return socket;
    }

    private Socket connectAndSend(int port) throws IOException {
        Socket socket = connect(port);
        try {
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        } catch (SocketException e) {
            // a refused connection may be reset before the client writes
        }
        return socket;
    }

    /** True when the server closed (or reset) the connection; false when it is still open after a short read wait. */
    /** Whether the server closed the socket: waits up to {@link #TIMEOUT} for the close (a busy machine is slow). */
    private static boolean closedByServer(Socket socket) throws IOException {
        return closedByServer(socket, TIMEOUT);
    }

    /** Whether the server closed the socket within {@code wait}; for sockets that must stay open, a short wait. */
    private static boolean closedByServer(Socket socket, Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        try {
            InputStream in = socket.getInputStream();
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset: the refused socket still had "hello" unread when it was closed
        }
    }

    private static void closeAll(List<Socket> sockets) {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already closed by the server
            }
        }
    }

    private static ListAppender<ILoggingEvent> captureWarnings() {
        Logger logger = (Logger) LoggerFactory.getLogger(ClientConnectionLimiter.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
        return appender;
    }

    /**
     * Ahead of the limiter: gives each accepted socket a close listener that runs before the limiter's, so
     * {@link #live} drops before the slot is free and can only over-count what the limiter allows.
     */
    private final class LiveSockets extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            child.closeFuture().addListener(f -> {
                if (child.hasAttr(REGISTERED)) {
                    live.decrementAndGet();
                }
            });
            ctx.fireChannelRead(msg);
        }
    }

    @ChannelHandler.Sharable
    private final class CountingReader extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            bytesRead.addAndGet(((ByteBuf) msg).readableBytes());
            ReferenceCountUtil.release(msg);
        }
    }
}
