package dev.llmproxy.demo;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Routes each request of one demo-upstream connection to chat, embeddings, the model list or the TTS engine at
 * {@code /?text=…}, and answers it.
 *
 * <p>One response is written at a time: auto-read is off, the socket is read again only once the previous response
 * is on the wire, and requests a client pipelined meanwhile wait in a small queue, answered in order. (Not Netty's
 * FlowControlHandler: in 4.2 it counts a {@code read()} issued while a response completes synchronously inside
 * {@code channelRead} as satisfied by that read cycle's {@code channelReadComplete}, which stalls keep-alive here.)
 *
 * <p>Threading: one instance per connection, confined to its event loop. Each request is parsed synchronously and
 * released right after; queued requests are released when the channel goes inactive or the handler is removed.
 */
final class DemoRequestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(DemoRequestHandler.class);
    private static final String V1 = "/v1";
    /** Pipelined requests a client may queue behind the one being answered; more closes the connection. */
    static final int MAX_PIPELINED = 16;

    private final DemoModels models;
    private final long tokenDelayNanos;
    private final AtomicInteger streamsInFlight;
    private final ArrayDeque<FullHttpRequest> pending = new ArrayDeque<>();
    /** A response is being written; the next request waits. */
    private boolean busy;
    private boolean draining;
    private final DemoTts tts;
    private final DemoAudioGauges audioGauges;
    private final DemoPacers pacers;
    private DemoChatStream stream;
    private DemoAudioStream audio;

    DemoRequestHandler(DemoModels models, long tokenDelayNanos, AtomicInteger streamsInFlight, DemoTts tts,
                       DemoAudioGauges audioGauges, DemoPacers pacers) {
        this.models = models;
        this.pacers = pacers;
        this.tokenDelayNanos = tokenDelayNanos;
        this.streamsInFlight = streamsInFlight;
        this.tts = tts;
        this.audioGauges = audioGauges;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (pending.size() >= MAX_PIPELINED) {
            request.release();
            log.debug("demo upstream: closing {}: more than {} pipelined requests", ctx.channel(), MAX_PIPELINED);
            ctx.close();
            return;
        }
        pending.add(request);
        drain(ctx);
    }

    /**
     * Answers queued requests while no response is being written, then asks the socket for more. A loop, not
     * recursion: a response that completes synchronously comes back here through {@link #responseDone}.
     */
    private void drain(ChannelHandlerContext ctx) {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (!busy) {
                FullHttpRequest request = pending.poll();
                if (request == null) {
                    ctx.read();
                    return;
                }
                busy = true;
                try {
                    handle(ctx, request);
                } finally {
                    request.release();
                }
            }
        } finally {
            draining = false;
        }
    }

    private void responseDone(ChannelHandlerContext ctx) {
        busy = false;
        drain(ctx);
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, DemoResponses.error(ctx.alloc(), ProxyError.of(ErrorKind.BAD_HTTP_REQUEST)), false);
            return;
        }
        // HTTP/1.0 has no chunked encoding: close-delimit every response there.
        boolean keepAlive = HttpUtil.isKeepAlive(request) && request.protocolVersion() != HttpVersion.HTTP_1_0;
        String path = path(request.uri());
        try {
            if (DemoTts.isTtsUri(request.uri())) {
                tts(ctx, request, keepAlive);
                return;
            }
            switch (path) {
                case "/chat/completions" -> {
                    if (allowed(ctx, request, HttpMethod.POST, keepAlive)) {
                        chat(ctx, request, keepAlive);
                    }
                }
                case "/embeddings" -> {
                    if (allowed(ctx, request, HttpMethod.POST, keepAlive)) {
                        embeddings(ctx, request, keepAlive);
                    }
                }
                case "/models" -> {
                    if (allowed(ctx, request, HttpMethod.GET, keepAlive)) {
                        respond(ctx, models.answer(ctx.alloc(), request.uri()), keepAlive);
                    }
                }
                default -> respond(ctx, DemoResponses.error(ctx.alloc(), ProxyError.of(ErrorKind.NOT_FOUND,
                        "no such endpoint on the demo upstream: " + request.method() + " " + path)),
                        keepAlive);
            }
        } catch (DemoRequestException e) {
            respond(ctx, DemoResponses.error(ctx.alloc(), e.error()), keepAlive);
        }
    }

    /** Bench and test control: milliseconds to wait before answering (the upstream's own latency). */
    static final String DELAY_HEADER = "x-demo-delay-ms";
    /** Bench and test control: milliseconds between two streamed tokens, instead of the configured pacing. */
    static final String TOKEN_DELAY_HEADER = "x-demo-token-delay-ms";
    /** Bench and test control: answer with this status (400..599) and an OpenAI error envelope instead. */
    static final String STATUS_HEADER = "x-demo-status";
    /** Bench and test control: a streamed reply of exactly this many tokens (1..100000), words repeated. */
    static final String TOKENS_HEADER = "x-demo-tokens";
    /** Bench and test control: close the connection after this many streamed tokens, mid-stream, without an end. */
    static final String CLOSE_AFTER_HEADER = "x-demo-close-after";
    private static final long MAX_HEADER_DELAY_MS = 60_000;
    private static final long MAX_TOKENS_HEADER = 100_000;

    private void chat(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        DemoChatRequest chat = DemoChatRequest.parse(request.content());
        long delayMs = millisHeader(request, DELAY_HEADER, 0);
        long pacing = request.headers().contains(TOKEN_DELAY_HEADER)
                ? TimeUnit.MILLISECONDS.toNanos(millisHeader(request, TOKEN_DELAY_HEADER, 0)) : tokenDelayNanos;
        DemoFaults faults = new DemoFaults((int) rangeHeader(request, STATUS_HEADER, 400, 599, 0),
                (int) rangeHeader(request, TOKENS_HEADER, 1, MAX_TOKENS_HEADER, 0),
                (int) rangeHeader(request, CLOSE_AFTER_HEADER, 0, MAX_TOKENS_HEADER, -1));
        HttpVersion version = request.protocolVersion();
        if (delayMs == 0) {
            answerChat(ctx, chat, faults, version, pacing, keepAlive);
        } else {
            ctx.executor().schedule(() -> answerChat(ctx, chat, faults, version, pacing, keepAlive), delayMs,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** A header holding an integer in {@code min..max}, or {@code fallback} when absent. */
    private static long rangeHeader(FullHttpRequest request, String name, long min, long max, long fallback) {
        String value = request.headers().get(name);
        if (value == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DemoRequestException(ProxyError.of(ErrorKind.INVALID_PARAMETER,
                name + ": " + value + " (expected: an integer, " + min + ".." + max + ")"));
    }

    /** A {@code 0..60000} millisecond header, or {@code fallback} when absent. */
    private static long millisHeader(FullHttpRequest request, String name, long fallback) {
        String value = request.headers().get(name);
        if (value == null) {
            return fallback;
        }
        try {
            long ms = Long.parseLong(value.trim());
            if (ms >= 0 && ms <= MAX_HEADER_DELAY_MS) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DemoRequestException(ProxyError.of(ErrorKind.INVALID_PARAMETER,
                name + ": " + value + " (expected: milliseconds, 0.." + MAX_HEADER_DELAY_MS + ")"));
    }

    private void answerChat(ChannelHandlerContext ctx, DemoChatRequest chat, DemoFaults faults, HttpVersion version,
                            long pacingNanos, boolean keepAlive) {
        if (!ctx.channel().isActive()) {
            return; // the client left during the delay
        }
        if (!models.isKnown(chat.model())) {
            respond(ctx, DemoResponses.unknownModel(ctx.alloc(), chat.model()), keepAlive);
            return;
        }
        if (faults.status() != 0) {
            respond(ctx, faults.errorResponse(ctx.alloc()), keepAlive);
            return;
        }
        DemoReply reply = DemoReply.of(chat, faults.tokens());
        String id = DemoChatCompletion.newId();
        long created = DemoChatCompletion.nowSeconds();
        if (!chat.stream()) {
            respond(ctx, DemoResponses.ok(DemoChatCompletion.body(ctx.alloc(), id, created, chat, reply)), keepAlive);
            return;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_EVENT_STREAM)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        DemoResponses.upstreamHeaders(head.headers());
        HttpUtil.setKeepAlive(head, keepAlive);
        if (version != HttpVersion.HTTP_1_0) {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
        DemoChatChunks chunks = new DemoChatChunks(id, created, chat.model(), chat.includeUsage(), reply.tokens());
        stream = new DemoChatStream(ctx, pacers.on(ctx.executor()), chunks, reply, chat.includeUsage(), pacingNanos,
                faults.closeAfter(), streamsInFlight,
                last -> {
                    stream = null;
                    afterResponse(ctx, last, keepAlive);
                });
        stream.start(head);
    }

    private void embeddings(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        DemoEmbeddings embeddings = DemoEmbeddings.parse(request.content());
        if (!models.isKnown(embeddings.model())) {
            respond(ctx, DemoResponses.unknownModel(ctx.alloc(), embeddings.model()), keepAlive);
            return;
        }
        respond(ctx, DemoResponses.ok(embeddings.render(ctx.alloc())), keepAlive);
    }

    /**
     * The TTS engine: OPTIONS lists the methods; GET streams the planned bytes, generated as the socket takes them;
     * HEAD, 304 and 416 are complete responses.
     */
    private void tts(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        HttpMethod method = request.method();
        if (HttpMethod.OPTIONS.equals(method)) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER);
            response.headers().set(HttpHeaderNames.ALLOW, DemoTts.ALLOW);
            respond(ctx, response, keepAlive);
            return;
        }
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            FullHttpResponse response = DemoResponses.error(ctx.alloc(), ProxyError.of(ErrorKind.METHOD_NOT_ALLOWED,
                    "method " + method + " not allowed (expected: " + DemoTts.ALLOW + ")"));
            response.headers().set(HttpHeaderNames.ALLOW, DemoTts.ALLOW);
            respond(ctx, response, keepAlive);
            return;
        }
        DemoTtsAnswer answer = tts.answer(request);
        if (HttpMethod.GET.equals(method) && answer.range() != null) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, answer.status(), answer.headers());
            HttpUtil.setKeepAlive(head, keepAlive);
            audio = new DemoAudioStream(ctx, answer.wav(), answer.range(), audioGauges, last -> {
                audio = null;
                afterResponse(ctx, last, keepAlive);
            });
            audio.start(head);
            return;
        }
        // HEAD (the codec then writes the headers only, Content-Length kept), 304 and 416.
        ByteBuf content = answer.body() == null || HttpMethod.HEAD.equals(method)
                ? Unpooled.EMPTY_BUFFER
                : ctx.alloc().buffer(answer.body().length).writeBytes(answer.body());
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(), content,
                answer.headers(), EmptyHttpHeaders.INSTANCE);
        respond(ctx, response, keepAlive);
    }

    /** Answers 405 with {@code Allow} unless the request uses {@code method}. */
    private boolean allowed(ChannelHandlerContext ctx, FullHttpRequest request, HttpMethod method, boolean keepAlive) {
        if (method.equals(request.method())) {
            return true;
        }
        FullHttpResponse response = DemoResponses.error(ctx.alloc(), ProxyError.of(ErrorKind.METHOD_NOT_ALLOWED,
                "method " + request.method() + " not allowed (expected: " + method + ")"));
        response.headers().set(HttpHeaderNames.ALLOW, method.asciiName());
        respond(ctx, response, keepAlive);
        return false;
    }

    private void respond(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        HttpUtil.setKeepAlive(response, keepAlive);
        afterResponse(ctx, ctx.writeAndFlush(response), keepAlive);
    }

    /** Takes the next request once this response is on the wire; closes instead when the exchange ends the connection. */
    private void afterResponse(ChannelHandlerContext ctx, ChannelFuture written, boolean keepAlive) {
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        written.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                responseDone(ctx);
            } else {
                f.channel().close();
            }
        });
    }

    /** The path without query, with an optional {@code /v1} prefix removed. */
    static String path(String uri) {
        int end = uri.length();
        int query = uri.indexOf('?');
        if (query >= 0) {
            end = query;
        }
        int fragment = uri.indexOf('#');
        if (fragment >= 0 && fragment < end) {
            end = fragment;
        }
        String path = uri.substring(0, end);
        if (path.startsWith(V1 + "/")) {
            return path.substring(V1.length());
        }
        return path;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            if (audio != null) {
                audio.resume();
            }
            if (stream != null) {
                stream.resume();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (stream != null) {
            stream.cancel();
            stream = null;
        }
        if (audio != null) {
            audio.cancel();
            audio = null;
        }
        releasePending();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePending();
    }

    private void releasePending() {
        FullHttpRequest request;
        while ((request = pending.poll()) != null) {
            request.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            // A client resetting its connection is ordinary life for an upstream, not a fault.
            log.debug("demo upstream: connection {} failed: {}", ctx.channel(), cause.toString());
        } else {
            log.warn("demo upstream: closing connection {} after an unexpected error", ctx.channel(), cause);
        }
        ctx.close();
    }
}
