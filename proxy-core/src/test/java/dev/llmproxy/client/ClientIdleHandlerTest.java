package dev.llmproxy.client;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientIdleHandlerTest {
    private final List<Object> events = new ArrayList<>();
    private final List<ChannelPromise> promisesSeen = new ArrayList<>();
    private EmbeddedChannel channel;

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private void start(long timeoutMillis) {
        channel = new EmbeddedChannel(
                new ChannelOutboundHandlerAdapter() { // nearer the socket: sees the promise each write arrives with
                    @Override
                    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                        promisesSeen.add(promise);
                        ctx.write(msg, promise);
                    }
                },
                new ClientIdleHandler(Duration.ofMillis(timeoutMillis)),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        events.add(evt);
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                    }
                });
    }

    private void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aConnectionWithNoTrafficIsReportedIdleAfterTheTimeout() {
        start(1000);
        advance(999);
        assertThat(events).isEmpty();
        advance(1);
        assertThat(events).containsExactly(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }

    @Test
    void aReadStartsTheTimeoutAgain() {
        start(1000);
        advance(600);
        channel.writeInbound(Unpooled.copiedBuffer(new byte[] {1}));
        advance(600);
        assertThat(events).as("1.2 s after the start, 0.6 s after the read").isEmpty();
        advance(400);
        assertThat(events).hasSize(1);
    }

    @Test
    void aFlushedResponseStartsTheTimeoutAgain() {
        start(1000);
        advance(900);
        channel.writeAndFlush(Unpooled.copiedBuffer(new byte[] {1}), channel.voidPromise());
        advance(900);
        assertThat(events).isEmpty();
        advance(100);
        assertThat(events).hasSize(1);
        channel.releaseOutbound();
    }

    @Test
    void theNextEventComesAFullPeriodLater() {
        start(1000);
        advance(1000);
        advance(999);
        assertThat(events).hasSize(1);
        advance(1);
        assertThat(events).hasSize(2);
    }

    @Test
    void writesKeepTheirVoidPromise() {
        start(1000);
        channel.write(Unpooled.copiedBuffer(new byte[] {1}), channel.voidPromise());
        channel.writeAndFlush(Unpooled.copiedBuffer(new byte[] {2}), channel.voidPromise());
        channel.releaseOutbound();
        assertThat(promisesSeen).hasSize(2).allMatch(ChannelPromise::isVoid);
    }

    @Test
    void aClosedConnectionStopsTheCheck() {
        start(1000);
        channel.close();
        advance(5000);
        assertThat(events).isEmpty();
    }

    @Test
    void aTimeoutMustBePositive() {
        assertThatThrownBy(() -> new ClientIdleHandler(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }
}
