package dev.llmproxy.client;

import dev.llmproxy.admission.Admission;
import dev.llmproxy.admission.AdmittedCall;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.exchange.AnswerConverter;
import dev.llmproxy.exchange.ClientLeg;
import dev.llmproxy.exchange.ExchangeRecord;
import dev.llmproxy.exchange.HopByHopHeaders;
import dev.llmproxy.exchange.LegacyCompletionConverter;
import dev.llmproxy.exchange.Metering;
import dev.llmproxy.exchange.ProxyExchange;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.config.ResponsesMode;
import dev.llmproxy.config.UpstreamKind;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.bridge.RandomIds;
import dev.llmproxy.bridge.messages.AnthropicError;
import dev.llmproxy.bridge.messages.MessagesCall;
import dev.llmproxy.bridge.messages.MessagesConverter;
import dev.llmproxy.bridge.messages.MessagesRequestBridge;
import dev.llmproxy.bridge.messages.MessagesTokenCounter;
import dev.llmproxy.bridge.responses.ResponsesCall;
import dev.llmproxy.bridge.responses.ResponsesConverter;
import dev.llmproxy.bridge.responses.ResponsesRequestBridge;
import dev.llmproxy.openai.ProxyErrorException;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.RequestProfile;
import dev.llmproxy.upstream.Hop;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.Upstream;
import dev.llmproxy.upstream.GateEntry;
import dev.llmproxy.upstream.SharedUpstreamGate;
import dev.llmproxy.upstream.UpstreamGate;
import dev.llmproxy.upstream.FailoverReason;
import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.exchange.UpstreamCall;
import dev.llmproxy.exchange.UpstreamPolicy;
import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.OpenAiRequests;
import dev.llmproxy.openai.Operation;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.routes.LocalRequest;
import dev.llmproxy.routes.LocalRoute;
import dev.llmproxy.routes.Responses;
import dev.llmproxy.upstream.UpstreamPool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
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
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionStage;

/**
 * The router of one client connection: reads one request at a time (head, then its body up to the cap), answers
 * local routes itself and hands proxied ones to a {@link ProxyExchange}. The next request is read only after the
 * current response is complete, so pipelined requests are answered in order.
 *
 * <p>While a response is in progress one read stays outstanding, so a client that disconnects is noticed at once
 * (and its upstream call cancelled) even when the proxy has nothing to write yet; a pipelined request that arrives
 * meanwhile is parked until its turn.
 *
 * <p>Threading: one instance per connection, confined to its event loop.
 */
final class ClientRequestHandler extends ChannelInboundHandlerAdapter implements ClientLeg {
    private static final Logger log = LoggerFactory.getLogger(ClientRequestHandler.class);
    /** Every /tts call of a client shares one token bucket, apart from its model buckets. */
    private static final String TTS_BUCKET = "tts";
    /** Stored-response requests share one admission bucket: they name no model. */
    private static final String RESPONSES_BUCKET = "responses";
    /** The identity admission is given when no per-client bucket uses it. */
    private static final String NO_IDENTITY = "-";
    /** Bodies are checked without resolving the model: {@link ModelRouter} does that, once, per the upstream rules. */
    private static final ModelCatalog NO_RESOLUTION = ModelCatalog.of(List.of());
    /** Compressed bodies up to this size decode on the event loop (tens of microseconds); larger ones on a worker. */
    private static final int INLINE_DECODE_BYTES = 16 * 1024;

    private enum State { AWAIT_REQUEST, READING_BODY, RESPONDING, CLOSED }

    private final ClientServices services;
    private final ModelGuard guard;
    private final AccessLog accessLog;
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
    private Admission.Pending admitting;
    /** How this request's errors are answered when not as the plain envelope ({@code /v1/test-model}). */
    private Function<ProxyError, FullHttpResponse> errorRenderer;
    private UpstreamCall awaitingAdmission;
    private ProxyExchange exchange;
    /** The request body's {@code Content-Encoding} still to undo, or null. */
    private String contentEncoding;
    /** The configured client whose key the request carries, or null (no {@code clients:}). */
    private ClientSpec client;
    /** The client's quota once this request was admitted by it (settled when the request ends), or null. */
    private ClientQuota quota;
    /** The client's admission by the limits the replicas share (settled when the request ends), or null. */
    private SharedClientPass sharedPass;
    /** How long a {@code queue} client's request has waited for its own limits so far. */
    private long queuedNanos;
    /** Where the request goes: the hops its model resolved to, the one in use, and what a failover rebuilds from. */
    private List<Hop> hops;
    private int hop;
    private Operation hopOperation;
    private OpenAiRequests.Prepared hopPrepared;
    /** The upstream gate pass the current hop holds, its token estimate, and how long the request waited for gates. */
    private UpstreamGate gateHeld;
    /** The shared gate's entry of the current hop ({@code REDIS_URL}): its answer, then the pass it holds. */
    private GateEntry gateEntry;
    /** A body waiting for a limit's delay to pass (a scheduled continuation owns it until then), or null. */
    private ByteBuf parkedBody;
    /** The status of the current attempt's response head, 0 before one: the reason of a failover that follows. */
    private int judgedStatus;
    private long gateEstimate;
    private long gateWaitedNanos;
    /** A stored-response request's upstream path and body (retained for each native upstream tried), or null. */
    private String itemPath;
    private ByteBuf itemBody;
    /** A bridged request as the client sent it (Responses or Messages), or null. */
    private ObjectNode bridgedRequest;
    private Route bridgedRoute;
    private ResponseConverter hopConverter;

