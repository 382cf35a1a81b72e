package dev.llmproxy.client;

import dev.llmproxy.routes.OffLoop;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.exchange.ExchangeRecord;
import dev.llmproxy.exchange.LegacyCompletionConverter;
import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.exchange.UpstreamCall;
import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.OpenAiRequests;
import dev.llmproxy.openai.Operation;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.routes.LocalRequest;
import dev.llmproxy.routes.LocalRoute;
import dev.llmproxy.routes.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.CompletionStage;

/**
 * The router of one client connection: reads one request at a time (head, then its body up to the cap), answers
 * local routes itself and hands proxied ones to a {@link ForwardedRequest}, which answers through this handler (an
 * error, a whole response, or its exchange's stream) and says when it is done. The next request is read only after
 * the current response is complete, so pipelined requests are answered in order; each request ends here
 * ({@code finishRecord}: the access log line and the one telemetry sample).
 *
 * <p>While a response is in progress one read stays outstanding, so a client that disconnects is noticed at once
 * (and its upstream call cancelled) even when the proxy has nothing to write yet; a pipelined request that arrives
 * meanwhile is parked until its turn.
 *
 * <p>Threading: one instance per connection, confined to its event loop.
 */
final class ClientRequestHandler extends ChannelInboundHandlerAdapter implements ClientResponder {
    private static final Logger log = LoggerFactory.getLogger(ClientRequestHandler.class);
    /** Compressed bodies up to this size decode on the event loop (tens of microseconds); larger ones on a worker. */
    private static final int INLINE_DECODE_BYTES = 16 * 1024;

    private enum State { AWAIT_REQUEST, READING_BODY, RESPONDING, CLOSED }

    private final ClientServices services;
    private final ModelGuard guard;
    private final AccessLog accessLog;
    private final BridgedEndpoints bridged;
    private final StoredResponses storedResponses;
    private final ConvenienceEndpoints convenience;
    private final ArrayDeque<Object> parked = new ArrayDeque<>(2);
    private ChannelHandlerContext ctx;
    private State state = State.AWAIT_REQUEST;
    private boolean inReadCycle;

    // the request in progress
    private HttpRequest request;
    private RouteMatch match;
    private RequestBody body;
    private ExchangeRecord record;
    private boolean keepAlive;
    private String clientIp;
    private int upstreamActiveOnArrival = -1;
    private int upstreamQueueOnArrival;
    /** The request once its body is read and it goes upstream, or null (a local route, or not that far yet). */
    private ForwardedRequest forwarded;
    /** The request body's {@code Content-Encoding} still to undo, or null. */
    private String contentEncoding;
    /** The configured client whose key the request carries, or null (no {@code clients:}). */
    private ClientSpec client;

    ClientRequestHandler(ClientServices services, AccessLog accessLog) {
        this.services = services;
        this.guard = new ModelGuard(services);
        this.accessLog = accessLog;
        this.bridged = new BridgedEndpoints(services);
        this.storedResponses = new StoredResponses(services);
        this.convenience = new ConvenienceEndpoints(services);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        services.connections().add(ctx.channel());
        requestRead();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inReadCycle = true;
        if (state == State.RESPONDING || state == State.CLOSED) {
            if (state == State.CLOSED) {
                ReferenceCountUtil.release(msg);
            } else {
                parked.add(msg); // a pipelined request (or stray body bytes): its turn comes after this response
            }
            return;
        }
        handle(msg);
    }

    private void handle(Object msg) {
        process(msg);
        requestRead();
    }

