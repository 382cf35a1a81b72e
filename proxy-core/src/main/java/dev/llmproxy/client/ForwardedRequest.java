package dev.llmproxy.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.admission.Admission;
import dev.llmproxy.admission.AdmittedCall;
import dev.llmproxy.bridge.ChatDialect;
import dev.llmproxy.bridge.messages.MessagesRequestBridge;
import dev.llmproxy.bridge.responses.ResponsesRequestBridge;
import dev.llmproxy.cluster.RequestCharges;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.exchange.ClientLeg;
import dev.llmproxy.exchange.ExchangeRecord;
import dev.llmproxy.exchange.HopByHopHeaders;
import dev.llmproxy.exchange.Metering;
import dev.llmproxy.exchange.ProxyExchange;
import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.exchange.UpstreamCall;
import dev.llmproxy.exchange.UpstreamPolicy;
import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.Json;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.OpenAiRequests;
import dev.llmproxy.openai.Operation;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.openai.RequestProfile;
import dev.llmproxy.routes.OffLoop;
import dev.llmproxy.routes.Responses;
import dev.llmproxy.upstream.FailoverReason;
import dev.llmproxy.upstream.GateEntry;
import dev.llmproxy.upstream.Hop;
import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.Upstream;
import dev.llmproxy.upstream.UpstreamGate;
import dev.llmproxy.upstream.UpstreamPool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One client request on its way upstream, from the moment its body is read to its end. An OpenAI call
 * ({@link #forward}) passes the client's allow-list and own limits and the context pre-check, then for each hop of
 * its route the upstream's breaker and gate, admission and a {@link ProxyExchange}; a failed hop before the first
 * response byte moves the request to the next one. A stored-response request ({@link #forwardToEach}) tries each
 * native upstream in turn; a {@code /tts} call ({@link #forwardTts}) is admitted and sent. It owns what it holds — the
 * client's body (each hop's body is made from it: the same bytes, or a splice), the admission ticket while queued,
 * the exchange, the upstream gate's pass ({@link HopGate}), the client quota — and gives it back in {@link #finish}.
 *
 * <p>To its exchanges it is the {@link ClientLeg}: it judges each upstream head and takes failovers, and passes the
 * rest through to the connection ({@link ClientResponder}), which hears only "answered" ({@code sendError},
 * {@code respond}) and "done" ({@code exchangeDone}).
 *
 * <p>Threading: one instance per request, confined to the client channel's event loop; the continuations it
 * schedules (a limit's delay, a Redis answer, an off-loop prompt check) come back to that loop and do nothing once
 * the request has ended.
 */
final class ForwardedRequest implements ClientLeg, Admission.Callback {
    private static final Logger log = LoggerFactory.getLogger(ForwardedRequest.class);
    /** Bodies are checked without resolving the model: {@link #forward} does that, once, per the upstream rules. */
    static final ModelCatalog NO_RESOLUTION = ModelCatalog.of(List.of());
    /** Every /tts call of a client shares one token bucket, apart from its model buckets. */
    private static final String TTS_BUCKET = "tts";
    /** Stored-response requests share one admission bucket: they name no model. */
    private static final String RESPONSES_BUCKET = "responses";

    private final ClientServices services;
    private final ModelGuard guard;
    private final ClientResponder connection;
    private final HttpRequest request;
    private final ExchangeRecord record;
    /** The configured client whose key the request carries, or null (no {@code clients:}). */
    private final ClientSpec client;
    private final String clientIp;
    /** The request ended (answered, or its client left): continuations still on their way do nothing. */
    private boolean ended;
    /** How this request's errors are answered when not as the plain envelope ({@code /v1/test-model}, Messages). */
    private Function<ProxyError, FullHttpResponse> errorRenderer;

    /** The admission ticket and the call it would start while the call waits in the queue; both null otherwise. */
    private Admission.Pending admitting;
    private UpstreamCall awaitingAdmission;
    /** Where the waiting call goes once admitted, and how the exchange is set up; see {@link #admitThenStart}. */
    private UpstreamPool admissionPool;
    private Duration admissionFirstByteTimeout;
    private Duration admissionStreamIdleTimeout;
    private boolean admissionForTts;
    /** The model request the waiting call carries, for wording a refusal; null for stored responses and TTS. */
    private OpenAiRequests.Prepared admissionPrepared;
    /** The current hop's exchange once admitted, or null. */
    private ProxyExchange exchange;
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
    private ResponseConverter hopConverter;
    /** The current hop's pass through its upstream's own limits. */
    private final HopGate gates;
    /**
     * The body this request was prepared from, once its hops are known, until it ends: each hop's body is made from
     * it ({@link OpenAiRequests.Prepared#upstreamBytes}), and suggestions of other models read it.
     */
    private ByteBuf clientBody;
    /** A body waiting for a limit's delay to pass (a scheduled continuation owns it until then), or null. */
    private ByteBuf parkedBody;
    /** The status of the current attempt's response head, 0 before one: the reason of a failover that follows. */
    private int judgedStatus;
    /** A stored-response request's upstream path and body (retained for each native upstream tried), or null. */
    private String itemPath;
    private ByteBuf itemBody;
    /** A bridged request as the client sent it (Responses or Messages), or null. */
    private ObjectNode bridgedRequest;
    private Route bridgedRoute;

    ForwardedRequest(ClientServices services, ModelGuard guard, ClientResponder connection, HttpRequest request,
                     ExchangeRecord record, ClientSpec client, String clientIp) {
        this.services = services;
        this.guard = guard;
        this.connection = connection;
        this.request = request;
        this.record = record;
        this.client = client;
        this.clientIp = clientIp;
        this.gates = new HopGate(services, request.headers(), client, clientIp);
    }

    HttpRequest request() {
        return request;
    }

    /** The client channel's event loop, where every continuation of this request runs. */
    EventExecutor executor() {
        return connection.channel().eventLoop();
    }

    /** Whether the request has ended: a continuation that finds it so drops what it carries. */
    boolean ended() {
        return ended;
    }

    /** This request's errors are answered as {@code renderer} shapes them instead of the OpenAI envelope. */
    void renderErrorsWith(Function<ProxyError, FullHttpResponse> renderer) {
        errorRenderer = renderer;
    }

    /** The response that answers {@code error} for this request. */
    FullHttpResponse errorResponse(ProxyError error) {
        return errorRenderer != null ? errorRenderer.apply(error) : Responses.error(request.protocolVersion(), error);
    }

    /** Answers with {@code response}: the request is done. */
    void respond(FullHttpResponse response) {
        connection.respond(response);
    }

    /** A bridged request: a failover rebuilds the chat request from it in the next upstream's dialect. */
    void rebridgeFrom(Route route, ObjectNode clientRequest) {
        bridgedRoute = route;
        bridgedRequest = clientRequest;
    }

    // ---------------------------------------------------------------- the hops of an OpenAI call

    /**
     * A validated OpenAI call on its way: credentials, the model checks (plan availability, the context pre-check),
     * headers, metering, then admission. Owns {@code raw}.
     */
    void forward(Operation operation, OpenAiRequests.Prepared requested, ByteBuf raw, ResponseConverter converter) {
        List<Hop> resolved = services.upstreams().resolve(requested.clientModel());
        if (resolved.isEmpty()) {
            record.model(requested.clientModel(), "other");
            ProxyError notFound = services.advisor().withSuggestions(ProxyError.of(ErrorKind.MODEL_NOT_FOUND,
                    "The model '" + PrintableText.of(requested.clientModel(), 200) + "' is not served by any"
                    + " configured upstream; call /v1/models to list available ids, or send <upstream>/<model>"),
                    RequestProfile.of(requested.upstreamTree(raw)), requested.clientModel());
            raw.release();
            sendError(notFound);
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
                    admitShared(operation, requested, raw, converter, resolved); // continues here with its pass
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
                    parkedBody = raw; // released with the request if it ends before the wait does
                    executor().schedule(() -> {
                        if (parkedBody == raw && !ended) {
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
        record.model(prepared.upstreamModel(), services.upstreams().label(resolved.get(0)),
                resolved.get(0).handle().index());

        clientBody = raw; // held until the request ends: a failover splices it again, suggestions read it
        ByteBuf upstreamBody = prepared.upstreamBytes(raw);
        if (resolved.size() > 1) {
            hopOperation = operation;
            hopPrepared = prepared;
        }
        ProxyError unavailable = guard.availability(prepared, upstreamBody);
        if (unavailable != null) {
            upstreamBody.release();
            sendError(unavailable);
            return;
        }
        ResponseConverter withSuggestions = guard.suggestingOnUnknownModel(converter, prepared, raw);
        hopConverter = withSuggestions;
        if (!guard.checksPrompt(operation)) {
            send(operation, prepared, upstreamBody, withSuggestions);
            return;
        }
        if (upstreamBody.readableBytes() <= ModelGuard.INLINE_CHECK_BYTES) {
            afterPromptCheck(operation, prepared, upstreamBody, withSuggestions,
                    guard.checkPrompt(prepared, upstreamBody), null);
            return;
        }
        // a large prompt may need parsing and tokenizing: milliseconds of CPU, done off the event loop (the
        // continuation owns the body until it is back)
        ByteBuf held = upstreamBody;
        try {
            CompletableFuture.supplyAsync(() -> guard.checkPrompt(prepared, held), services.work())
                    .whenComplete((error, failure) -> executor().execute(() -> afterPromptCheck(operation, prepared,
                            held, withSuggestions, error, failure)));
        } catch (RejectedExecutionException e) {
            held.release();
            sendError(OffLoop.busy()); // the work queue is full: 503 server_busy, never an unbounded backlog
        }
    }

    /**
     * The metrics label of a model id the client sent, for a request refused before it has a hop: the id when an
     * upstream lists it, else {@code other}. A hop's label comes with its handle ({@code ModelRouter.label}).
     */
    private String labelOf(String model) {
        return services.catalog().current().find(model).map(CatalogModel::id).orElse("other");
    }

    /**
     * Asks the replicas' shared store for the client's limits (one Redis round trip on this event loop, answered
     * within {@code REDIS_TIMEOUT_MS} whatever happens), then continues {@link #forward} with the pass.
     */
    private void admitShared(Operation operation, OpenAiRequests.Prepared requested, ByteBuf raw,
                             ResponseConverter converter, List<Hop> resolved) {
        // the first hop's upstream limits go in the same script: one round trip before the upstream call. The
        // estimate is taken from the body as the client sent it (the model id is rewritten later; a few bytes)
        GateEntry firstEntry = gates.firstEntry(resolved.get(0), raw.readableBytes() / 4 + requested.outputCap(),
                resolved.size() > 1, executor());
        services.clientQuotas().shared().admit(executor(), client, firstEntry).addListener(f -> {
            SharedClientPass pass = (SharedClientPass) f.getNow();
            if (ended) {
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

    private void afterPromptCheck(Operation operation, OpenAiRequests.Prepared prepared, ByteBuf upstreamBody,
                                  ResponseConverter converter, ProxyError tooLong, Throwable failure) {
        if (ended) {
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
        Hop current = hops.get(hop);
        Upstream upstream = current.upstream();
        ClientAuth.UpstreamKey key = services.auth().upstreamKey(request.headers(), upstream);
        if (key instanceof ClientAuth.UpstreamKey.Missing) {
            upstreamBody.release();
            sendError(ProxyError.of(ErrorKind.API_KEY_MISSING));
            return;
        }
        UpstreamGate gate = upstream.gate(current.handle());
        long estimate = upstreamBody.readableBytes() / 4 + prepared.outputCap();
        boolean another = hopPrepared != null && hop + 1 < hops.size();
        if (gates.mustAsk(gate, hop, sharedPass)) {
            enterShared(gate, estimate, another, operation, prepared, upstreamBody, converter);
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
                : new Metering(services.tokens(), prepared.upstreamModel(), prepared.prompt(), prepared.promptField(),
                prepared.usageInjected());
        judgedStatus = 0;
        // an upstream that keeps failing is skipped (a route moves on) or answered 503 at once, until its probe
        long breakerOpen = upstream.breaker().tryPass(System.nanoTime());
        if (breakerOpen > 0) {
            gates.abandon();
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
        long wait = gates.tryPass(gate, estimate, another);
        if (wait < 0) {
            upstreamBody.release();
            sendError(gates.refusal());
            return;
        }
        if (wait > 0) {
            if (another) {
                upstreamBody.release();
                failover(ProxyError.of(ErrorKind.UPSTREAM_RATE_LIMITED, "upstream " + hops.get(hop)
                        + " is at its limit"));
                return;
            }
            if (gates.waitFits(wait)) {
                parkedBody = upstreamBody; // released with the request if it ends before the wait does
                executor().schedule(() -> {
                    if (parkedBody == upstreamBody && !ended) {
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
        UpstreamCall call = new UpstreamCall(HttpMethod.POST, path, headers, upstreamBody, converter, metering, null);
        var options = upstream.options();
        admissionPrepared = prepared; // a refusal is worded with the request (rejected)
        admitThenStart(call, prepared.upstreamModel(), current.handle(), upstream.pool(), options.firstByteTimeout(),
                options.streamIdleTimeout(), false);
    }

    /** The upstream failed to answer: no connection, no head in time, a lost connection or an unreadable answer. */
    private static boolean isUpstreamFault(ErrorKind kind) {
        return kind == ErrorKind.UPSTREAM_UNREACHABLE || kind == ErrorKind.UPSTREAM_CONNECT_TIMEOUT
                || kind == ErrorKind.UPSTREAM_TIMEOUT || kind == ErrorKind.UPSTREAM_CONNECTION_LOST
                || kind == ErrorKind.UPSTREAM_BAD_RESPONSE;
    }

    /**
     * Asks the replicas' shared gate of the upstream for a pass (one Redis round trip on this event loop, answered
     * within {@code REDIS_TIMEOUT_MS}), then continues {@link #send} with the entry.
     */
    private void enterShared(UpstreamGate gate, long estimate, boolean another, Operation operation,
                             OpenAiRequests.Prepared prepared, ByteBuf upstreamBody, ResponseConverter converter) {
        int forHop = hop;
        gates.ask(gate, hops.get(forHop), estimate, another, executor()).addListener(f -> {
            GateEntry entry = (GateEntry) f.getNow();
            if (ended || hop != forHop) {
                entry.abandon(); // the client left while Redis answered
                upstreamBody.release();
                return;
            }
            gates.entered(entry);
            send(operation, prepared, upstreamBody, converter);
        });
    }

    /** The bridged client request translated again for {@code next}'s upstream, whose chat dialect may differ. */
    private OpenAiRequests.Prepared rebridge(Hop next) {
        ChatDialect dialect = BridgedEndpoints.dialectOf(next.upstream());
        ObjectNode chat = bridgedRoute == Route.RESPONSES
                ? new ResponsesRequestBridge(dialect).toChat(bridgedRequest).chatRequest()
                : new MessagesRequestBridge(dialect).toChat(bridgedRequest).chatRequest();
        return OpenAiRequests.prepare(Operation.CHAT_COMPLETIONS, chat, NO_RESOLUTION,
                services.config().metrics().injectStreamUsage()).withUpstreamModel(next.model());
    }

    // ---------------------------------------------------------------- stored responses, /tts, admission

    /**
     * A stored-response request ({@code GET|DELETE /v1/responses/{id}}, {@code …/cancel}) to each of {@code natives}
     * in turn until one does not answer 404. Owns {@code body}.
     */
    void forwardToEach(List<Hop> natives, String path, ByteBuf body) {
        hops = natives;
        hop = 0;
        itemPath = path;
        itemBody = body;
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
        // no model: the bucket's name is resolved here, once, as a hop's model is at routing
        admissionPrepared = null;
        admitThenStart(call, RESPONSES_BUCKET, services.upstreams().models().intern(RESPONSES_BUCKET), upstream.pool(),
                options.firstByteTimeout(), options.streamIdleTimeout(), false);
    }

    /** A checked {@code /tts} call: admitted in its own bucket, then sent to the TTS engine. */
    void forwardTts(UpstreamCall call) {
        var tts = services.config().tts();
        admissionPrepared = null;
        admitThenStart(call, TTS_BUCKET, services.upstreams().models().intern(TTS_BUCKET), services.ttsPool(),
                tts.firstByteTimeout(), services.config().upstream().streamIdleTimeout(), true);
    }

    /**
     * Hands a prepared call to admission; once admitted ({@link #admitted}), the exchange starts with the admitted
     * call's policy ({@code tts}: the TTS engine's). Until then the call waits in {@link #awaitingAdmission}, so a
     * client that leaves frees its queue place and its body at once. This request is admission's callback, so
     * waiting allocates no closure.
     */
    private void admitThenStart(UpstreamCall call, String model, ModelHandle handle, UpstreamPool pool,
                                Duration firstByteTimeout, Duration streamIdleTimeout, boolean tts) {
        String identity = gates.admissionIdentity();
        awaitingAdmission = call;
        admissionPool = pool;
        admissionFirstByteTimeout = firstByteTimeout;
        admissionStreamIdleTimeout = streamIdleTimeout;
        admissionForTts = tts;
        Admission.Pending pending = services.admission().admit(identity, model, handle, executor(), this);
        if (awaitingAdmission != null) {
            admitting = pending; // still waiting: the client may leave meanwhile
        }
    }

    /** Admission let the waiting call through: the exchange starts. */
    @Override
    public void admitted(AdmittedCall admitted) {
        UpstreamCall call = awaitingAdmission;
        admitting = null;
        awaitingAdmission = null;
        record.admitted(admitted.queueWaitNanos());
        UpstreamPolicy policy = admissionForTts ? new TtsPolicy(admitted) : admitted;
        exchange = new ProxyExchange(this, admissionPool, call, policy, request.protocolVersion(), request.method(),
                admissionFirstByteTimeout, admissionStreamIdleTimeout, record, services.chunkGaps());
        exchange.start();
    }

    /** Admission refused the waiting call: the refusal, worded with the request when it is a model's call. */
    @Override
    public void rejected(ProxyError error) {
        UpstreamCall call = awaitingAdmission;
        admitting = null;
        awaitingAdmission = null;
        ProxyError answer = admissionPrepared == null ? error
                : guard.onRejected(error, admissionPrepared, call.body()); // may read the body: released after
        call.body().release();
        sendError(answer);
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

    // ---------------------------------------------------------------- ClientLeg: what the exchange asks

    @Override
    public Channel channel() {
        return connection.channel();
    }

    @Override
    public void decorate(HttpHeaders responseHeaders) {
        connection.decorate(responseHeaders);
    }

    @Override
    public boolean keepAliveAfterResponse() {
        return connection.keepAliveAfterResponse();
    }

    @Override
    public void sendError(ProxyError error) {
        connection.sendError(error);
    }

    @Override
    public void exchangeDone(boolean reusable) {
        connection.exchangeDone(reusable);
    }

    @Override
    public void observeHead(int status, HttpHeaders headers) {
        if (hops == null) {
            return;
        }
        judgedStatus = status; // the reason of a failover that follows
        UpstreamGate held = gates.held();
        if (held != null) {
            held.learn(status, headers, System.nanoTime());
            if (held.shared() != null) {
                held.shared().learn(executor(), status, headers); // one replica's sighting pauses all
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

    @Override
    public boolean failover(ProxyError error) {
        if (hops != null && judgedStatus == 0 && isUpstreamFault(error.kind())) {
            hops.get(hop).upstream().breaker().fault(System.nanoTime()); // no response at all
        }
        if (itemPath != null && hop + 1 < hops.size() && !ended) {
            hop++;
            exchange = null;
            record.failover();
            sendItem(); // the next native upstream may hold the response
            return true;
        }
        if (hops == null || hop + 1 >= hops.size() || hopPrepared == null || ended) {
            return false;
        }
        Hop failed = hops.get(hop);
        failed.upstream().counters().failedOver();
        services.upstreams().failedOver(hops, FailoverReason.of(error, judgedStatus));
        judgedStatus = 0;
        gates.leave(record.totalTokens(), null);
        hop++;
        Hop next = hops.get(hop);
        log.debug("failover from {} to {}: {}", failed, next, error.message());
        record.failover();
        exchange = null;
        OpenAiRequests.Prepared prepared = bridgedRequest == null ? hopPrepared.withUpstreamModel(next.model())
                : rebridge(next);
        hopPrepared = prepared;
        record.model(prepared.upstreamModel(), services.upstreams().label(next), next.handle().index());
        ByteBuf body = bridgedRequest == null ? prepared.upstreamBytes(clientBody)
                : Unpooled.wrappedBuffer(Json.bytes(prepared.upstreamBody())); // a bridge's tree for this dialect
        send(hopOperation, prepared, body, hopConverter);
        return true;
    }

    // ---------------------------------------------------------------- what the connection asks

    /** The client can take more bytes: the exchange reads on. */
    void clientWritable() {
        if (exchange != null) {
            exchange.clientWritable();
        }
    }

    /**
     * The client's connection closed: a queued call leaves the admission queue at once, a running exchange closes
     * its upstream. Returns whether an exchange was running (it recorded where the client left).
     */
    boolean clientClosed() {
        ended = true;
        if (awaitingAdmission != null) {
            abandonAdmission(); // leaves the admission queue at once
            record.clientAborted(Stage.QUEUED);
        }
        if (exchange != null) {
            exchange.clientClosed();
            return true;
        }
        return false;
    }

    /**
     * The shutdown grace is over: a queued call is answered {@code error}, a running exchange ends with it. Returns
     * false when neither is in progress.
     */
    boolean terminate(ProxyError error) {
        if (awaitingAdmission != null) {
            abandonAdmission();
            sendError(error);
            return true;
        }
        if (exchange != null) {
            exchange.terminate(error);
            return true;
        }
        return false;
    }

    /** The proxy's headers about this request: the client's limits, the upstream that served it and failovers. */
    void addHeaders(HttpHeaders responseHeaders) {
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
    }

    /**
     * The request ended: what it holds goes back — a parked body, the gate's pass, the upstream's count of calls in
     * progress — and the client's quota is settled with the tokens used (with {@code REDIS_URL}, the shared pass too:
     * exact usage charged, its concurrency lease released).
     */
    void finish() {
        ended = true;
        if (parkedBody != null) {
            parkedBody.release(); // its continuation will find the request gone
            parkedBody = null;
        }
        // with REDIS_URL the gate's part and the client's go back in one call
        RequestCharges charges = sharedPass != null ? sharedPass.charges() : null;
        gates.leave(record.totalTokens(), charges);
        if (hops != null) {
            hops.get(hop).upstream().counters().ended(record.status());
        }
        if (quota != null) {
            quota.settle(record.totalTokens(), System.nanoTime(), System.currentTimeMillis());
            quota = null;
        }
        if (sharedPass != null) {
            sharedPass.settle(record.totalTokens(), charges);
            sharedPass = null;
        }
        if (itemBody != null) {
            itemBody.release();
            itemBody = null;
        }
        if (clientBody != null) {
            clientBody.release();
            clientBody = null;
        }
    }
}