    ClientRequestHandler(ClientServices services, AccessLog accessLog) {
        this.services = services;
        this.guard = new ModelGuard(services);
        this.accessLog = accessLog;
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
        if (route == Route.TTS) {
            startTts();
            return;
        }
        if (route == Route.SIMPLE_CHAT || route == Route.TEST_MODEL || route == Route.UNIVERSAL_PROXY) {
            startConvenience(route);
            return;
        }
        if (route == Route.RESPONSE_ITEM) {
            startResponseItem();
            return;
        }
        if (route == Route.RESPONSES || route == Route.MESSAGES || route == Route.MESSAGES_COUNT_TOKENS) {
            startBridged(route);
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
        CompletableFuture.supplyAsync(() -> services.bodyDecoder().decode(coding, raw, ctx.alloc()), services.work())
                .whenComplete((decoded, failure) -> ctx.executor().execute(() ->
                        afterDecode(forRequest, decoded, failure)));
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
        ByteBuf raw = body.take();
        body = null;
        OpenAiRequests.Prepared prepared;
        try (ByteBufInputStream in = new ByteBufInputStream(raw.duplicate())) {
            prepared = OpenAiRequests.prepare(operation, in, NO_RESOLUTION,
                    services.config().metrics().injectStreamUsage());
        } catch (IOException e) {
            raw.release();
            sendError(ProxyError.of(ErrorKind.INVALID_JSON, "request body could not be read"));
            return;
        }
        if (prepared.error() != null) {
            raw.release();
            sendError(prepared.error());
            return;
        }
        ResponseConverter converter = operation == Operation.LEGACY_COMPLETIONS
                ? new LegacyCompletionConverter(prepared.clientModel()) : ResponseConverter.NONE;
        forward(operation, prepared, raw, converter);
    }

    /**
     * {@code /v1/responses} and Anthropic's {@code /v1/messages} (and its {@code count_tokens}): the model resolves
     * like any other; a Responses request goes through unchanged to an upstream that serves the API natively, else
     * each is translated to a chat request ({@code bridge}) and its answer back. Messages errors use Anthropic's
     * envelope throughout.
     */
    private void startBridged(Route route) {
        boolean anthropic = route != Route.RESPONSES;
        if (anthropic) {
            errorRenderer = this::anthropicError;
        }
        ByteBuf raw = body.take();
        body = null;
        JsonNode json;
        try (ByteBufInputStream in = new ByteBufInputStream(raw.duplicate())) {
            json = Json.MAPPER.readTree(in);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            raw.release();
            sendError(ProxyError.of(ErrorKind.INVALID_JSON, "request body must be a JSON object"));
            return;
        }
        ObjectNode request = (ObjectNode) json;
        JsonNode model = request.get("model");
        List<Hop> resolved = model != null && model.isTextual() ? services.upstreams().resolve(model.textValue())
                : List.of();
        Upstream first = resolved.isEmpty() ? null : resolved.get(0).upstream();
        if (route == Route.RESPONSES && first != null && allNative(resolved)) {
            OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(Operation.RESPONSES, request, NO_RESOLUTION,
                    false);
            if (prepared.error() != null) {
                raw.release();
                sendError(prepared.error());
                return;
            }
            forward(Operation.RESPONSES, prepared, raw, ResponseConverter.NONE);
            return;
        }
        raw.release();
        ChatDialect dialect = dialectOf(first);
        if (route != Route.MESSAGES_COUNT_TOKENS) {
            bridgedRoute = route; // a failover rebuilds the chat request in the next upstream's dialect
            bridgedRequest = request;
        }
        try {
            if (route == Route.RESPONSES) {
                ResponsesCall call = new ResponsesRequestBridge(dialect).toChat(request);
                forwardChat(call.chatRequest(), new ResponsesConverter(call, RandomIds.INSTANCE));
            } else if (route == Route.MESSAGES) {
                MessagesCall call = new MessagesRequestBridge(dialect).toChat(request);
                countThen(call, first == null ? call.model() : resolved.get(0).model(),
                        tokens -> forwardChat(call.chatRequest(), new MessagesConverter(call, tokens,
                                RandomIds.INSTANCE)));
            } else {
                MessagesCall call = new MessagesRequestBridge(dialect).toChatForCount(request);
                if (first == null) {
                    sendError(ProxyError.of(ErrorKind.MODEL_NOT_FOUND, "The model '"
                            + PrintableText.of(call.model(), 200) + "' is not served by any configured upstream"));
                    return;
                }
                countThen(call, resolved.get(0).model(), tokens -> writeResponse(Responses.json(
                        this.request.protocolVersion(), HttpResponseStatus.OK, MessagesTokenCounter.responseBody(tokens))));
            }
        } catch (ProxyErrorException e) {
            sendError(e.error());
        }
    }

    /**
     * Whether every hop serves the Responses API natively. A failover resends the same body to the next hop's path,
     * so one bridged hop means the whole route is bridged: chat completions is served by native upstreams too.
     */
    private static boolean allNative(List<Hop> hops) {
        for (Hop h : hops) {
            if (h.upstream().spec().responses() != ResponsesMode.NATIVE) {
                return false;
            }
        }
        return true;
    }

    /** The chat dialect of {@code upstream}: open-weights servers take {@code max_tokens} and {@code top_k}. */
    private static ChatDialect dialectOf(Upstream upstream) {
        return upstream != null && upstream.kind() == UpstreamKind.OPENAI_COMPATIBLE
                ? ChatDialect.OPEN_WEIGHTS : ChatDialect.OPENAI;
    }

    /**
     * {@code GET|DELETE /v1/responses/{id}} and {@code POST /v1/responses/{id}/cancel}: a stored response lives on the
     * native upstream that created it, so the request goes to each native upstream in file order until one does not
     * answer 404. Bridged responses are not stored, as the proxy stores nothing.
     */
    private void startResponseItem() {
        ByteBuf raw = body.take();
        body = null;
        String rest = match.pathArg();
        if (HttpMethod.POST.equals(request.method()) && !rest.endsWith("/cancel")) {
            raw.release();
            sendError(ProxyError.of(ErrorKind.NOT_FOUND, "Unknown endpoint: POST /v1/responses/"
                    + PrintableText.of(rest, 200) + " (POST only for …/cancel)"));
            return;
        }
        List<Hop> natives = new ArrayList<>();
        for (Upstream u : services.upstreams().upstreams()) {
            if (u.spec().responses() == ResponsesMode.NATIVE) {
                natives.add(new Hop(u, ""));
            }
        }
        if (natives.isEmpty()) {
            raw.release();
            sendError(ProxyError.of(ErrorKind.NOT_FOUND, "No configured upstream serves the Responses API natively,"
                    + " and bridged responses are not stored: there is no response to find"));
            return;
        }
        hops = natives;
        hop = 0;
        itemPath = "/responses/" + rest + Router.query(request.uri());
        itemBody = raw;
        sendItem();
    }

    /** Sends the stored-response request to the current native upstream. */
    private void sendItem() {
        Upstream upstream = hops.get(hop).upstream();
        ClientAuth.UpstreamKey key = services.auth().upstreamKey(request.headers(), upstream);
        if (key instanceof ClientAuth.UpstreamKey.Missing) {
            sendError(ProxyError.of(ErrorKind.API_KEY_MISSING));
            return;
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        HopByHopHeaders.copyRequestHeaders(request.headers(), headers);
        headers.remove("x-api-key");
        headers.remove("api-key");
        upstream.applyHeaders(headers, key instanceof ClientAuth.UpstreamKey.Use use ? use.key() : null);
        UpstreamCall call = new UpstreamCall(request.method(), itemPath, headers, itemBody.retainedDuplicate(),
                ResponseConverter.NONE, null, null);
        var options = upstream.options();
        admitThenStart(call, RESPONSES_BUCKET, upstream.pool(), options.firstByteTimeout(), options.streamIdleTimeout(),
                admitted -> admitted, error -> error);
    }

    /** A bridged chat request, checked and sent like a client's own chat call. */
    private void forwardChat(ObjectNode chat, ResponseConverter converter) {
        OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(Operation.CHAT_COMPLETIONS, chat, NO_RESOLUTION,
                services.config().metrics().injectStreamUsage());
        if (prepared.error() != null) {
            sendError(prepared.error());
            return;
        }
        forward(Operation.CHAT_COMPLETIONS, prepared, Unpooled.wrappedBuffer(Json.bytes(prepared.upstreamBody())),
                converter);
    }

    /** Counts the prompt's tokens off the event loop (a long prompt costs milliseconds), then continues here. */
    private void countThen(MessagesCall call, String upstreamModel, java.util.function.IntConsumer next) {
        ExchangeRecord forRequest = record;
        MessagesTokenCounter counter = new MessagesTokenCounter(services.tokens());
        CompletableFuture.supplyAsync(() -> counter.count(call, upstreamModel), services.work())
                .whenComplete((tokens, failure) -> ctx.executor().execute(() -> {
                    if (record != forRequest || state != State.RESPONDING) {
                        return; // the client left meanwhile
                    }
                    if (failure != null) {
                        log.warn("token count of a Messages request failed", failure);
                        sendError(ProxyError.of(ErrorKind.INTERNAL, "the prompt's tokens could not be counted"));
                        return;
                    }
                    next.accept(tokens);
                }));
    }

    private FullHttpResponse anthropicError(ProxyError error) {
        AnthropicError answer = AnthropicError.of(error);
        FullHttpResponse response = Responses.json(request.protocolVersion(),
                HttpResponseStatus.valueOf(answer.status()), answer.body());
        answer.headers().forEach((name, value) -> response.headers().set(name, value));
        return response;
    }

    /**
     * The convenience endpoints: the proxy composes a chat request from what the client sent and answers in the
     * endpoint's own shape, through the same admission, metrics and upstream path as a direct chat call.
     */
    private void startConvenience(Route route) {
        ByteBuf raw = body.take();
        body = null;
        ConvenienceRequests.Built built;
        if (route == Route.TEST_MODEL && HttpMethod.GET.equals(request.method())) {
            raw.release();
            List<String> model;
            try {
                model = new QueryStringDecoder(request.uri()).parameters().get("model");
            } catch (IllegalArgumentException e) { // a broken %-escape
                sendError(ProxyError.of(ErrorKind.INVALID_PARAMETER, "the query string is not valid percent-encoding",
                        "model"));
                return;
            }
            built = ConvenienceRequests.testModel(model == null || model.isEmpty() ? null : model.get(0));
        } else {
            JsonNode json;
            try (ByteBufInputStream in = new ByteBufInputStream(raw)) {
                json = Json.MAPPER.readTree(in);
            } catch (IOException e) {
                json = null;
            } finally {
                raw.release();
            }
            if (json == null || !json.isObject()) {
                sendError(ProxyError.of(ErrorKind.INVALID_JSON, "request body must be a JSON object"));
                return;
            }
            built = route == Route.SIMPLE_CHAT ? ConvenienceRequests.simpleChat(json)
                    : route == Route.TEST_MODEL ? ConvenienceRequests.testModel(json.path("model").isTextual()
                    ? json.path("model").textValue() : null)
                    : ConvenienceRequests.universal(json);
        }
        if (route == Route.TEST_MODEL) {
            String model = built.clientModel();
            errorRenderer = error -> testModelFailure(model, error); // a probe reports failure as data
        }
        if (built.error() != null) {
            sendError(built.error());
            return;
        }
        OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(Operation.CHAT_COMPLETIONS, built.chat(),
                NO_RESOLUTION, services.config().metrics().injectStreamUsage());
        if (prepared.error() != null) {
            sendError(prepared.error());
            return;
        }
        ResponseConverter converter = route == Route.SIMPLE_CHAT ? AnswerConverter.simpleChat()
                : route == Route.TEST_MODEL ? AnswerConverter.testModel(built.clientModel()) : ResponseConverter.NONE;
        forward(Operation.CHAT_COMPLETIONS, prepared, Unpooled.wrappedBuffer(Json.bytes(built.chat())), converter);
    }

    private FullHttpResponse testModelFailure(String model, ProxyError error) {
        ObjectNode answer = Json.object();
        answer.put("working", false);
        answer.put("model", model);
        answer.put("status", error.status());
        answer.put("error", error.message());
        answer.put("code", error.kind().code());
        FullHttpResponse response = Responses.json(request.protocolVersion(),
                error.kind() == ErrorKind.INVALID_PARAMETER || error.kind() == ErrorKind.INVALID_JSON
                        ? HttpResponseStatus.BAD_REQUEST : HttpResponseStatus.OK, answer);
        error.headers().forEach((name, value) -> response.headers().set(name, value));
        return response;
    }

    /**
     * A validated OpenAI call on its way: credentials, the model checks (plan availability, the context pre-check),
     * headers, metering, then admission. Owns {@code raw}.
     */
    private void forward(Operation operation, OpenAiRequests.Prepared requested, ByteBuf raw,
                         ResponseConverter converter) {
        List<Hop> resolved = services.upstreams().resolve(requested.clientModel());
        if (resolved.isEmpty()) {
            raw.release();
            record.model(requested.clientModel(), "other");
            sendError(services.advisor().withSuggestions(ProxyError.of(ErrorKind.MODEL_NOT_FOUND, "The model '"
                    + PrintableText.of(requested.clientModel(), 200) + "' is not served by any configured upstream;"
                    + " call /v1/models to list available ids, or send <upstream>/<model>"),
                    RequestProfile.of(requested.upstreamBody()), requested.clientModel()));
            return;
        }
        if (client != null && client.models().isPresent() && !allowed(client, requested.clientModel(), resolved)) {
            raw.release();
            record.model(requested.clientModel(), labelOf(requested.clientModel()));
            sendError(ProxyError.of(ErrorKind.MODEL_NOT_ALLOWED, "The client key '" + client.name()
                    + "' may not use the model '" + PrintableText.of(requested.clientModel(), 200) + "'"));
            return;
        }
        if (client != null && quota == null) {
            ClientQuota candidate = services.clientQuotas().of(client);
            ClientQuota.Decision decision;
            if (services.clientQuotas().shared() != null) {
                if (sharedPass == null) {
                    admitShared(operation, requested, raw, converter); // continues here with its pass
                    return;
                }
                decision = sharedPass.decision();
                if (decision.admitted()) {
                    candidate.countAdmitted(System.nanoTime(), System.currentTimeMillis());
                } else {
                    candidate.countRejected();
                    sharedPass = null;
                }
            } else {
                decision = candidate.tryAdmit(System.nanoTime(), System.currentTimeMillis());
            }
            if (!decision.admitted()) {
                long wait = decision.retryAfterNanos();
                if (client.overLimit() == ClientSpec.OverLimit.QUEUE && wait > 0
                        && wait <= services.config().admission().queueTimeout().toNanos() - queuedNanos) {
                    // queue: try again when the limit allows, within the queue's time bound
                    queuedNanos += wait;
                    ExchangeRecord forRequest = record;
                    parkedBody = raw; // released with the request if it ends before the wait does
                    ctx.executor().schedule(() -> {
                        if (parkedBody == raw && record == forRequest && state == State.RESPONDING) {
                            parkedBody = null;
                            forward(operation, requested, raw, converter);
                        }
                    }, wait, TimeUnit.NANOSECONDS);
                    return;
                }
                raw.release();
                record.model(requested.clientModel(), labelOf(requested.clientModel()));
                ProxyError error = decision.error();
                if (wait > 0) {
                    error = error.withHeader("Retry-After",
                            Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999L))));
                }
                sendError(error);
                return;
            }
            quota = candidate;
        }
        hops = resolved;
        hop = 0;
        OpenAiRequests.Prepared prepared = requested.withUpstreamModel(resolved.get(0).model());
        record.model(prepared.upstreamModel(), labelOf(prepared.upstreamModel()));