    private void process(Object msg) {
        try {
            if (msg instanceof HttpRequest head) {
                onRequestHead(head);
            }
            if (msg instanceof HttpContent part && state == State.READING_BODY) {
                onBodyPart(part);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inReadCycle = false;
        if (wantsMessage()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    /**
     * Ready for the next message: a request head or body part, or — while responding — a sign of life from the client
     * (its disconnect, or a pipelined request to park).
     */
    private boolean wantsMessage() {
        return state == State.AWAIT_REQUEST || state == State.READING_BODY
                || (state == State.RESPONDING && parked.isEmpty());
    }

    /**
     * Asks for the next message when this handler wants one. Inside a read cycle the read is asked for at the cycle's
     * end ({@link #channelReadComplete}): the {@link io.netty.handler.flow.FlowControlHandler} folds every read asked
     * for during a cycle into that cycle's end, so one asked for earlier would be lost.
     */
    private void requestRead() {
        if (!inReadCycle && wantsMessage()) {
            ctx.read();
        }
    }

    // ---------------------------------------------------------------- request

    private void onRequestHead(HttpRequest head) {
        long now = System.nanoTime();
        request = head;
        match = head.decoderResult().isSuccess() ? services.router().match(head.uri()) : RouteMatch.NONE;
        record = new ExchangeRecord(now, head.method().name(), match.found() ? match.route().template() : "other");
        keepAlive = HttpUtil.isKeepAlive(head) && !services.connections().draining();
        services.connections().requestStarted();
        state = State.READING_BODY;
        boolean bodyExpected = HttpUtil.isContentLengthSet(head) ? HttpUtil.getContentLength(head, 0L) > 0
                : HttpUtil.isTransferEncodingChunked(head);

        HttpConformance.Violation violation = HttpConformance.check(head);
        if (violation != null) {
            keepAlive = false;
            head.setProtocolVersion(violation.responseVersion());
            respondEarly(violation.error(), null, true);
            return;
        }
        Route route = match.route();
        clientIp = ClientIdentity.ip(ctx.channel(), head.headers(), services.config().admission().trustProxy());
        if (Router.path(head.uri()).startsWith("/v1/")) {
            upstreamActiveOnArrival = services.admission().active();
            upstreamQueueOnArrival = services.admission().queued();
        }
        client = services.auth().identify(head.headers());
        boolean keyed = client != null || services.auth().authorized(head.headers())
                || (route == Route.TTS && services.auth().isClientKey(TtsRequests.queryKey(head.uri())));
        if ((route == null ? isApiPath(head.uri()) : route.needsClientKey()) && !keyed) {
            // a wrong key counts against the IP's flood guard, so guessing keys is throttled like any flood
            ProxyError flood = services.admission().checkFlood(clientIp);
            respondEarly(flood != null ? flood : ProxyError.of(ErrorKind.PROXY_KEY_INVALID), null, bodyExpected);
            return;
        }
        if (route == null) {
            respondEarly(ProxyError.of(ErrorKind.NOT_FOUND, "Unknown endpoint: " + head.method().name() + " "
                    + abbreviate(Router.path(head.uri()))), null, bodyExpected);
            return;
        }
        if (HttpMethod.OPTIONS.equals(head.method())) {
            FullHttpResponse allow = new DefaultFullHttpResponse(head.protocolVersion(), HttpResponseStatus.NO_CONTENT);
            allow.headers().set(HttpHeaderNames.ALLOW, route.allowHeader());
            keepAlive &= !bodyExpected;
            state = State.RESPONDING;
            writeResponse(allow);
            return;
        }
        if (!route.allows(head.method())) {
            respondEarly(ProxyError.of(ErrorKind.METHOD_NOT_ALLOWED, "Method " + head.method().name()
                    + " is not allowed on " + route.template()), route.allowHeader(), bodyExpected);
            return;
        }
        if (route.proxied()) {
            ProxyError flood = services.admission().checkFlood(clientIp);
            if (flood != null) {
                respondEarly(flood, null, bodyExpected);
                return;
            }
            String coding = RequestBodyDecoder.contentEncoding(head.headers());
            if (!RequestBodyDecoder.isIdentity(coding)) {
                ProxyError unsupported = services.bodyDecoder().check(coding);
                if (unsupported != null) {
                    respondEarly(unsupported, null, bodyExpected);
                    return;
                }
                contentEncoding = coding;
            }
            String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
            if (type != null && !isJson(type)) {
                respondEarly(ProxyError.of(ErrorKind.UNSUPPORTED_MEDIA_TYPE,
                        "request body must be application/json, not " + abbreviate(type)), null, bodyExpected);
                return;
            }
        }
        int cap = services.config().server().maxRequestBodyBytes();
        if (HttpUtil.getContentLength(head, 0L) > cap) {
            respondEarly(tooLarge(cap), null, true);
            return;
        }
        if (HttpUtil.is100ContinueExpected(head)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(head.protocolVersion(), HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        } else if (head.headers().contains(HttpHeaderNames.EXPECT)) {
            respondEarly(ProxyError.of(ErrorKind.EXPECTATION_FAILED), null, true);
            return;
        }
        body = new RequestBody(ctx.alloc(), cap);
    }

    private void onBodyPart(HttpContent part) {
        if (part.decoderResult().isFailure()) {
            keepAlive = false;
            respondEarly(ProxyError.of(ErrorKind.BAD_HTTP_REQUEST, "malformed request body framing"), null);
            return;
        }
        if (!body.add(part.content())) {
            respondEarly(tooLarge(services.config().server().maxRequestBodyBytes()), null, true);
            return;
        }
        if (part instanceof LastHttpContent) {
            dispatch();
        }
    }

    private static ProxyError tooLarge(int cap) {
        return ProxyError.of(ErrorKind.REQUEST_TOO_LARGE, "Request too large. Maximum size is " + cap + " bytes");
    }

    /** The whole request is here: answer locally or start the upstream exchange. */
    private void dispatch() {
        state = State.RESPONDING;
        if (contentEncoding != null) {
            decodeThenDispatch();
            return;
        }
        Route route = match.route();
        if (route.proxied() || route == Route.TTS) {
            forwarded = new ForwardedRequest(services, guard, this, request, record, client, clientIp);
        }
        if (route == Route.TTS) {
            startTts();
            return;
        }
        if (route == Route.SIMPLE_CHAT || route == Route.TEST_MODEL || route == Route.UNIVERSAL_PROXY) {
            convenience.start(route, takeBody(), forwarded);
            return;
        }
        if (route == Route.RESPONSE_ITEM) {
            storedResponses.start(match.pathArg(), takeBody(), forwarded);
            return;
        }
        if (route == Route.RESPONSES || route == Route.MESSAGES || route == Route.MESSAGES_COUNT_TOKENS) {
            bridged.start(route, takeBody(), forwarded);
            return;
        }
        if (!route.proxied()) {
            ByteBuf raw = body.take();
            body = null;
            byte[] bytes = ByteBufUtil.getBytes(raw);
            raw.release();
            LocalRoute local = services.localRoutes().get(route);
            ExchangeRecord forRequest = record;
            LocalRequest localRequest = new LocalRequest(request, match.pathArg(), bytes,
                    ClientIdentity.of(request.headers(), clientIp));
            CompletionStage<FullHttpResponse> answer;
            try {
                answer = local.respondAsync(localRequest);
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((response, failure) -> {
                if (ctx.executor().inEventLoop()) {
                    writeLocal(forRequest, route, response, failure);
                } else {
                    ctx.executor().execute(() -> writeLocal(forRequest, route, response, failure));
                }
            });
            return;
        }
        startExchange(route.operation());
    }

    /**
     * Undoes the body's {@code Content-Encoding} (zstd, gzip, deflate, br, bounded by the body cap), then dispatches
     * the decoded body. Small bodies decode here; a large one costs milliseconds of CPU, so it decodes off the loop.
     */
    private void decodeThenDispatch() {
        String coding = contentEncoding;
        contentEncoding = null;
        ByteBuf raw = body.take();
        body = null;
        if (raw.readableBytes() <= INLINE_DECODE_BYTES) {
            afterDecode(record, services.bodyDecoder().decode(coding, raw, ctx.alloc()), null);
            return;
        }
        ExchangeRecord forRequest = record;
        try {
            CompletableFuture.supplyAsync(() -> services.bodyDecoder().decode(coding, raw, ctx.alloc()),
                            services.work())
                    .whenComplete((decoded, failure) -> ctx.executor().execute(() ->
                            afterDecode(forRequest, decoded, failure)));
        } catch (RejectedExecutionException e) {
            raw.release();
            sendError(OffLoop.busy()); // the work queue is full: 503 server_busy, never an unbounded backlog
        }
    }

    private void afterDecode(ExchangeRecord forRequest, DecodedBody decoded, Throwable failure) {
        if (record != forRequest || state != State.RESPONDING) {
            if (decoded != null && decoded.body() != null) {
                decoded.body().release(); // the client left while its body was decoded
            }
            return;
        }
        if (failure != null) {
            log.error("request body decoding failed", failure);
            sendError(ProxyError.of(ErrorKind.INTERNAL));
            return;
        }
        if (decoded.failed()) {
            keepAlive = false;
            sendError(decoded.error());
            return;
        }
        body = RequestBody.of(decoded.body(), ctx.alloc());
        dispatch();
    }

    /** Writes a local route's answer, unless the client left (or a new request began) meanwhile. */
    private void writeLocal(ExchangeRecord forRequest, Route route, FullHttpResponse response, Throwable failure) {
        if (record != forRequest || state != State.RESPONDING) {
            ReferenceCountUtil.release(response);
            return;
        }
        if (failure != null) {
            log.error("local route {} failed", route.template(), failure);
            ReferenceCountUtil.release(response);
            response = Responses.error(request.protocolVersion(), ProxyError.of(ErrorKind.INTERNAL));
        }
        writeResponse(response);
    }

    private void startExchange(Operation operation) {
        ByteBuf raw = takeBody();
        OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(operation, raw, ForwardedRequest.NO_RESOLUTION,
                services.config().metrics().injectStreamUsage());
        if (prepared.error() != null) {
            raw.release();
            sendError(prepared.error());
            return;
        }
        ResponseConverter converter = operation == Operation.LEGACY_COMPLETIONS
                ? new LegacyCompletionConverter(prepared.clientModel()) : ResponseConverter.NONE;
        forwarded.forward(operation, prepared, raw, converter);
    }

    /** The whole body, which the caller now owns. */
    private ByteBuf takeBody() {
        ByteBuf raw = body.take();
        body = null;
        return raw;
    }

    /** {@code GET|HEAD /tts}: checked here, then admitted (its own bucket, the concurrency gate) like any call. */
    private void startTts() {
        body.release();
        body = null;
        TtsRequests.Prepared prepared = TtsRequests.prepare(request, services.config().tts());
        if (prepared.error() != null) {
            sendError(prepared.error());
            return;
        }
        UpstreamCall call = new UpstreamCall(request.method(), prepared.path(), prepared.headers(),
                Unpooled.EMPTY_BUFFER, ResponseConverter.NONE, null, TtsRequests.RESPONSE_HEADERS);
        forwarded.forwardTts(call);
    }

    // ---------------------------------------------------------------- responses

    private void respondEarly(ProxyError error, String allow) {
        respondEarly(error, allow, false);
    }

    /**
     * Answers before the body was read. When a body is still on its way the connection closes afterwards: reading
     * (possibly megabytes) only to discard them is not worth keeping the connection.
     */
    private void respondEarly(ProxyError error, String allow, boolean bodyPending) {
        if (body != null) {
            body.release();
            body = null;
        }
        if (bodyPending) {
            keepAlive = false;
        }
        state = State.RESPONDING;
        record.error(error.kind());
        Route route = match != null && match.found() ? match.route() : null;
        // a Messages client reads Anthropic's envelope, for the proxy key and admission refusals too
        FullHttpResponse response = route == Route.MESSAGES || route == Route.MESSAGES_COUNT_TOKENS
                ? BridgedEndpoints.anthropicError(request.protocolVersion(), error)
                : Responses.error(request.protocolVersion(), error);
        if (allow != null) {
            response.headers().set(HttpHeaderNames.ALLOW, allow);
        }
        writeResponse(response);
    }

    @Override
    public void sendError(ProxyError error) {
        record.error(error.kind());
        writeResponse(forwarded != null ? forwarded.errorResponse(error)
                : Responses.error(request.protocolVersion(), error));
    }

    @Override
    public void respond(FullHttpResponse response) {
        writeResponse(response);
    }

    private void writeResponse(FullHttpResponse response) {
        keepAlive = keepAliveAfterResponse();
        decorate(response.headers());
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        record.status(response.status().code());
        record.addBytesOut(response.content().readableBytes());
        boolean reusable = keepAlive;
        ctx.writeAndFlush(response).addListener(f -> exchangeDone(reusable && f.isSuccess()));
    }

    @Override
    public void exchangeDone(boolean reusable) {
        if (state == State.CLOSED || record == null) {
            return;
        }
        finishRecord();
        state = State.AWAIT_REQUEST;
        if (!reusable || !keepAlive || services.connections().draining()) {
            state = State.CLOSED;
            ctx.close();
            return;
        }
        // parked messages first (a pipelined request that arrived meanwhile), then ask for more
        Object next;
        while ((state == State.AWAIT_REQUEST || state == State.READING_BODY) && (next = parked.poll()) != null) {
            process(next);
        }
        requestRead();
    }

    private void finishRecord() {
        if (forwarded != null) {
            forwarded.finish();
        }
        accessLog.log(record);
        if (!Route.METRICS.template().equals(record.route())) { // scrapes would drown the traffic they measure
            try {
                services.observer().onRequest(record.toSample(System.nanoTime()));
            } catch (RuntimeException e) {
                log.error("request observer failed", e);
            }
        }
        services.connections().requestEnded();
        record = null;
        request = null;
        match = null;
        forwarded = null;
        upstreamActiveOnArrival = -1;
        client = null;
        contentEncoding = null;
    }

    @Override
    public void decorate(HttpHeaders responseHeaders) {
        if (forwarded != null) {
            forwarded.addHeaders(responseHeaders);
        }
        if (upstreamActiveOnArrival >= 0) {
            responseHeaders.set("X-Upstream-Active", upstreamActiveOnArrival);
            responseHeaders.set("X-Upstream-Queue", upstreamQueueOnArrival);
        }
    }

    @Override
    public boolean keepAliveAfterResponse() {
        return keepAlive && !services.connections().draining();
    }

    // ---------------------------------------------------------------- connection events

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (forwarded != null && ctx.channel().isWritable()) {
            forwarded.clientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (state == State.AWAIT_REQUEST) {
                ctx.close();
            } else if (state == State.READING_BODY) {
                keepAlive = false;
                respondEarly(ProxyError.of(ErrorKind.REQUEST_TIMEOUT), null);
            }
            return; // while responding, the exchange's own timeouts apply
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State was = state;
        state = State.CLOSED;
        // a queued call leaves the admission queue at once; a running exchange closes its upstream
        boolean exchanging = forwarded != null && forwarded.clientClosed();
        if (body != null) {
            body.release();
            body = null;
        }
        if (record != null && (was == State.READING_BODY || was == State.RESPONDING)) {
            if (!record.clientAborted() && !exchanging) {
                record.clientAborted(Stage.DONE);
            }
            if (record.status() == 0) {
                record.status(499); // nginx's "client closed request"
            }
            finishRecord();
        }
        Object msg;
        while ((msg = parked.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client connection error: {}", cause.toString());
        } else {
            log.warn("unexpected error on client connection", cause);
        }
        ctx.close();
    }

    /** Draining: close now when no request is in progress; otherwise the end of the current response closes. */
    void closeIfIdle() {
        if (state == State.AWAIT_REQUEST) {
            state = State.CLOSED;
            ctx.close();
        }
    }

    /**
     * The shutdown grace is over: a response still in progress ends now — with the envelope when nothing was sent
     * yet, with a final error event on a started stream — and the connection closes.
     */
    void terminate() {
        ProxyError error = ProxyError.of(ErrorKind.SHUTTING_DOWN);
        if (forwarded != null && forwarded.terminate(error)) {
            return;
        }
        if (state == State.READING_BODY && request != null) {
            keepAlive = false;
            respondEarly(error, null, true);
        } else {
            ctx.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static boolean isApiPath(String uri) {
        String path = Router.path(uri);
        return path.startsWith("/v1/") || path.startsWith("/api/") || path.equals("/v1") || path.equals("/api");
    }

    private static boolean isJson(String contentType) {
        int semi = contentType.indexOf(';');
        String mime = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
        return mime.equalsIgnoreCase("application/json") || mime.regionMatches(true, mime.length() - 5, "+json", 0, 5)
                || mime.equalsIgnoreCase("text/json");
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
