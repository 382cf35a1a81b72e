package dev.llmproxy.upstream;

import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.TestCertificates;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link PerEventLoopUpstreamPool} on its own, against a {@link FakeUpstream} over plain TCP and TLS: reuse order,
 * the connection bound and the waiters' queue, cancellation, connections the upstream closes while idle, connect
 * and handshake failures, fresh acquires, and closing the pool. Acquire and release run on the loop, as in the
 * proxy.
 */
class PerEventLoopUpstreamPoolTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoop loop = group.next();
    private FakeUpstream fake;
    private PerEventLoopUpstreamPool pool;

    @AfterEach
    void closeEverything() {
        if (pool != null) {
            pool.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (fake != null) {
            fake.close();
        }
    }

    private void start(boolean tls, int maxConnections, int maxPending) throws SSLException {
        fake = FakeUpstream.start(tls);
        fake.handler(FakeUpstream.json(200, "{\"ok\":true}"));
        pool = newPool(fake.baseUrl(), Optional.of(TestCertificates.caPemFile()), maxConnections,
                maxPending);
    }

    private static PerEventLoopUpstreamPool newPool(URI baseUrl, Optional<Path> trusted,
                                                    int maxConnections, int maxPending) throws SSLException {
        UpstreamTarget target = UpstreamTarget.of(baseUrl);
        SslContext tls = target.tls() ? UpstreamTls.clientContext(trusted) : null;
        return new PerEventLoopUpstreamPool(target, NioSocketChannel.class,
                new UpstreamChannelInitializer(target, tls, Duration.ofSeconds(5), Duration.ofSeconds(60)),
                DefaultAddressResolverGroup.INSTANCE, Duration.ofSeconds(5), maxConnections, maxPending);
    }

    // ------------------------------------------------------------------ reuse

    @Test
    void releasedConnectionsAreReusedMostRecentlyReleasedFirst() throws Exception {
        start(false, 8, 8);
        Channel a = acquire(false);
        Channel b = acquire(false);
        assertThat(a).isNotSameAs(b);

        release(a);
        release(b);
        assertThat(onLoop(pool::idleConnections)).isEqualTo(2);

        assertThat(acquire(false)).isSameAs(b);
        assertThat(acquire(false)).isSameAs(a);
        assertThat(onLoop(pool::idleConnections)).isZero();
        assertThat(onLoop(pool::openConnections)).isEqualTo(2);
        assertThat(fake.connectionsOpened()).isEqualTo(2);
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void aReleasedConnectionServesTheNextRequest(boolean tls) throws Exception {
        start(tls, 8, 8);
        Channel first = acquire(false);
        assertThat(roundTrip(first, "/one")).isEqualTo(200);
        release(first);

        Channel second = acquire(false);
        assertThat(second).isSameAs(first);
        assertThat(roundTrip(second, "/two")).isEqualTo(200);
        release(second);

        assertThat(fake.requests()).extracting(r -> r.connectionId()).containsExactly(1, 1);
        assertThat(fake.connectionsOpened()).isEqualTo(1);
        assertThat(UpstreamHandler.of(second).exchangesServed()).isEqualTo(2);
    }

    @Test
    void freshAcquireSkipsIdleConnections() throws Exception {
        start(false, 8, 8);
        Channel idle = acquire(false);
        release(idle);

        Channel fresh = acquire(true);

        assertThat(fresh).isNotSameAs(idle);
        assertThat(onLoop(pool::idleConnections)).isEqualTo(1);
        assertThat(onLoop(pool::openConnections)).isEqualTo(2);
        assertThat(acquire(false)).isSameAs(idle);
    }

    // ------------------------------------------------------------------ bounds and waiters

    @Test
    void withOneConnectionPerLoopASecondAcquireWaitsUntilTheFirstIsReleased() throws Exception {
        start(false, 1, 8);
        Channel first = acquire(false);
        Future<Channel> waiting = onLoop(() -> pool.acquire(loop, false));

        Thread.sleep(200); // nothing may hand it a connection meanwhile
        assertThat(waiting.isDone()).isFalse();
        assertThat(onLoop(pool::openConnections)).isEqualTo(1);

        release(first);

        assertThat(waiting.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isSameAs(first);
        assertThat(onLoop(pool::idleConnections)).isZero();
        assertThat(fake.connectionsOpened()).isEqualTo(1);
    }

    @Test
    void moreWaitersThanMaxPendingFailWithPoolExhausted() throws Exception {
        start(false, 1, 1);
        Channel first = acquire(false);
        Future<Channel> waiting = onLoop(() -> pool.acquire(loop, false));
        Future<Channel> refused = onLoop(() -> pool.acquire(loop, false));

        assertThat(refused.isDone()).isTrue();
        assertThat(refused.cause()).isInstanceOf(PoolExhaustedException.class);
        assertThat(waiting.isDone()).isFalse();

        release(first);
        assertThat(waiting.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isSameAs(first);
    }

    @Test
    void cancellingAWaitingAcquireWithdrawsIt() throws Exception {
        start(false, 1, 1);
        Channel first = acquire(false);
        Future<Channel> cancelled = onLoop(() -> pool.acquire(loop, false));
        assertThat(onLoop(() -> cancelled.cancel(false))).isTrue();

        // its place in the queue is free again...
        Future<Channel> next = onLoop(() -> pool.acquire(loop, false));
        assertThat(next.isDone()).as("waits instead of failing with PoolExhaustedException").isFalse();
        onLoop(() -> next.cancel(false));

        // ...and a released connection goes to the pool, not to a withdrawn waiter
        release(first);
        assertThat(cancelled.isCancelled()).isTrue();
        assertThat(onLoop(pool::idleConnections)).isEqualTo(1);
        assertThat(acquire(false)).isSameAs(first);
    }

    @Test
    void aConnectionThatArrivesForACancelledAcquireGoesToThePool() throws Exception {
        start(true, 8, 8);
        Future<Channel> cancelled = onLoop(() -> {
            Future<Channel> f = pool.acquire(loop, false);
            f.cancel(false); // before the connect (and handshake) can complete
            return f;
        });

        assertThat(cancelled.isCancelled()).isTrue();
        await().atMost(TIMEOUT).until(() -> onLoop(pool::idleConnections) == 1);
        assertThat(onLoop(pool::openConnections)).isEqualTo(1);
        Channel reused = acquire(false);
        assertThat(roundTrip(reused, "/after-cancel")).isEqualTo(200);
        assertThat(fake.connectionsOpened()).isEqualTo(1);
    }

    @Test
    void aWaiterGetsANewConnectionWhenABusyOneCloses() throws Exception {
        start(false, 1, 8);
        Channel first = acquire(false);
        Future<Channel> waiting = onLoop(() -> pool.acquire(loop, false));

        onLoop(() -> first.close());

        Channel second = waiting.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(second).isNotSameAs(first);
        assertThat(second.isActive()).isTrue();
        assertThat(onLoop(pool::openConnections)).isEqualTo(1);
    }

    // ------------------------------------------------------------------ connections that go away

    @Test
    void anIdleConnectionClosedByTheUpstreamLeavesThePool() throws Exception {
        start(false, 8, 8);
        AtomicReference<FakeUpstream.Exchange> served = new AtomicReference<>();
        fake.handler((request, exchange) -> {
            served.set(exchange);
            exchange.respondJson(200, "{}");
        });
        Channel first = acquire(false);
        assertThat(roundTrip(first, "/first")).isEqualTo(200);
        release(first);
        assertThat(onLoop(pool::idleConnections)).isEqualTo(1);

        served.get().close(); // the upstream ends its idle keep-alive connection

        await().atMost(TIMEOUT).until(() -> onLoop(pool::openConnections) == 0);
        assertThat(onLoop(pool::idleConnections)).isZero();
        assertThat(first.isOpen()).isFalse();
        Channel second = acquire(false);
        assertThat(second).isNotSameAs(first);
        assertThat(roundTrip(second, "/second")).isEqualTo(200);
        assertThat(fake.connectionsOpened()).isEqualTo(2);
    }

    @Test
    void connectFailureFailsTheAcquire() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        pool = newPool(URI.create("http://127.0.0.1:" + closedPort), Optional.empty(), 8, 8);

        Future<Channel> failed = onLoop(() -> pool.acquire(loop, false));
        failed.awaitUninterruptibly(TIMEOUT.toMillis());

        assertThat(failed.isSuccess()).isFalse();
        assertThat(failed.cause()).isInstanceOf(ConnectException.class);
        await().atMost(TIMEOUT).until(() -> onLoop(pool::openConnections) == 0);
    }

    @Test
    void tlsHandshakeFailureFailsTheAcquireAndClosesTheConnection() throws Exception {
        fake = FakeUpstream.start(true);
        pool = newPool(fake.baseUrl(), Optional.empty(), 8, 8); // platform CAs: the test certificate is untrusted

        Future<Channel> failed = onLoop(() -> pool.acquire(loop, false));
        failed.awaitUninterruptibly(TIMEOUT.toMillis());

        assertThat(failed.isSuccess()).isFalse();
        assertThat(failed.cause()).isInstanceOf(SSLException.class);
        await().atMost(TIMEOUT).until(() -> onLoop(pool::openConnections) == 0);
        await().atMost(TIMEOUT).until(() -> fake.openConnections() == 0);
    }

    @Test
    void closingThePoolClosesIdleConnectionsFailsWaitersAndRefusesAcquires() throws Exception {
        start(false, 2, 8);
        Channel idle = acquire(false);
        Channel busy = acquire(false);
        release(idle);
        Future<Channel> waiting = onLoop(() -> pool.acquire(loop, true)); // fresh, and the bound is reached: waits
        assertThat(waiting.isDone()).isFalse();

        pool.close();

        assertThat(waiting.isDone()).isTrue();
        assertThat(waiting.isSuccess()).isFalse();
        await().atMost(TIMEOUT).until(() -> !idle.isOpen());
        Future<Channel> refused = onLoop(() -> pool.acquire(loop, false));
        assertThat(refused.isSuccess()).isFalse();
        assertThat(refused.cause()).isInstanceOf(IllegalStateException.class);

        release(busy); // given back after the close: closed, not pooled
        await().atMost(TIMEOUT).until(() -> fake.openConnections() == 0);
        assertThat(busy.isOpen()).isFalse();
    }

    // ------------------------------------------------------------------ helpers

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Channel acquire(boolean fresh) throws Exception {
        Future<Channel> f = onLoop(() -> pool.acquire(loop, fresh));
        return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void release(Channel channel) throws Exception {
        onLoop(() -> {
            pool.release(channel);
            return null;
        });
    }

    /** One GET on {@code channel}, the way an exchange does it; returns the status once the body has ended. */
    private int roundTrip(Channel channel, String path) throws Exception {
        ResponseCollector collector = new ResponseCollector(channel);
        onLoop(() -> {
            UpstreamHandler.of(channel).bind(collector);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            request.headers().set(HttpHeaderNames.HOST, pool.target().hostHeader());
            channel.writeAndFlush(request);
            channel.read();
            return null;
        });
        return collector.done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reads one response on the loop, releasing every part; completes with the status at the last part. */
    private static final class ResponseCollector implements UpstreamListener {
        final Channel channel;
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        final StringBuilder body = new StringBuilder();
        int status;

        ResponseCollector(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void onUpstreamMessage(HttpObject message) {
            try {
                if (message instanceof HttpResponse head) {
                    status = head.status().code();
                }
                if (message instanceof HttpContent content) {
                    body.append(content.content().toString(StandardCharsets.UTF_8));
                }
                if (message instanceof LastHttpContent) {
                    done.complete(status);
                }
            } finally {
                ReferenceCountUtil.release(message);
            }
        }

        @Override
        public void onUpstreamReadComplete() {
            if (!done.isDone()) {
                channel.read();
            }
        }

        @Override
        public void onUpstreamClosed(Throwable cause) {
            done.completeExceptionally(cause != null ? cause : new ClosedChannelException());
        }
    }
}