        ByteBuf upstreamBody = raw;
        if (prepared.rewritten() != null) {
            raw.release();
            upstreamBody = Unpooled.wrappedBuffer(Json.bytes(prepared.rewritten()));
        }
        if (resolved.size() > 1) {
            hopOperation = operation;
            hopPrepared = prepared;
        }
        ProxyError unavailable = guard.availability(prepared);
        if (unavailable != null) {
            upstreamBody.release();
            sendError(unavailable);
            return;
        }
        ResponseConverter withSuggestions = guard.suggestingOnUnknownModel(converter, prepared);
        hopConverter = withSuggestions;
        if (!guard.checksPrompt(operation)) {
            send(operation, prepared, upstreamBody, withSuggestions);
            return;
        }
        long bytes = upstreamBody.readableBytes();
        if (bytes <= ModelGuard.INLINE_CHECK_BYTES) {
            afterPromptCheck(record, operation, prepared, upstreamBody, withSuggestions,
                    guard.checkPrompt(prepared, bytes), null);
            return;
        }
        // a large prompt may need tokenizing: milliseconds of CPU, done off the event loop
        ExchangeRecord forRequest = record;
        ByteBuf held = upstreamBody;
        CompletableFuture.supplyAsync(() -> guard.checkPrompt(prepared, bytes), services.work())
                .whenComplete((error, failure) -> ctx.executor().execute(() -> afterPromptCheck(forRequest,
                        operation, prepared, held, withSuggestions, error, failure)));
    }

    /** The metrics label of a model id: the id when an upstream lists it, else {@code other}. */
    private String labelOf(String model) {
        return services.catalog().current().find(model).map(CatalogModel::id).orElse("other");
    }

    /**
     * Asks the replicas' shared store for the client's limits (one Redis round trip on this event loop, answered
     * within {@code REDIS_TIMEOUT_MS} whatever happens), then continues {@link #forward} with the pass.
     */
    private void admitShared(Operation operation, OpenAiRequests.Prepared requested, ByteBuf raw,
                             ResponseConverter converter) {
        ExchangeRecord forRequest = record;
        services.clientQuotas().shared().admit(ctx.executor(), client).addListener(f -> {
            SharedClientPass pass = (SharedClientPass) f.getNow();
            if (record != forRequest || state != State.RESPONDING) {
                pass.abandon(); // the client left while Redis answered
                raw.release();
                return;
            }
            sharedPass = pass;
            forward(operation, requested, raw, converter);
        });
    }

    /**
     * Whether the client's allow-list names the model it sent, or else every hop it resolved to: an alias not listed
     * itself may fail over to any of its targets, so one allowed target is not enough.
     */
    private static boolean allowed(ClientSpec client, String model, List<Hop> resolved) {
        List<String> names = client.models().orElse(List.of());
        if (names.contains(model)) {
            return true;
        }
        for (Hop h : resolved) {
            if (!names.contains(h.model()) && !names.contains(h.toString())) {
                return false;
            }
        }
        return !resolved.isEmpty();
    }

    private void afterPromptCheck(ExchangeRecord forRequest, Operation operation, OpenAiRequests.Prepared prepared,
                                  ByteBuf upstreamBody, ResponseConverter converter,
                                  ProxyError tooLong, Throwable failure) {
        if (record != forRequest || state != State.RESPONDING) {
            upstreamBody.release(); // the client left while its prompt was counted
            return;
        }
        if (failure != null) {
            // a failed count is no reason to refuse: the upstream still judges the prompt
            log.warn("context pre-check failed; forwarding unchecked", failure);
        } else if (tooLong != null) {
            upstreamBody.release();
            sendError(tooLong);
            return;
        }
        send(operation, prepared, upstreamBody, converter);
    }

    /** Builds the upstream call for the current hop: its path, credential and headers; then admission. */
    private void send(Operation operation, OpenAiRequests.Prepared prepared, ByteBuf upstreamBody,
                      ResponseConverter converter) {
        Upstream upstream = hops.get(hop).upstream();
        ClientAuth.UpstreamKey key = services.auth().upstreamKey(request.headers(), upstream);
        if (key instanceof ClientAuth.UpstreamKey.Missing) {
            upstreamBody.release();
            sendError(ProxyError.of(ErrorKind.API_KEY_MISSING));
            return;
        }
        UpstreamGate gate = upstream.gate(prepared.upstreamModel());
        long estimate = upstreamBody.readableBytes() / 4 + maxTokens(prepared);
        boolean another = hopPrepared != null && hop + 1 < hops.size();
        if (gate.shared() != null && gateEntry == null) {
            enterShared(gate.shared(), estimate, another, operation, prepared, upstreamBody, converter);
            return; // continues here with the entry
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        HopByHopHeaders.copyRequestHeaders(request.headers(), headers);
        headers.remove("x-api-key"); // a Messages client's proxy key
        headers.remove("api-key");
        headers.remove(HttpHeaderNames.CONTENT_ENCODING); // the body goes upstream decoded
        headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        upstream.applyHeaders(headers, key instanceof ClientAuth.UpstreamKey.Use use ? use.key() : null);
        // the client's query (e.g. an Azure-style api-version) travels with the request
        String path = operation.upstreamPath() + Router.query(request.uri());
        Metering metering = operation == Operation.AUDIO_SPEECH ? null
                : new Metering(services.tokens(), prepared.upstreamModel(), prepared.prompt(), prepared.usageInjected());
        judgedStatus = 0;
        // an upstream that keeps failing is skipped (a route moves on) or answered 503 at once, until its probe
        long breakerOpen = upstream.breaker().tryPass(System.nanoTime());
        if (breakerOpen > 0) {
            abandonGateEntry();
            upstreamBody.release();
            ProxyError unavailable = ProxyError.of(ErrorKind.UPSTREAM_UNAVAILABLE, "upstream " + upstream.name()
                    + " keeps failing; requests to it are paused")
                    .withHeader("Retry-After", Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(breakerOpen))));
            if (hopPrepared == null || hop + 1 >= hops.size() || !failover(unavailable)) {
                sendError(unavailable);
            }
            return;
        }
        // the upstream's own limits, declared and learned: wait for them, or move on to the next hop
        long wait;
        if (gateEntry != null) {
            wait = gateEntry.waitNanos();
            ProxyError refused = gateEntry.error();
            if (wait > 0 || refused != null) {
                gateEntry = null; // holds nothing
            }
            if (refused != null) {
                upstreamBody.release();
                sendError(refused);
                return;
            }
        } else {
            wait = gate.tryEnter(estimate, System.nanoTime(), another);
        }
        if (wait > 0) {
            if (another) {
                upstreamBody.release();
                failover(ProxyError.of(ErrorKind.UPSTREAM_RATE_LIMITED, "upstream " + hops.get(hop)
                        + " is at its limit"));
                return;
            }
            if (wait <= services.config().admission().queueTimeout().toNanos() - gateWaitedNanos) {
                gateWaitedNanos += wait;
                ExchangeRecord forRequest = record;
                parkedBody = upstreamBody; // released with the request if it ends before the wait does
                ctx.executor().schedule(() -> {
                    if (parkedBody == upstreamBody && record == forRequest && state == State.RESPONDING) {
                        parkedBody = null;
                        send(operation, prepared, upstreamBody, converter);
                    }
                }, wait, TimeUnit.NANOSECONDS);
                return;
            }
            upstreamBody.release();
            sendError(ProxyError.of(ErrorKind.UPSTREAM_RATE_LIMITED, "upstream " + upstream.name()
                    + " is at its limit for " + PrintableText.of(prepared.upstreamModel(), 200))
                    .withHeader("Retry-After", Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait) + 1))));
            return;
        }
        gateHeld = gate;
        gateEstimate = estimate;
        UpstreamCall call = new UpstreamCall(HttpMethod.POST, path, headers, upstreamBody, converter, metering, null);
        var options = upstream.options();
        admitThenStart(call, prepared.upstreamModel(), upstream.pool(), options.firstByteTimeout(),
                options.streamIdleTimeout(), admitted -> admitted, error -> guard.onRejected(error, prepared));
    }

    /** The upstream failed to answer: no connection, no head in time, a lost connection or an unreadable answer. */
    private static boolean isUpstreamFault(ErrorKind kind) {
        return kind == ErrorKind.UPSTREAM_UNREACHABLE || kind == ErrorKind.UPSTREAM_CONNECT_TIMEOUT
                || kind == ErrorKind.UPSTREAM_TIMEOUT || kind == ErrorKind.UPSTREAM_CONNECTION_LOST
                || kind == ErrorKind.UPSTREAM_BAD_RESPONSE;
    }

    /** The output cap the request asks for ({@code max_tokens} or its successors), counted against a TPM limit. */
    private static long maxTokens(OpenAiRequests.Prepared prepared) {
        ObjectNode body = prepared.upstreamBody();
        for (String field : new String[]{"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
            JsonNode n = body.get(field);
            if (n != null && n.canConvertToLong()) {
                return Math.max(0, n.longValue());
            }
        }
        return 0;
    }

    /** Gives the current hop's gate pass back, charging what the request used. */
    private void leaveGate() {
        if (gateEntry != null) {
            gateEntry.leave(record == null ? 0 : record.totalTokens());
            gateEntry = null;
            gateHeld = null;
        }
        if (gateHeld != null) {
            gateHeld.leave(gateEstimate, record == null ? 0 : record.totalTokens(), System.nanoTime());
            gateHeld = null;
        }
    }

    private void abandonGateEntry() {
        if (gateEntry != null) {
            gateEntry.abandon();
            gateEntry = null;
        }
    }

    /**
     * Asks the replicas' shared gate of the upstream for a pass (one Redis round trip on this event loop, answered
     * within {@code REDIS_TIMEOUT_MS}), then continues {@link #send} with the entry.
     */
    private void enterShared(SharedUpstreamGate gate, long estimate, boolean another, Operation operation,
                             OpenAiRequests.Prepared prepared, ByteBuf upstreamBody, ResponseConverter converter) {
        ExchangeRecord forRequest = record;
        int forHop = hop;
        gate.enter(ctx.executor(), estimate, another).addListener(f -> {
            GateEntry entry = (GateEntry) f.getNow();
            if (record != forRequest || hop != forHop || state != State.RESPONDING) {
                entry.abandon(); // the client left while Redis answered
                upstreamBody.release();
                return;
            }
            gateEntry = entry;
            send(operation, prepared, upstreamBody, converter);
        });
    }

    @Override
    public void observeHead(int status, HttpHeaders headers) {
        if (hops == null) {
            return;
        }
        judgedStatus = status; // the reason of a failover that follows
        if (gateHeld != null) {
            gateHeld.learn(status, headers, System.nanoTime());
            if (gateHeld.shared() != null) {
                gateHeld.shared().learn(ctx.executor(), status, headers); // one replica's sighting pauses all
            }
        }
        // the upstream answered: it is up, whatever it said about this model (a model's 5xx is its own breaker's)
        hops.get(hop).upstream().breaker().success();
    }

    @Override
    public ProxyError judgeHead(int status, HttpHeaders headers) {
        if (hops == null) {
            return null;
        }
        if (itemPath != null) {
            return status == 404 && hop + 1 < hops.size()
                    ? ProxyError.of(ErrorKind.NOT_FOUND, "not on " + hops.get(hop).upstream().name()) : null;
        }
        if (status == 410 && hops.get(hop).upstream().retired()) {
            return ProxyError.of(ErrorKind.UPSTREAM_RETIRED);
        }
        if ((status >= 500 || status == 429 || status == 408 || status == 409 || status == 410)
                && hop + 1 < hops.size()) {
            return ProxyError.of(ErrorKind.UPSTREAM_UNAVAILABLE, "upstream " + hops.get(hop) + " answered " + status);
        }
        return null;
    }

    /** The bridged client request translated again for {@code next}'s upstream, whose chat dialect may differ. */
    private OpenAiRequests.Prepared rebridge(Hop next) {
        ChatDialect dialect = dialectOf(next.upstream());
        ObjectNode chat = bridgedRoute == Route.RESPONSES
                ? new ResponsesRequestBridge(dialect).toChat(bridgedRequest).chatRequest()
                : new MessagesRequestBridge(dialect).toChat(bridgedRequest).chatRequest();
        return OpenAiRequests.prepare(Operation.CHAT_COMPLETIONS, chat, NO_RESOLUTION,
                services.config().metrics().injectStreamUsage()).withUpstreamModel(next.model());
    }

    @Override
    public boolean failover(ProxyError error) {
        if (hops != null && judgedStatus == 0 && isUpstreamFault(error.kind())) {
            hops.get(hop).upstream().breaker().fault(System.nanoTime()); // no response at all
        }
        if (itemPath != null && hop + 1 < hops.size() && state == State.RESPONDING) {
            hop++;
            exchange = null;
            record.failover();
            sendItem(); // the next native upstream may hold the response
            return true;
        }
        if (hops == null || hop + 1 >= hops.size() || hopPrepared == null || state != State.RESPONDING) {
            return false;
        }
        Hop failed = hops.get(hop);
        failed.upstream().counters().failedOver();
        services.upstreams().failedOver(hops, FailoverReason.of(error, judgedStatus));
        judgedStatus = 0;
        leaveGate();
        hop++;
        Hop next = hops.get(hop);
        log.debug("failover from {} to {}: {}", failed, next, error.message());
        record.failover();
        exchange = null;
        OpenAiRequests.Prepared prepared = bridgedRequest == null ? hopPrepared.withUpstreamModel(next.model())
                : rebridge(next);
        hopPrepared = prepared;
        record.model(prepared.upstreamModel(), labelOf(prepared.upstreamModel()));
        send(hopOperation, prepared, Unpooled.wrappedBuffer(Json.bytes(prepared.upstreamBody())), hopConverter);
        return true;
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
        var tts = services.config().tts();
        admitThenStart(call, TTS_BUCKET, services.ttsPool(), tts.firstByteTimeout(),
                services.config().upstream().streamIdleTimeout(), TtsPolicy::new, error -> error);
    }

    /**
     * Hands a prepared call to admission; once admitted, the exchange starts with the admitted call's policy (as
     * {@code policyFor} shapes it). Until then the call waits in {@link #awaitingAdmission}, so a client that leaves
     * frees its queue place and its body at once.
     */
    private void admitThenStart(UpstreamCall call, String model, UpstreamPool pool, Duration firstByteTimeout,
                                Duration streamIdleTimeout, Function<AdmittedCall, UpstreamPolicy> policyFor,
                                UnaryOperator<ProxyError> onRejected) {
        // who the per-(client, model) buckets charge: a configured client by name; otherwise a hash of the key it
        // presented, computed only when those buckets are on
        String identity = client != null ? "client:" + client.name()
                : services.config().admission().rateLimitEnabled() ? ClientIdentity.of(request.headers(), clientIp)
                : NO_IDENTITY;
        awaitingAdmission = call;
        Admission.Pending pending = services.admission().admit(identity, model, ctx.executor(),
                new Admission.Callback() {
                    @Override
                    public void admitted(AdmittedCall admitted) {
                        admitting = null;
                        awaitingAdmission = null;
                        record.admitted(admitted.queueWaitNanos());
                        exchange = new ProxyExchange(ClientRequestHandler.this, pool, call, policyFor.apply(admitted),
                                request.protocolVersion(), request.method(), firstByteTimeout, streamIdleTimeout,
                                record, services.chunkGaps());
                        exchange.start();
                    }

                    @Override
                    public void rejected(ProxyError error) {
                        admitting = null;
                        awaitingAdmission = null;
                        call.body().release();
                        sendError(onRejected.apply(error));
                    }
                });
        if (awaitingAdmission != null) {
            admitting = pending; // still waiting: the client may leave meanwhile
        }
    }

    /** The client left (or the grace ran out) while the call waited for admission: leave the queue, drop the body. */
    private void abandonAdmission() {
        if (awaitingAdmission != null) {
            admitting.cancel();
            awaitingAdmission.body().release();
            awaitingAdmission = null;
            admitting = null;
        }
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
                ? anthropicError(error) : Responses.error(request.protocolVersion(), error);
        if (allow != null) {
            response.headers().set(HttpHeaderNames.ALLOW, allow);
        }
        writeResponse(response);
    }

    @Override
    public void sendError(ProxyError error) {
        record.error(error.kind());
        writeResponse(errorRenderer != null ? errorRenderer.apply(error)
                : Responses.error(request.protocolVersion(), error));
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
        if (parkedBody != null) {
            parkedBody.release(); // its continuation will find the request gone
            parkedBody = null;
        }
        leaveGate();
        gateWaitedNanos = 0;
        if (hops != null) {
            hops.get(hop).upstream().counters().ended(record.status());
        }
        if (quota != null) {
            long used = record.totalTokens();
            quota.settle(used, System.nanoTime(), System.currentTimeMillis());
            if (sharedPass != null) {
                sharedPass.settle(used);
            }
            quota = null;
        }
        sharedPass = null;
        queuedNanos = 0;
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
        exchange = null;
        errorRenderer = null;
        upstreamActiveOnArrival = -1;
        client = null;
        contentEncoding = null;
        itemPath = null;
        if (itemBody != null) {
            itemBody.release();
            itemBody = null;
        }
        hops = null;
        hop = 0;
        hopOperation = null;
        hopPrepared = null;
        hopConverter = null;
        bridgedRequest = null;
        bridgedRoute = null;
    }

    @Override
    public void decorate(HttpHeaders responseHeaders) {
        if (quota != null && sharedPass != null) {
            sharedPass.addHeaders(responseHeaders);
        } else if (quota != null) {
            quota.addHeaders(responseHeaders, System.nanoTime());
        }
        if (hops != null) {
            responseHeaders.set("X-LLM-Proxy-Upstream", hops.get(hop).upstream().name());
            if (hop > 0) {
                responseHeaders.set("X-LLM-Proxy-Failovers", hop);
            }
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
        if (exchange != null && ctx.channel().isWritable()) {
            exchange.clientWritable();
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
        if (awaitingAdmission != null) {
            abandonAdmission(); // leaves the admission queue at once
            if (record != null) {
                record.clientAborted(Stage.QUEUED);
            }
        }
        if (exchange != null) {
            exchange.clientClosed();
        }
        if (body != null) {
            body.release();
            body = null;
        }
        if (record != null && (was == State.READING_BODY || was == State.RESPONDING)) {
            if (!record.clientAborted() && exchange == null) {
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
        if (awaitingAdmission != null) {
            abandonAdmission();
            sendError(error);
        } else if (exchange != null) {
            exchange.terminate(error);
        } else if (state == State.READING_BODY && request != null) {
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
