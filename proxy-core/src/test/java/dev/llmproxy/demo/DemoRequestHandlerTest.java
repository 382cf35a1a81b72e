package dev.llmproxy.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-connection handler on a frozen clock: pacing, cancellation and ordering without real time. */
class DemoRequestHandlerTest {
    private static final long DELAY_MILLIS = 100;
    private static final String MODEL = "gpt-4o-mini";

    private final AtomicInteger streamsInFlight = new AtomicInteger();
    /** Writes and flushes that reached the head of the pipeline. */
    private final AtomicInteger writes = new AtomicInteger();
    private final AtomicInteger flushes = new AtomicInteger();
    private final EmbeddedChannel channel = newChannel();

    private EmbeddedChannel newChannel() {
        ChannelOutboundHandlerAdapter countFlushes = new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                writes.incrementAndGet();
                ctx.write(msg, promise);
            }

            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes.incrementAndGet();
                ctx.flush();
            }
        };
        EmbeddedChannel ch = new EmbeddedChannel(countFlushes, DemoServerHeaderHandler.INSTANCE, new DemoRequestHandler(
                DemoModels.of(DemoModels.DEFAULT), Duration.ofMillis(DELAY_MILLIS).toNanos(), streamsInFlight,
                new DemoTts(Instant.EPOCH), new DemoAudioGauges(), new DemoPacers()));
        ch.freezeTime();
        return ch;
    }

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    @Test
    void writesEachTokenWhenItsDelayHasPassed() {
        channel.writeInbound(chat(",\"stream\":true,\"max_tokens\":3"));

        List<Object> start = drainOutbound();
        assertThat(start).hasSize(2);
        assertThat(start.get(0)).isInstanceOf(HttpResponse.class);
        assertThat(text(start.get(1))).contains("\"role\":\"assistant\"");
        release(start);

        channel.advanceTimeBy(DELAY_MILLIS - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(drainOutbound()).isEmpty();

        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        List<Object> first = drainOutbound();
        assertThat(first).hasSize(1);
        assertThat(text(first.get(0))).contains("\"content\":\"Hello! \"");
        release(first);

        channel.advanceTimeBy(DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        release(drainOutbound());
        channel.advanceTimeBy(DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        List<Object> end = drainOutbound();
        assertThat(end).hasSize(3); // the third token, the finish event, [DONE] as the last content
        assertThat(text(end.get(1))).contains("\"finish_reason\":\"length\"");
        assertThat(end.get(2)).isInstanceOf(LastHttpContent.class);
        assertThat(text(end.get(2))).isEqualTo("data: [DONE]\n\n");
        release(end);
        assertThat(streamsInFlight).hasValue(0);
        assertThat(channel.runScheduledPendingTasks()).as("nothing left scheduled").isEqualTo(-1);
    }

    @Test
    void cancelsTheScheduledTokenAtOnceWhenTheClientGoesAway() {
        channel.writeInbound(chat(",\"stream\":true"));
        release(drainOutbound());
        assertThat(streamsInFlight).hasValue(1);

        channel.close();

        assertThat(streamsInFlight).hasValue(0);
        assertThat(channel.runScheduledPendingTasks()).as("the next token's task was cancelled").isEqualTo(-1);
        channel.advanceTimeBy(DELAY_MILLIS * 100, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(drainOutbound()).isEmpty();
    }

    @Test
    void writesNothingIntoAChannelThatIsNotWritableAndCatchesUpInOrderOnceItDrains() {
        channel.writeInbound(chat(",\"stream\":true,\"max_tokens\":5"));
        release(drainOutbound());
        // The client stops reading: the channel's outbound buffer is over its high water mark.
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        channel.runPendingTasks();
        assertThat(channel.isWritable()).isFalse();

        channel.advanceTimeBy(3 * DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(drainOutbound()).as("three tokens due, none written").isEmpty();
        channel.advanceTimeBy(100 * DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(drainOutbound()).as("still nothing, however long it waits").isEmpty();
        assertThat(channel.runScheduledPendingTasks()).as("a parked stream keeps no timer").isEqualTo(-1);
        assertThat(streamsInFlight).hasValue(1);

        int flushesBefore = flushes.get();
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        channel.runPendingTasks();
        channel.runScheduledPendingTasks();
        List<Object> caughtUp = drainOutbound();
        assertThat(caughtUp).hasSize(7); // five tokens, the finish event, [DONE]
        assertThat(text(caughtUp.get(0))).contains("\"content\":\"Hello! \"");
        assertThat(caughtUp.get(6)).isInstanceOf(LastHttpContent.class);
        assertThat(flushes.get() - flushesBefore).as("everything due went out in one flush").isEqualTo(1);
        release(caughtUp);
        assertThat(streamsInFlight).hasValue(0);
    }

    @Test
    void aClientThatReadsNothingGetsAtMostOneEventPastTheHighWaterMark() {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2)); // one unsent event is too many
        channel.writeInbound(chat(",\"stream\":true,\"max_tokens\":50"));
        release(drainOutbound());
        // A peer that reads nothing: what is written stays in the channel's outbound buffer.
        channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                // never reaches the socket
            }
        });
        int writesBefore = writes.get();

        channel.advanceTimeBy(10 * DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.advanceTimeBy(100 * DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat(channel.isWritable()).isFalse();
        assertThat(writes.get() - writesBefore).as("the event that crossed the mark, then nothing").isEqualTo(1);
        assertThat(channel.runScheduledPendingTasks()).as("a parked stream keeps no timer").isEqualTo(-1);
        assertThat(streamsInFlight).hasValue(1);
    }

    @Test
    void writesEachTickOfTokensInOneFlush() {
        channel.writeInbound(chat(",\"stream\":true,\"max_tokens\":3"));
        release(drainOutbound());
        int atStart = flushes.get();

        channel.advanceTimeBy(DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(flushes.get() - atStart).as("one token, one flush").isEqualTo(1);
        release(drainOutbound());

        // The loop was late: the second and third tokens are both due, then the end.
        channel.advanceTimeBy(2 * DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        List<Object> end = drainOutbound();
        assertThat(end).hasSize(4); // two tokens, the finish event, [DONE]
        assertThat(text(end.get(0))).contains("\"content\":");
        assertThat(text(end.get(1))).contains("\"content\":");
        assertThat(flushes.get() - atStart).as("the late tokens and the end in one more flush").isEqualTo(2);
        release(end);
    }

    @Test
    void answersAPipelinedRequestOnlyAfterTheStreamBeforeItEnded() {
        channel.writeInbound(chat(",\"stream\":true,\"max_tokens\":2"), get("/v1/models"));
        List<Object> start = drainOutbound();
        assertThat(start).hasSize(2).noneMatch(m -> m instanceof FullHttpResponse);
        release(start);

        channel.advanceTimeBy(2 * DELAY_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        List<Object> rest = drainOutbound();
        int done = indexOf(rest, m -> m instanceof LastHttpContent && !(m instanceof FullHttpResponse));
        int models = indexOf(rest, m -> m instanceof FullHttpResponse);
        assertThat(done).isNotNegative();
        assertThat(models).isGreaterThan(done);
        assertThat(text(rest.get(models))).contains(MODEL);
        release(rest);
    }

    @Test
    void releasesQueuedRequestsWhenTheConnectionCloses() {
        FullHttpRequest queued = get("/models");
        channel.writeInbound(chat(",\"stream\":true"), queued);
        release(drainOutbound());
        assertThat(queued.refCnt()).as("waiting behind the stream").isEqualTo(1);

        channel.close();

        assertThat(queued.refCnt()).isZero();
    }

    @Test
    void stampsTheServerHeaderOnEveryResponse() {
        channel.writeInbound(get("/nowhere"));
        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(404);
            assertThat(response.headers().get("server")).isEqualTo("llm-proxy-demo-upstream");
        } finally {
            response.release();
        }
    }

    @Test
    void answersTheAskedErrorStatusInTheOpenAiEnvelope() {
        FullHttpRequest request = chat(",\"stream\":true");
        request.headers().set(DemoRequestHandler.STATUS_HEADER, "503");
        channel.writeInbound(request);

        List<Object> out = drainOutbound();
        assertThat(out).hasSize(1);
        FullHttpResponse response = (FullHttpResponse) out.get(0);
        assertThat(response.status().code()).isEqualTo(503);
        assertThat(response.content().toString(StandardCharsets.UTF_8))
                .contains("\"type\":\"server_error\"").contains("x-demo-status");
        release(out);
    }

    @Test
    void refusesAStatusOutsideTheErrorRange() {
        FullHttpRequest request = chat("");
        request.headers().set(DemoRequestHandler.STATUS_HEADER, "200");
        channel.writeInbound(request);

        List<Object> out = drainOutbound();
        assertThat(((FullHttpResponse) out.get(0)).status().code()).isEqualTo(400);
        release(out);
    }

    @Test
    void streamsExactlyTheAskedNumberOfTokens() {
        FullHttpRequest request = chat(",\"stream\":true,\"max_tokens\":1000");
        request.headers().set(DemoRequestHandler.TOKENS_HEADER, "300");
        request.headers().set(DemoRequestHandler.TOKEN_DELAY_HEADER, "0");
        channel.writeInbound(request);

        List<Object> out = drainOutbound();
        long tokens = out.stream().filter(m -> m instanceof HttpContent && text(m).contains("\"content\":\"")
                && !text(m).contains("\"role\"")).count();
        assertThat(tokens).isEqualTo(300);
        assertThat(out.get(out.size() - 1)).isInstanceOf(LastHttpContent.class);
        release(out);
    }

    @Test
    void dropsTheConnectionMidStreamWhereAsked() {
        FullHttpRequest request = chat(",\"stream\":true");
        request.headers().set(DemoRequestHandler.CLOSE_AFTER_HEADER, "3");
        request.headers().set(DemoRequestHandler.TOKEN_DELAY_HEADER, "0");
        channel.writeInbound(request);

        List<Object> out = drainOutbound();
        assertThat(out).hasSize(5); // the head, the role event, three tokens; no end
        assertThat(out).noneMatch(m -> m instanceof LastHttpContent);
        assertThat(channel.isOpen()).isFalse();
        assertThat(streamsInFlight).hasValue(0);
        release(out);
    }

    private static FullHttpRequest chat(String extraFields) {
        String body = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                + extraFields + "}";
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/chat/completions", content);
    }

    private static FullHttpRequest get(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.buffer(0));
    }

    private List<Object> drainOutbound() {
        List<Object> out = new ArrayList<>();
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            out.add(msg);
        }
        return out;
    }

    private static String text(Object msg) {
        return ((HttpContent) msg).content().toString(StandardCharsets.UTF_8);
    }

    private static int indexOf(List<Object> messages, java.util.function.Predicate<Object> test) {
        for (int i = 0; i < messages.size(); i++) {
            if (test.test(messages.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static void release(List<Object> messages) {
        messages.forEach(ReferenceCountUtil::release);
    }
}
