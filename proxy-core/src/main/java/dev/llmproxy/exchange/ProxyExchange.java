package dev.llmproxy.exchange;

import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.PoolExhaustedException;
import dev.llmproxy.upstream.UpstreamHandler;
import dev.llmproxy.upstream.UpstreamHttpCodec;
import dev.llmproxy.upstream.UpstreamListener;
import dev.llmproxy.upstream.UpstreamPool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * One request/response across the two legs: takes an upstream connection from the pool of the client's event loop,
 * writes the prepared request, and relays the response part by part — head as soon as it arrives, each body chunk
 * written at once and flushed at the end of every upstream read. The next upstream read is requested only while the
 * client channel is writable, so a slow client holds the upstream back instead of filling the proxy's memory.
 *
 * <p>Owns the request body, the timers and the upstream connection. Every way out — completion, client abort,
 * upstream failure, timeout — goes through one of {@link #complete}, {@link #failBeforeHead}, {@link #abortMidStream}
 * or {@link #clientClosed}, each of which runs exactly once ({@code finished}).
 *
 * <p>Threading: every method runs on the client channel's event loop, which is also the upstream channel's loop.
 */
public final class ProxyExchange implements UpstreamListener, Runnable, ChannelFutureListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);
    /** Generated text kept for a token estimate when the upstream sends no usage; longer text is extrapolated. */
    private static final int MAX_CAPTURED_CHARS = 64 * 1024;
    /** The shortest time a client that does not read may hold its exchange (and upstream connection) open. */
    private static final long CLIENT_STALL_FLOOR_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ClientLeg client;
    private final Channel clientChannel;
    private final UpstreamPool pool;
    private final UpstreamCall call;
    private final UpstreamPolicy policy;
    private final HttpVersion clientVersion;
    private final boolean clientSentHead;
    private final Duration firstByteTimeout;
    private final Duration streamIdleTimeout;
    private final ExchangeRecord record;
    private final LongConsumer chunkGaps;

    private Stage stage = Stage.CONNECTING;
    /** Whether the client connection may serve another request once the last write completes. */
    private boolean lastWriteReusable;
    private Future<Channel> acquire;
    private Channel upstream;
    private ChannelFuture requestWrite;
    private boolean reusedConnection;
    private boolean retried;
    private boolean upstreamResponded;
    /** A 1xx head was read and its (empty) end has not come yet. */
    private boolean skippingInformational;
    /** When the idle check first found the client not reading (0 while it reads): backpressure, not upstream silence. */
    private long clientBlockedSinceNanos;
    private boolean headSent;
    private boolean upstreamKeepAlive;
    private boolean clientFramingCloseDelimited;
    private boolean clientKeepAlive;
    private HttpResponse heldHead;
    private HttpResponse headWritten;
    private BodyConverter converter;
    private StreamMeter streamMeter;
    private JsonMeter jsonMeter;
    private SseTail sseTail;
    private ScheduledFuture<?> timer;
    private ScheduledFuture<?> retryTimer;
    private long deadlineNanos;
    private long lastUpstreamReadNanos;
    private long lastChunkNanos;
    private int attempts;
    private int lastUpstreamStatus;
    private boolean upstreamFault;
    private boolean finished;

    /**
     * @param clientRequestMethod the client's method (HEAD responses carry no body)
     */
    public ProxyExchange(ClientLeg client, UpstreamPool pool, UpstreamCall call, UpstreamPolicy policy,
                         HttpVersion clientVersion, HttpMethod clientRequestMethod, Duration firstByteTimeout,
                         Duration streamIdleTimeout, ExchangeRecord record, LongConsumer chunkGaps) {
        this.client = client;
        this.clientChannel = client.channel();
        this.pool = pool;
        this.call = call;
        this.policy = policy;
        this.clientVersion = clientVersion;
        this.clientSentHead = HttpMethod.HEAD.equals(clientRequestMethod);
        this.firstByteTimeout = firstByteTimeout;
        this.streamIdleTimeout = streamIdleTimeout;
        this.record = record;
        this.chunkGaps = chunkGaps;
    }

    public Stage stage() {
        return stage;
    }

    /** Starts the exchange: the first-byte deadline covers waiting for a connection, connecting and the wait for the head. */
    public void start() {
        deadlineNanos = System.nanoTime() + firstByteTimeout.toNanos();
        attempts = 1;
        timer = clientChannel.eventLoop().schedule(this, firstByteTimeout.toNanos(), TimeUnit.NANOSECONDS);
        acquire(false);
    }

    private void acquire(boolean fresh) {
        stage = Stage.CONNECTING;
        Future<Channel> f = pool.acquire(clientChannel.eventLoop(), fresh);
        acquire = f;
        if (f.isDone()) {
            onAcquired(f);
        } else {
            f.addListener(done -> onAcquired(f));
        }
    }

    private void onAcquired(Future<Channel> f) {
        if (finished) {
            if (f.isSuccess()) {
                pool.release(f.getNow());
            }
            return;
        }
        if (!f.isSuccess()) {
            onAttemptFailed(connectError(f.cause()));
            return;
        }
        upstream = f.getNow();
        UpstreamHandler handler = UpstreamHandler.of(upstream);
        handler.bind(this);
        reusedConnection = handler.exchangesServed() > 1;
        stage = Stage.AWAITING_HEAD;
        upstreamResponded = false;
        skippingInformational = false;

        // the call's own headers, not a copy: nothing reads them while the request is written, and an attempt
        // again sets the same values
        HttpHeaders h = call.headers();
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, call.method(),
                pool.target().uri(call.path()), call.body().retainedDuplicate(), h, EmptyHttpHeaders.INSTANCE);
        h.set(HttpHeaderNames.HOST, pool.target().hostHeader());
        h.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        if (call.body().isReadable() || !HttpMethod.GET.equals(call.method()) && !HttpMethod.HEAD.equals(call.method())) {
            HttpUtil.setContentLength(request, call.body().readableBytes());
        }
        Channel ch = upstream;
        record.upstreamRequestSent(System.nanoTime());
        requestWrite = ch.writeAndFlush(request);
        requestWrite.addListener(this); // operationComplete: a failed write fails the attempt
        ch.read();
    }

    // ---------------------------------------------------------------- upstream events

    @Override
    public void onUpstreamMessage(HttpObject message) {
        if (finished) {
            ReferenceCountUtil.release(message);
            return;
        }
        upstreamResponded = true;
        lastUpstreamReadNanos = System.nanoTime();
        DecoderResult result = message.decoderResult();
        if (result.isFailure()) {
            ReferenceCountUtil.release(message);
            onUpstreamProtocolError(result.cause());
            return;
        }
        if (message instanceof HttpResponse head) {
            if (head.status().code() == 101) {
                ReferenceCountUtil.release(message); // an upgrade the proxy never asked for: no HTTP answer follows
                onUpstreamProtocolError(new IllegalStateException("the upstream switched protocols (101)"));
                return;
            }
            if (head.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // 100 Continue, 103 Early Hints…: the real head follows; the decoder ends the 1xx with an empty
                // last content, which is not the end of this response
                skippingInformational = !(message instanceof LastHttpContent);
                ReferenceCountUtil.release(message);
                return;
            }
            if (!acceptHead(head)) {
                ReferenceCountUtil.release(message);
                return;
            }
            onHead(head);
        }
        if (message instanceof HttpContent content) {
            if (skippingInformational) {
                skippingInformational = !(message instanceof LastHttpContent);
                content.release();
                return;
            }
            onContent(content);
        }
    }

    /** Lets the policy forward, retry or replace this attempt's response before the client sees any of it. */
    private boolean acceptHead(HttpResponse head) {
        lastUpstreamStatus = head.status().code();
        upstreamFault = lastUpstreamStatus >= 500;
        record.upstreamHead(System.nanoTime());
        if (lastUpstreamStatus == 429) {
            record.upstream429(head.headers().get("x-ratelimit-type"));
        }
        client.observeHead(lastUpstreamStatus, head.headers());
        UpstreamPolicy.Decision decision = policy.onHead(head, attempts, deadlineNanos - System.nanoTime());
        if (decision instanceof UpstreamPolicy.Decision.Retry retry) {
            closeUpstream();
            scheduleRetry(retry.delayNanos());
            return false;
        }
        if (decision instanceof UpstreamPolicy.Decision.Fail fail) {
            closeUpstream();
            failBeforeHead(fail.error());
            return false;
        }
        ProxyError instead = client.judgeHead(lastUpstreamStatus, head.headers());
        if (instead != null) {
            closeUpstream();
            failBeforeHead(instead);
            return false;
        }
        return true;
    }

    /** The current attempt got no response; the policy chooses between another attempt and {@code error}. */
    private void onAttemptFailed(ProxyError error) {
        // the proxy's own pool limit says nothing about the upstream's health: no breaker or adaptive penalty
        upstreamFault = error.kind() != ErrorKind.UPSTREAM_POOL_EXHAUSTED;
        UpstreamPolicy.Decision decision = policy.onFailure(error, attempts, deadlineNanos - System.nanoTime());
        if (decision instanceof UpstreamPolicy.Decision.Retry retry) {
            scheduleRetry(retry.delayNanos());
        } else if (decision instanceof UpstreamPolicy.Decision.Fail fail) {
            failBeforeHead(fail.error());
        } else {
            failBeforeHead(error);
        }
    }

    private void scheduleRetry(long delayNanos) {
        attempts++;
        stage = Stage.CONNECTING;
        upstreamResponded = false;
        if (delayNanos <= 0) {
            acquire(false);
        } else {
            retryTimer = clientChannel.eventLoop().schedule(() -> {
                retryTimer = null;
                if (!finished) {
                    acquire(false);
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onHead(HttpResponse head) {
        stage = Stage.STREAMING;
        cancelTimer();
        timer = clientChannel.eventLoop().schedule(this, streamIdleTimeout.toNanos(), TimeUnit.NANOSECONDS);
        upstreamKeepAlive = HttpUtil.isKeepAlive(head);
        record.status(head.status().code());

        HttpResponse out = new DefaultHttpResponse(clientVersion, head.status());
        if (call.responseHeaders() != null) {
            HopByHopHeaders.copyAllowed(head.headers(), out.headers(), call.responseHeaders());
        } else {
            HopByHopHeaders.copyResponseHeaders(head.headers(), out.headers());
        }
        HttpHeaders h = out.headers();
        client.decorate(h);
        h.add("Server-Timing", serverTiming(System.nanoTime()));
        boolean success = head.status().codeClass() == HttpStatusClass.SUCCESS;
        converter = call.converter().forResponse(head);
        if (success && call.metering() != null) {
            startMetering(h);
        }
        if (isEventStream(h)) {
            record.stream(true);
            sseTail = new SseTail();
            if (!clientSentHead && mayHaveBody(head.status())) {
                // an event stream goes out chunked whatever the upstream's framing: a failure can then still end it
                // with an error event and a proper end, and the meter may drop the usage event it caused
                h.remove(HttpHeaderNames.CONTENT_LENGTH);
            }
            h.set("X-Accel-Buffering", "no");
            if (!h.contains(HttpHeaderNames.CACHE_CONTROL)) {
                h.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
            }
        }
        if (converter != null) {
            h.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        if (converter != null && converter.aggregates()) {
            heldHead = out; // the converted body decides the length; sent in complete()
            return;
        }
        frameForClient(out, clientSentHead || !mayHaveBody(head.status()));
        clientChannel.write(out, clientChannel.voidPromise());
        headSent = true;
    }

    private void onContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        // from here on `data` is the one buffer this part holds: forwarding or releasing it settles `content`
        ByteBuf data = content.content();
        if (sseTail != null && data.isReadable()) {
            // the pause between two pieces of a stream, as the client will feel it
            if (lastChunkNanos != 0) {
                chunkGaps.accept(lastUpstreamReadNanos - lastChunkNanos);
            }
            lastChunkNanos = lastUpstreamReadNanos;
        }
        HttpHeaders trailers = last ? ((LastHttpContent) content).trailingHeaders() : null;
        if (streamMeter != null) {
            data = streamMeter.onChunk(data, clientChannel.alloc());
            if (last) {
                data = append(data, streamMeter.endOfStream());
            }
            if (streamMeter.firstTokenNanos() > 0) {
                record.firstToken(streamMeter.firstTokenNanos());
            }
        } else if (jsonMeter != null && data.isReadable()) {
            jsonMeter.onChunk(data);
        }
        if (converter != null) {
            try {
                if (data.isReadable()) {
                    converter.onContent(data, clientChannel.alloc(), this::writeConverted);
                }
            } catch (RuntimeException e) {
                log.debug("cannot convert upstream response", e);
                closeUpstream();
                ProxyError error = ProxyError.of(ErrorKind.UPSTREAM_BAD_RESPONSE,
                        "the upstream's response could not be converted: " + e.getMessage());
                if (headSent) {
                    abortMidStream(error);
                } else {
                    failBeforeHead(error);
                }
                return;
            } finally {
                data.release();
            }
            if (last) {
                finishConverted();
            }
            return;
        }
        int n = data.readableBytes();
        record.addBytesOut(n);
        if (sseTail != null && n > 0) {
            sseTail.update(data);
        }
        if (last) {
            if (n == 0 && (trailers == null || trailers.isEmpty())) {
                data.release();
                complete(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                complete(new DefaultLastHttpContent(data, trailers == null ? EmptyHttpHeaders.INSTANCE : trailers));
            }
        } else if (n > 0) {
            clientChannel.write(new DefaultHttpContent(data), clientChannel.voidPromise());
        } else {
            data.release();
        }
    }

    /** {@code head} followed by {@code tail}, both owned: the result is owned; an empty side costs nothing. */
    private ByteBuf append(ByteBuf head, ByteBuf tail) {
        if (!tail.isReadable()) {
            tail.release();
            return head;
        }
        if (!head.isReadable()) {
            head.release();
            return tail;
        }
        return clientChannel.alloc().compositeBuffer(2).addComponents(true, head, tail);
    }

    private void writeConverted(ByteBuf converted) {
        if (heldHead != null) {
            converted.release(); // aggregating converters only emit from finish()
            return;
        }
        record.addBytesOut(converted.readableBytes());
        if (sseTail != null) {
            sseTail.update(converted);
        }
        clientChannel.write(new DefaultHttpContent(converted), clientChannel.voidPromise());
    }

    private void finishConverted() {
        if (heldHead != null) {
            ByteBuf[] body = new ByteBuf[1];
            try {
                converter.finish(clientChannel.alloc(), b -> body[0] = b);
            } catch (RuntimeException e) {
                if (body[0] != null) {
                    body[0].release();
                }
                log.debug("cannot convert upstream response", e);
                releaseUpstream();
                failBeforeHead(ProxyError.of(ErrorKind.UPSTREAM_BAD_RESPONSE,
                        "the upstream's response could not be converted: " + e.getMessage()));
                return;
            }
            ByteBuf content = body[0] == null ? Unpooled.EMPTY_BUFFER : body[0];
            FullHttpResponse full = new DefaultFullHttpResponse(clientVersion, converter.status(heldHead.status()),
                    content);
            full.headers().set(heldHead.headers());
            heldHead = null;
            HttpUtil.setContentLength(full, content.readableBytes());
            full.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
            setConnectionHeader(full);
            record.addBytesOut(content.readableBytes());
            headSent = true;
            completeWith(full);
            return;
        }
        converter.finish(clientChannel.alloc(), this::writeConverted);
        complete(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (finished) {
            return;
        }
        if (headSent) {
            clientChannel.flush();
        }
        requestMore();
    }

    /** The client's outbound buffer drained below its low-water mark: resume reading upstream. */
    public void clientWritable() {
        if (clientBlockedSinceNanos != 0) {
            clientBlockedSinceNanos = 0;
            lastUpstreamReadNanos = System.nanoTime(); // the pause was the client's
        }
        requestMore();
    }

    private void requestMore() {
        if (finished || upstream == null) {
            return;
        }
        if (clientChannel.isWritable()) {
            upstream.read();
        } else if (clientBlockedSinceNanos == 0) {
            clientBlockedSinceNanos = System.nanoTime(); // reading waits for the client: its time, not the upstream's
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (finished) {
            return;
        }
        onUpstreamFailure(cause);
    }

    private void onUpstreamFailure(Throwable cause) {
        if (finished) {
            return;
        }
        closeUpstream();
        if (!upstreamResponded && reusedConnection && !retried) {
            // A pooled keep-alive connection the upstream had already closed: try once on a new one.
            retried = true;
            log.debug("reused upstream connection failed before any response byte; retrying on a new one", cause);
            acquire(true);
            return;
        }
        if (stage == Stage.STREAMING && headSent) {
            upstreamFault = true;
            abortMidStream(ProxyError.of(ErrorKind.UPSTREAM_CONNECTION_LOST));
        } else if (stage == Stage.STREAMING) {
            upstreamFault = true;
            failBeforeHead(ProxyError.of(ErrorKind.UPSTREAM_CONNECTION_LOST)); // a held head: nothing sent yet
        } else {
            onAttemptFailed(cause instanceof SSLException
                    ? ProxyError.of(ErrorKind.UPSTREAM_BAD_RESPONSE, "TLS error on the upstream connection")
                    : ProxyError.of(ErrorKind.UPSTREAM_CONNECTION_LOST));
        }
    }

    private void onUpstreamProtocolError(Throwable cause) {
        log.debug("malformed upstream response", cause);
        closeUpstream();
        if (headSent) {
            abortMidStream(ProxyError.of(ErrorKind.UPSTREAM_BAD_RESPONSE));
        } else {
            failBeforeHead(ProxyError.of(ErrorKind.UPSTREAM_BAD_RESPONSE));
        }
    }

    // ---------------------------------------------------------------- timers and writes

    /**
     * The exchange's one timer ({@link #timer}) fired: before the head it is the first-byte deadline, after it the
     * stream's idle check. The exchange is its own task, so arming a timer allocates no closure.
     */
    @Override
    public void run() {
        if (stage == Stage.STREAMING) {
            checkIdle();
        } else {
            firstByteTimedOut();
        }
    }

    /**
     * The upstream request's write or the client's last write completed (the exchange is its own listener, so a
     * write allocates no closure).
     */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (f.channel() == clientChannel) {
            client.exchangeDone(lastWriteReusable && f.isSuccess());
        } else if (!f.isSuccess() && f.channel() == upstream) {
            onUpstreamFailure(f.cause());
        }
    }

    private void firstByteTimedOut() {
        if (finished || stage == Stage.STREAMING) {
            return;
        }
        upstreamFault = true;
        failBeforeHead(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "the upstream sent no response within "
                + firstByteTimeout.toMillis() + " ms"));
    }

    private void checkIdle() {
        if (finished) {
            return;
        }
        long now = System.nanoTime();
        long limit = streamIdleTimeout.toNanos();
        if (clientBlockedSinceNanos != 0 || !clientChannel.isWritable()) {
            // the proxy stopped reading because the client is not reading: the silence is the client's, and no
            // upstream fault; a client stalled for two idle periods (at least a minute) is let go
            if (clientBlockedSinceNanos == 0) {
                clientBlockedSinceNanos = now;
            }
            if (now - clientBlockedSinceNanos < clientStallLimitNanos()) {
                timer = clientChannel.eventLoop().schedule(this, limit, TimeUnit.NANOSECONDS);
                return;
            }
            record.clientAborted(stage);
            tearDown();
            reportEnd(true);
            clientChannel.close();
            client.exchangeDone(false);
            return;
        }
        long idleNanos = now - lastUpstreamReadNanos;
        if (idleNanos < limit) {
            timer = clientChannel.eventLoop().schedule(this, limit - idleNanos, TimeUnit.NANOSECONDS);
            return;
        }
        upstreamFault = true;
        ProxyError error = ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "the upstream sent nothing for "
                + streamIdleTimeout.toMillis() + " ms");
        if (headSent) {
            abortMidStream(error);
        } else {
            failBeforeHead(error, false);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (retryTimer != null) {
            retryTimer.cancel(false);
            retryTimer = null;
        }
    }

    // ---------------------------------------------------------------- endings

    /** Chooses the meter by what the upstream actually sends, not by what the client asked for. */
    private void startMetering(HttpHeaders responseHeaders) {
        String type = responseHeaders.get(HttpHeaderNames.CONTENT_TYPE, "");
        Metering m = call.metering();
        if (type.regionMatches(true, 0, "text/event-stream", 0, 17)) {
            streamMeter = new StreamMeter(m.usageInjected(), System::nanoTime, MAX_CAPTURED_CHARS);
        } else if (type.regionMatches(true, 0, "application/json", 0, 16)) {
            jsonMeter = new JsonMeter(MAX_CAPTURED_CHARS);
        }
    }

    /** What the response cost in tokens: the upstream's usage, else the tokenizer's estimate. */
    private void recordUsage() {
        Metering m = call.metering();
        Usage usage = null;
        try {
            // the prompt is read (a peeked request's body parsed) only when the upstream reported no usage, and
            // tokenized only when the body is small: this runs on the event loop
            if (streamMeter != null) {
                usage = streamMeter.usage(m, call.body());
            } else if (jsonMeter != null) {
                usage = jsonMeter.usage(m, call.body());
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            // an estimate is never worth an exchange that does not end: its slot and its client's last bytes
            log.warn("token estimate for {} failed; the request is counted without tokens", m.model(), e);
        }
        if (usage != null) {
            record.tokens(usage.promptTokens(), usage.completionTokens(), usage.estimated());
        }
    }

    private void closeMeters() {
        if (streamMeter != null) {
            streamMeter.close();
        }
        if (jsonMeter != null) {
            jsonMeter.close();
        }
    }

    /** Upstream body complete: write the last part, give the connection back, hand the client connection on. */
    private void complete(HttpContent last) {
        HttpContent tail = last;
        if (clientFramingCloseDelimited && !tail.content().isReadable()) {
            tail.release();
            tail = LastHttpContent.EMPTY_LAST_CONTENT;
        }
        completeWith(tail);
    }

    private void completeWith(Object lastWrite) {
        finished = true;
        stage = Stage.DONE;
        cancelTimer();
        releaseUpstream();
        closeConverter();
        recordUsage();
        closeMeters();
        call.body().release();
        reportEnd(false);
        lastWriteReusable = clientKeepAlive && !clientFramingCloseDelimited;
        clientChannel.writeAndFlush(lastWrite).addListener(this); // operationComplete: the client leg is done
    }

    private void releaseUpstream() {
        Channel ch = upstream;
        upstream = null;
        if (ch == null) {
            return;
        }
        boolean requestFullyWritten = requestWrite != null && requestWrite.isDone() && requestWrite.isSuccess();
        UpstreamHttpCodec codec = UpstreamHttpCodec.of(ch);
        // bytes past the end of the response (a body longer than its Content-Length) would start the next one; a
        // channel without the codec (torn down, or a test's) has nothing known unread, and isActive says the rest
        boolean inStep = codec == null || !codec.holdsUnreadBytes();
        if (upstreamKeepAlive && requestFullyWritten && ch.isActive() && inStep) {
            pool.release(ch);
        } else {
            UpstreamHandler.of(ch).unbind();
            ch.close();
        }
    }

    /** Before any response byte reached the client: a real status and the OpenAI envelope. */
    private void failBeforeHead(ProxyError error) {
        failBeforeHead(error, true);
    }

    /** @param mayFailover whether another upstream of the client's route may take the request instead */
    private void failBeforeHead(ProxyError error, boolean mayFailover) {
        if (finished) {
            return;
        }
        record.failedAt(stage);
        tearDown();
        reportEnd(false);
        if (mayFailover && client.failover(error)) {
            return;
        }
        record.error(error.kind());
        client.sendError(error);
    }

    /**
     * After the head went out the status cannot change: an event stream gets a final {@code data: {"error":…}} event
     * and a proper end, and a keep-alive client keeps its connection; any other body is cut (the client sees a
     * truncated response) by closing the connection, once what was queued for the client is written.
     */
    private void abortMidStream(ProxyError error) {
        if (finished) {
            return;
        }
        record.failedAt(stage);
        record.error(error.kind());
        // what the meter still holds of a partial event goes out first, as it would have without the meter
        ByteBuf held = streamMeter != null && converter == null ? streamMeter.endOfStream() : Unpooled.EMPTY_BUFFER;
        // a bridged API ends its stream in its own terms (response.failed, Anthropic's error event)
        ByteBuf ownEnd = converter != null && headSent ? converter.onStreamError(error, clientChannel.alloc()) : null;
        tearDown();
        reportEnd(false);
        boolean chunkedOrCloseDelimited = clientFramingCloseDelimited
                || HttpUtil.isTransferEncodingChunked(headWritten);
        if (held.isReadable() && chunkedOrCloseDelimited) {
            if (sseTail != null) {
                sseTail.update(held);
            }
            record.addBytesOut(held.readableBytes());
            clientChannel.write(new DefaultHttpContent(held), clientChannel.voidPromise());
        } else {
            held.release();
        }
        ChannelFuture last;
        boolean terminated; // the body ends as its framing says, so the client can tell the end from a cut
        if (ownEnd != null && chunkedOrCloseDelimited) {
            record.addBytesOut(ownEnd.readableBytes());
            clientChannel.write(new DefaultHttpContent(ownEnd), clientChannel.voidPromise());
            last = clientChannel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            terminated = true;
        } else if (sseTail != null && chunkedOrCloseDelimited) {
            if (ownEnd != null) {
                ownEnd.release();
            }
            byte[] terminator = sseTail.terminator();
            byte[] event = error.toSseEvent();
            ByteBuf buf = clientChannel.alloc().buffer(terminator.length + event.length);
            buf.writeBytes(terminator).writeBytes(event);
            record.addBytesOut(buf.readableBytes());
            clientChannel.write(new DefaultHttpContent(buf), clientChannel.voidPromise());
            last = clientChannel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            terminated = true;
        } else {
            if (ownEnd != null) {
                ownEnd.release();
            }
            last = clientChannel.writeAndFlush(new DefaultHttpContent(Unpooled.EMPTY_BUFFER));
            terminated = false;
        }
        // a stream that ended properly leaves a keep-alive connection open for the client's next request; a cut
        // body (or a close-delimited one) can only end with the connection
        endAfterWrite(last, terminated && clientKeepAlive && !clientFramingCloseDelimited);
    }

    /**
     * Hands the client connection on once {@code last} is written: closing it earlier would drop what is still
     * queued behind a slow client (the final error event). A client that does not take it for as long as a stalled
     * reader may stay is let go.
     */
    private void endAfterWrite(ChannelFuture last, boolean reusable) {
        if (last.isDone()) {
            client.exchangeDone(reusable && last.isSuccess());
            return;
        }
        ScheduledFuture<?> giveUp = clientChannel.eventLoop().schedule(() -> {
            clientChannel.close();
        }, clientStallLimitNanos(), TimeUnit.NANOSECONDS);
        last.addListener(f -> {
            giveUp.cancel(false);
            client.exchangeDone(reusable && f.isSuccess());
        });
    }

    /** How long a client that reads nothing may hold its connection: two idle periods, at least a minute. */
    private long clientStallLimitNanos() {
        return Math.max(2 * streamIdleTimeout.toNanos(), CLIENT_STALL_FLOOR_NANOS);
    }

    /** The shutdown grace is over: end now, with the envelope if nothing was sent, else with a final error event. */
    public void terminate(ProxyError error) {
        if (headSent) {
            abortMidStream(error);
        } else {
            failBeforeHead(error, false);
        }
    }

    /** The client went away: drop everything now, whatever the stage. The upstream connection is closed, not pooled. */
    public void clientClosed() {
        if (finished) {
            return;
        }
        record.clientAborted(stage);
        tearDown();
        reportEnd(true);
    }

    private void reportEnd(boolean clientAborted) {
        record.upstreamEnd(System.nanoTime());
        try {
            policy.onEnd(new UpstreamPolicy.Outcome(lastUpstreamStatus, upstreamFault, clientAborted,
                    record.endedAt(), attempts));
        } catch (RuntimeException e) {
            log.error("upstream policy failed at the end of an exchange", e);
        }
    }

    /** Ends the exchange early and drops what it holds; an upstream connection is closed, never pooled. */
    private void tearDown() {
        finished = true;
        cancelTimer();
        cancelAcquire();
        closeUpstream();
        closeConverter();
        recordUsage();
        closeMeters();
        call.body().release();
        heldHead = null;
    }

    private void cancelAcquire() {
        if (acquire != null && !acquire.isDone()) {
            acquire.cancel(false);
        }
    }

    private void closeUpstream() {
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            UpstreamHandler.of(ch).unbind();
            ch.close();
        }
    }

    private void closeConverter() {
        if (converter != null) {
            converter.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Decides how the client sees the end of the body, given the upstream's framing and the client's HTTP version. */
    private void frameForClient(HttpResponse out, boolean noBody) {
        headWritten = out;
        HttpHeaders h = out.headers();
        if (noBody) {
            // HEAD, 204, 304: keep Content-Length as the upstream sent it; no body follows
        } else if (!h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (clientVersion.equals(HttpVersion.HTTP_1_0)) {
                clientFramingCloseDelimited = true; // HTTP/1.0 has no chunked encoding: the close ends the body
            } else {
                HttpUtil.setTransferEncodingChunked(out, true);
            }
        }
        setConnectionHeader(out);
    }

    private void setConnectionHeader(HttpResponse out) {
        clientKeepAlive = client.keepAliveAfterResponse();
        boolean keep = clientKeepAlive && !clientFramingCloseDelimited;
        if (!keep) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientVersion.equals(HttpVersion.HTTP_1_0)) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /**
     * Where the time to this response head went, measured from the moment the request head arrived: waiting for
     * admission, the upstream (from the first attempt's request to its head, retries included), and the rest — the
     * proxy's own work.
     */
    private String serverTiming(long nowNanos) {
        long queue = Math.max(0, record.queueWaitNanos());
        long upstreamNanos = record.upstreamRequestNanos() > 0 ? nowNanos - record.upstreamRequestNanos() : 0;
        long proxy = Math.max(0, nowNanos - record.startNanos() - queue - upstreamNanos);
        StringBuilder h = new StringBuilder(64).append("queue;dur=");
        Durations.appendMillis(h, queue).append(", upstream;dur=");
        Durations.appendMillis(h, upstreamNanos).append(", proxy;dur=");
        return Durations.appendMillis(h, proxy).toString();
    }


    private static boolean mayHaveBody(HttpResponseStatus status) {
        int code = status.code();
        return code != 204 && code != 304;
    }

    private static boolean isEventStream(HttpHeaders headers) {
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    private static ProxyError connectError(Throwable cause) {
        if (cause instanceof PoolExhaustedException) {
            return ProxyError.of(ErrorKind.UPSTREAM_POOL_EXHAUSTED);
        }
        if (cause instanceof ConnectTimeoutException || cause instanceof SslHandshakeTimeoutException) {
            return ProxyError.of(ErrorKind.UPSTREAM_CONNECT_TIMEOUT);
        }
        if (cause instanceof SSLException) {
            return ProxyError.of(ErrorKind.UPSTREAM_UNREACHABLE,
                    "TLS handshake with the upstream failed: " + cause.getMessage());
        }
        if (cause instanceof ConnectException || cause instanceof ClosedChannelException) {
            return ProxyError.of(ErrorKind.UPSTREAM_UNREACHABLE);
        }
        if (cause instanceof java.net.UnknownHostException) {
            return ProxyError.of(ErrorKind.UPSTREAM_UNREACHABLE, "cannot resolve the upstream host");
        }
        return ProxyError.of(ErrorKind.UPSTREAM_UNREACHABLE, "cannot connect to the upstream: " + cause.getMessage());
    }
}
