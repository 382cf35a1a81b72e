package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmproxy.ProxyServer;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.KnownModels;
import dev.llmproxy.openai.UpstreamCatalog;
import dev.llmproxy.upstream.ModelIndex;
import dev.llmproxy.upstream.ModelRouter;
import dev.llmproxy.upstream.Upstream;
import dev.llmproxy.admission.Admission;
import dev.llmproxy.admission.NanoClock;
import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.metrics.LiveGauges;
import dev.llmproxy.metrics.ProxyMetrics;
import dev.llmproxy.netty.PipelineNames;
import dev.llmproxy.openai.LiveCatalog;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.TokenCounter;
import dev.llmproxy.stats.UsageStats;
import dev.llmproxy.upstream.PoolExhaustedException;
import dev.llmproxy.upstream.UpstreamHandler;
import dev.llmproxy.upstream.UpstreamPool;
import dev.llmproxy.upstream.UpstreamTarget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client pipeline of {@link ClientChannelInitializer} — codec, flow control, idle guard, {@link ClientRequestHandler}
 * — on an {@link EmbeddedChannel} with auto-read off, wired by hand like {@code ProxyServer} does. The upstream pool is
 * scripted: by default it fails the request (and records the call) so paths that must stay local show it; where an
 * upstream is needed it hands out an {@link EmbeddedChannel} carrying an {@link UpstreamHandler}.
 *
 * <p>Every inbound buffer is checked to be released when the channel is finished.
 */
class ClientRequestHandlerTest {
    private static final TokenCounter TOKENS = new TokenCounter();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SERVER_TOKEN = "server-token-unit";
    private static final URI BASE_URL = URI.create("http://127.0.0.1:9/inference");
    private static final String CHAT =
            "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final ScriptedPool pool = new ScriptedPool();
    /** Where CPU work goes (decoding, token counting): here at once, unless a test fills the queue. */
    private java.util.concurrent.Executor work = Runnable::run;
    private final List<ByteBuf> inbound = new ArrayList<>();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final EmbeddedChannel decoder = new EmbeddedChannel(new HttpResponseDecoder(),
            new HttpObjectAggregator(1 << 20));
    private EmbeddedChannel channel;

    @AfterEach
    void everyBufferIsReleased() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
        decoder.finishAndReleaseAll();
        for (ByteBuf buf : inbound) {
            assertThat(buf.refCnt()).as("inbound buffer released").isZero();
        }
    }

    // ------------------------------------------------------------------ routing

    @Test
    void unknownPathIsAnswered404WithoutCallingTheUpstream() {
        start();
        write("GET /v1/nope HTTP/1.1\r\nHost: proxy\r\n\r\n");

        Answer answer = single();
        assertThat(answer.status).isEqualTo(404);
        assertThat(answer.headers.get("content-type")).startsWith("application/json");
        assertThat(answer.code()).isEqualTo("not_found");
        assertThat(channel.isOpen()).isTrue();
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void aFullWorkQueueAnswers503ServerBusyForALargePromptAndNothingGoesUpstream() {
        work = task -> {
            throw new java.util.concurrent.RejectedExecutionException("full");
        };
        start("MAX_REQUEST_BODY_BYTES", "200000");
        // over the size checked inline: the prompt's token check goes to the work pool
        write(chatRequest(padded("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}]}", 40_000)));

        Answer answer = single();
        assertThat(answer.status).isEqualTo(503);
        assertThat(answer.code()).isEqualTo("server_busy");
        assertThat(answer.headers.get("retry-after")).isEqualTo("1");
        assertThat(pool.acquires).isEmpty();
        assertThat(channel.isOpen()).as("a busy answer keeps the connection").isTrue();
    }

    @Test
    void aFullWorkQueueAnswers503ServerBusyForALargeCompressedBody() throws Exception {
        work = task -> {
            throw new java.util.concurrent.RejectedExecutionException("full");
        };
        start("MAX_REQUEST_BODY_BYTES", "200000");
        byte[] json = padded("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[]}", 100_000)
                .getBytes(StandardCharsets.UTF_8);
        java.util.Random random = new java.util.Random(7);
        for (int i = json.length - 60_000; i < json.length - 2; i++) {
            json[i] = (byte) ('a' + random.nextInt(26)); // incompressible: the gzip stays over the inline size
        }
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(json);
        }
        byte[] head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Content-Encoding: gzip\r\nContent-Length: " + gz.size() + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuf request = Unpooled.buffer().writeBytes(head).writeBytes(gz.toByteArray());
        inbound.add(request);
        channel.writeInbound(request);
        channel.runPendingTasks();

        Answer answer = single();
        assertThat(answer.status).isEqualTo(503);
        assertThat(answer.code()).isEqualTo("server_busy");
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void wrongMethodIsAnswered405WithAllow() {
        start();
        write("PUT /v1/models HTTP/1.1\r\nHost: proxy\r\n\r\n");

        Answer answer = single();
        assertThat(answer.status).isEqualTo(405);
        assertThat(answer.headers.get("allow")).isEqualTo("GET, HEAD, OPTIONS");
        assertThat(answer.code()).isEqualTo("method_not_allowed");
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void optionsIsAnswered204WithAllow() {
        start();
        write("OPTIONS /v1/embeddings HTTP/1.1\r\nHost: proxy\r\n\r\n");

        Answer answer = single();
        assertThat(answer.status).isEqualTo(204);
        assertThat(answer.headers.get("allow")).isEqualTo("POST, OPTIONS");
        assertThat(answer.body).isEmpty();
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void localRoutesAreAnsweredOnTheLoop() {
        start();
        write("GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n");

        Answer answer = single();
        assertThat(answer.status).isEqualTo(200);
        assertThat(answer.json().get("status").asText()).isEqualTo("ok");
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void pipelinedLocalRequestsInOneReadAreAnsweredInOrder() {
        start();
        write("GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n"
                + "GET /v1/models/OpenAI/GPT-4o-mini HTTP/1.1\r\nHost: proxy\r\n\r\n"
                + "GET /nope HTTP/1.1\r\nHost: proxy\r\n\r\n");

        List<Answer> answers = answers();
        assertThat(answers).extracting(a -> a.status).containsExactly(200, 200, 404);
        assertThat(answers.get(1).json().get("id").asText()).isEqualTo("openai/gpt-4o-mini");
    }

    /** The next request arrives in a read of its own, as it does on a real keep-alive connection. */
    @Test
    void aRequestInALaterReadIsServedAfterALocalAnswer() {
        start();
        write("GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n");
        assertThat(single().status).isEqualTo(200);

        write("GET /ready HTTP/1.1\r\nHost: proxy\r\n\r\n");

        List<Answer> answers = answers();
        assertThat(answers).as("answer to the second request").hasSize(1);
        assertThat(answers.get(0).status).isEqualTo(200);
    }

    /** A pipelined request stays parked while a proxied answer is pending, and is served, head and body, after it. */
    @Test
    void pipelinedRequestsBehindAPendingUpstreamCallAreAllServed() {
        start();
        Promise<Channel> pending = channel.eventLoop().newPromise();
        pool.next = loop -> pending;
        write("GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n" + chatRequest(CHAT) + chatRequest(CHAT));
        assertThat(answers()).extracting(a -> a.status).containsExactly(200);

        pool.next = loop -> loop.newFailedFuture(new ConnectException("refused"));
        pending.setFailure(new ConnectException("refused"));

        assertThat(answers()).extracting(a -> a.status).containsExactly(502, 502);
    }

    // ------------------------------------------------------------------ request checks

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"messages\":[]}|400|you must provide a model parameter",
            "{\"model\":\"<model>\",\"messages\":[]}|400|invalid model parameter: replace placeholder with a real"
                    + " model id (e.g., 'openai/gpt-4o-mini'); call /v1/models to list available ids",
            "{\"model\":\"openai/gpt-4o-mini\",\"messages\":{}}|400|you must provide a messages parameter",
            "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[],\"stream\":\"yes\"}|400|stream must be a boolean",
            "[1,2]|400|request body must be a JSON object",
    })
    void invalidChatBodiesAreAnswered400WithoutCallingTheUpstream(String body, int status, String message) {
        start();
        write(chatRequest(body));

        Answer answer = single();
        assertThat(answer.status).isEqualTo(status);
        assertThat(answer.json().at("/error/message").asText()).isEqualTo(message);
        assertThat(answer.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(channel.isOpen()).isTrue();
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void malformedJsonIsAnswered400InvalidJson() {
        start();
        write(chatRequest("{\"model\":"));

        Answer answer = single();
        assertThat(answer.status).isEqualTo(400);
        assertThat(answer.code()).isEqualTo("invalid_json");
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void nonJsonContentTypeIsAnswered415() {
        start();
        write("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: text/plain\r\nContent-Length: "
                + CHAT.length() + "\r\n\r\n" + CHAT);

        Answer answer = single();
        assertThat(answer.status).isEqualTo(415);
        assertThat(answer.code()).isEqualTo("unsupported_media_type");
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void missingClientKeyIsAnswered401() {
        start("PROXY_SERVER_KEY", "k1");
        write(chatRequest(CHAT));

        Answer answer = single();
        assertThat(answer.status).isEqualTo(401);
        assertThat(answer.code()).isEqualTo("proxy_key_invalid");
        assertThat(pool.acquires).isEmpty();
    }

    // ------------------------------------------------------------------ body cap

    @Test
    void declaredBodyOverTheCapIsAnswered413AndTheConnectionCloses() {
        start();
        write("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5000\r\n\r\n");

        Answer answer = single();
        assertThat(answer.status).isEqualTo(413);
        assertThat(answer.code()).isEqualTo("request_too_large");
        assertThat(answer.headers.get("connection")).isEqualToIgnoringCase("close");
        assertThat(channel.isOpen()).isFalse();
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void chunkedBodyPastTheCapIsAnswered413AndNothingIsKept() {
        start();
        String piece = "x".repeat(400);
        write("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n",
                chunk(piece), chunk(piece), chunk(piece), chunk(piece), "0\r\n\r\n");

        Answer answer = single();
        assertThat(answer.status).isEqualTo(413);
        assertThat(answer.code()).isEqualTo("request_too_large");
        assertThat(channel.isOpen()).isFalse();
        assertThat(pool.acquires).isEmpty();
    }

    @Test
    void bodyAtTheCapGoesUpstream() {
        start();
        pool.next = loop -> loop.newFailedFuture(new ConnectException("refused"));
        String body = padded(CHAT, 1000);
        write(chatRequest(body));

        Answer answer = single();
        assertThat(answer.status).isEqualTo(502);
        assertThat(answer.code()).isEqualTo("upstream_unreachable");
        assertThat(pool.acquires).containsExactly(false);
    }

    /** Most clients write the head and the body separately; the body then comes in a read of its own. */
    @Test
    void bodyArrivingInALaterReadIsRead() {
        start();
        pool.next = loop -> loop.newFailedFuture(new ConnectException("refused"));
        write("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + CHAT.length() + "\r\n\r\n");
        assertThat(answers()).isEmpty();

        write(CHAT);

        List<Answer> answers = answers();
        assertThat(answers).as("answer once the body is in").hasSize(1);
        assertThat(answers.get(0).status).isEqualTo(502);
    }

    @Test
    void bodyThatStallsIsAnswered408AfterTheIdleTimeout() {
        start("CLIENT_IDLE_TIMEOUT_MS", "1000");
        write("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n{\"model\":");

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        Answer answer = single();
        assertThat(answer.status).isEqualTo(408);
        assertThat(answer.code()).isEqualTo("request_timeout");
        assertThat(channel.isOpen()).isFalse();
        assertThat(pool.acquires).isEmpty();
    }

    // ------------------------------------------------------------------ the upstream leg, scripted

    @Test
    void poolExhaustionIsAnswered503AndNeverOpensTheModelsBreaker() {
        start("CIRCUIT_BREAKER_THRESHOLD", "2");
        pool.next = loop -> loop.newFailedFuture(new PoolExhaustedException(1024));
        // the proxy's own connection limit is not an upstream fault: however often it is hit, the breaker stays shut
        for (int i = 0; i < 4; i++) {
            write(chatRequest(CHAT));
            Answer answer = single();
            assertThat(answer.status).isEqualTo(503);
            assertThat(answer.code()).as("request " + i).isEqualTo("upstream_pool_exhausted");
        }
    }

    @Test
    void noConnectionBeforeTheFirstByteTimeoutIsAnswered504AndTheAcquireWithdrawn() {
        start("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "1000");
        Promise<Channel> never = channel.eventLoop().newPromise();
        pool.next = loop -> never;
        write(chatRequest(CHAT));
        assertThat(answers()).isEmpty();

        channel.advanceTimeBy(1500, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        Answer answer = single();
        assertThat(answer.status).isEqualTo(504);
        assertThat(answer.code()).isEqualTo("upstream_timeout");
        assertThat(never.isCancelled()).isTrue();
    }

    @Test
    void clientThatGoesAwayWhileWaitingForAConnectionWithdrawsTheAcquire() {
        start();
        Promise<Channel> never = channel.eventLoop().newPromise();
        pool.next = loop -> never;
        write(chatRequest(CHAT));

        channel.close();
        channel.runPendingTasks();

        assertThat(never.isCancelled()).isTrue();
    }

    @Test
    void forwardsThePreparedRequestAndRelaysTheAnswerThenReturnsTheConnection() {
        start();
        EmbeddedChannel upstream = upstreamChannel();
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";
        write("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer client-key\r\nCookie: a=b\r\nX-Proxy-Key: pk\r\nX-Request-Trace: t1\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);

        FullHttpRequest sent = upstream.readOutbound();
        try {
            assertThat(sent.uri()).isEqualTo("/inference/chat/completions");
            HttpHeaders h = sent.headers();
            assertThat(h.get("authorization")).isEqualTo("Bearer " + SERVER_TOKEN);
            assertThat(h.get("host")).isEqualTo("127.0.0.1:9");
            assertThat(h.get("cookie")).isNull();
            assertThat(h.get("x-proxy-key")).isNull();
            assertThat(h.get("x-request-trace")).isEqualTo("t1");
            assertThat(h.getInt("content-length")).isEqualTo(sent.content().readableBytes());
            assertThat(sent.content().toString(StandardCharsets.UTF_8))
                    .as("an OpenAI-compatible upstream gets the id as sent: short names are GitHub's alone")
                    .isEqualTo(body);
        } finally {
            sent.release();
        }

        String answer = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}";
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("content-type", "application/json").set("content-length", answer.length())
                .set("x-request-id", "req-1");
        upstream.writeInbound(head, new DefaultLastHttpContent(ascii(answer)));

        Answer relayed = single();
        assertThat(relayed.status).isEqualTo(200);
        assertThat(relayed.headers.get("x-request-id")).isEqualTo("req-1");
        assertThat(relayed.body).isEqualTo(answer);
        assertThat(pool.released).containsExactly(upstream);
        assertThat(upstream.isOpen()).isTrue();
    }

    @Test
    void aStreamWithoutUsageOptionsGoesUpstreamAsTheClientsBytesWithOnlyIncludeUsageSpliced() {
        start();
        EmbeddedChannel upstream = upstreamChannel();
        String body = "{ \"model\" : \"gpt-4o-mini\",\n \"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9\"}],"
                + "\"temperature\":0.70, \"stream\":true }";
        write("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer client-key\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);

        FullHttpRequest sent = upstream.readOutbound();
        try {
            assertThat(sent.content().toString(StandardCharsets.UTF_8))
                    .isEqualTo(body.substring(0, body.length() - 1) + ",\"stream_options\":{\"include_usage\":true}}");
            assertThat(sent.headers().getInt("content-length")).isEqualTo(sent.content().readableBytes());
        } finally {
            sent.release();
        }
        String answer = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}";
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("content-type", "application/json").set("content-length", answer.length());
        upstream.writeInbound(head, new DefaultLastHttpContent(ascii(answer)));
        assertThat(single().status).isEqualTo(200);
    }

    @Test
    void streamsEachUpstreamChunkToTheClientAsItArrives() {
        start();
        EmbeddedChannel upstream = upstreamChannel();
        // the client asks for usage itself, so the proxy injects nothing and relays the upstream's chunking as is
        write(chatRequest("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}"));
        releaseAll(upstream.outboundMessages());
        upstream.outboundMessages().clear();

        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("content-type", "text/event-stream").set("transfer-encoding", "chunked");
        upstream.writeInbound(head);
        String headText = rawOutbound();
        assertThat(headText).startsWith("HTTP/1.1 200 OK");
        assertThat(headText.toLowerCase()).contains("transfer-encoding: chunked", "x-accel-buffering: no",
                "cache-control: no-cache");

        for (String event : List.of("data: {\"n\":1}\n\n", "data: {\"n\":", "2}\n\ndata: [DONE]\n\n")) {
            upstream.writeInbound(new DefaultHttpContent(ascii(event)));
            assertThat(rawOutbound()).as("written and flushed at once").contains(event);
        }
        upstream.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(rawOutbound()).isEqualTo("0\r\n\r\n");
        assertThat(pool.released).containsExactly(upstream);
    }

    @Test
    void clientThatGoesAwayMidStreamClosesTheUpstreamConnection() {
        start();
        EmbeddedChannel upstream = upstreamChannel();
        write(chatRequest("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[],\"stream\":true}"));
        releaseAll(upstream.outboundMessages());
        upstream.outboundMessages().clear();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("content-type", "text/event-stream").set("transfer-encoding", "chunked");
        upstream.writeInbound(head, new DefaultHttpContent(ascii("data: {\"n\":1}\n\n")));
        rawOutbound();

        channel.close();
        channel.runPendingTasks();

        assertThat(upstream.isOpen()).isFalse();
        assertThat(pool.released).isEmpty();
    }

    // ------------------------------------------------------------------ set-up

    private void start(String... settings) {
        Map<String, String> all = new HashMap<>();
        all.put("OPENAI_BASE_URL", BASE_URL.toString());
        all.put("GITHUB_TOKEN", SERVER_TOKEN);
        all.put("MAX_REQUEST_BODY_BYTES", "1000");
        // admission would otherwise retry with a backoff timer the embedded loop does not run on its own
        all.put("RETRY_ATTEMPTS", "0");
        all.put("RATE_LIMIT_ENABLED", "false");
        all.put("IP_RATE_LIMIT_PER_MINUTE", "0");
        for (int i = 0; i < settings.length; i += 2) {
            all.put(settings[i], settings[i + 1]);
        }
        ProxyConfig config = ConfigLoader.load(all, Map.of(), Map.of());
        ModelCatalog catalog = ModelCatalog.bundled();
        ClientConnections connections = new ClientConnections();
        ModelIndex models = new ModelIndex(); // one index for the router's hops and admission's tables
        Admission admission = new Admission(config.admission(), catalog, models, NanoClock.system(), Clock.systemUTC());
        List<String> ids = catalog.models().stream().map(CatalogModel::id).toList();
        Upstream upstream = new Upstream(0, config.upstreams().first(), config.upstreamOptions(config.upstreams().first()),
                pool, UpstreamCatalog.fixed(config.upstreams().first().name(), ids, KnownModels.bundled(),
                Clock.systemUTC()));
        ModelRouter upstreams = new ModelRouter(List.of(upstream), List.of(), Optional.empty(), models);
        ClientServices services = ProxyServer.clientServices(config, upstreams, TOKENS, admission,
                pool, connections, Clock.systemUTC(),
                new ProxyServer.Telemetry(new ProxyMetrics(LiveGauges.idle()), new UsageStats(NanoClock.system()),
                        Runnable::run), work, null);

        // the pipeline of ClientChannelInitializer, on a channel that reads only when asked
        channel = new EmbeddedChannel(false, false);
        channels.add(channel);
        channel.config().setAutoRead(false);
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(32 * 1024)
                .setMaxChunkSize(64 * 1024);
        channel.pipeline()
                .addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec(decoderConfig))
                .addLast(PipelineNames.FLOW_CONTROL, new FlowControlHandler())
                .addLast(PipelineNames.IDLE, new ClientIdleHandler(config.server().clientIdleTimeout()))
                .addLast(PipelineNames.ROUTER, new ClientRequestHandler(services, new AccessLog(false)));
        try {
            channel.register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An upstream connection the pool hands out: just the handler the exchange binds to. */
    private EmbeddedChannel upstreamChannel() {
        EmbeddedChannel upstream = new EmbeddedChannel(new UpstreamHandler());
        channels.add(upstream);
        pool.next = loop -> loop.newSucceededFuture(upstream);
        return upstream;
    }

    /** Writes the parts as one read: {@code channelRead} for each, then one {@code channelReadComplete}. */
    private void write(String... parts) {
        ByteBuf[] bufs = new ByteBuf[parts.length];
        for (int i = 0; i < parts.length; i++) {
            bufs[i] = Unpooled.copiedBuffer(parts[i], StandardCharsets.UTF_8);
            inbound.add(bufs[i]);
        }
        channel.writeInbound((Object[]) bufs);
        channel.runPendingTasks();
    }

    private static String chatRequest(String body) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static String chunk(String data) {
        return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
    }

    private static String padded(String json, int length) {
        String prefix = json.substring(0, json.length() - 1) + ",\"pad\":\"";
        return prefix + "p".repeat(length - prefix.length() - 2) + "\"}";
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ reading what the client got

    private record Answer(int status, Map<String, String> headers, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String code() {
            return json().at("/error/code").asText();
        }
    }

    private Answer single() {
        List<Answer> answers = answers();
        assertThat(answers).hasSize(1);
        return answers.get(0);
    }

    /** The complete responses written since the last call, decoded. */
    private List<Answer> answers() {
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            decoder.writeInbound(out);
        }
        List<Answer> answers = new ArrayList<>();
        FullHttpResponse response;
        while ((response = decoder.readInbound()) != null) {
            try {
                Map<String, String> headers = new HashMap<>();
                response.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
                answers.add(new Answer(response.status().code(), headers,
                        response.content().toString(StandardCharsets.UTF_8)));
            } finally {
                response.release();
            }
        }
        return answers;
    }

    /** The raw bytes written since the last call. */
    private String rawOutbound() {
        StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            try {
                text.append(new String(ByteBufUtil.getBytes(out), StandardCharsets.UTF_8));
            } finally {
                out.release();
            }
        }
        return text.toString();
    }

    private static void releaseAll(Iterable<Object> messages) {
        for (Object m : messages) {
            io.netty.util.ReferenceCountUtil.release(m);
        }
    }

    /** Fails, and records, every acquire unless a test scripts {@link #next}. */
    private static final class ScriptedPool implements UpstreamPool {
        final List<Boolean> acquires = new ArrayList<>();
        final List<Channel> released = new ArrayList<>();
        Function<EventLoop, Future<Channel>> next =
                loop -> loop.newFailedFuture(new AssertionError("this request must not reach the upstream"));

        @Override
        public Future<Channel> acquire(EventLoop loop, boolean fresh) {
            acquires.add(fresh);
            return next.apply(loop);
        }

        @Override
        public void release(Channel channel) {
            released.add(channel);
        }

        @Override
        public int openConnections() {
            return 0;
        }

        @Override
        public int idleConnections() {
            return 0;
        }

        @Override
        public UpstreamTarget target() {
            return UpstreamTarget.of(BASE_URL);
        }

        @Override
        public void close() {
        }
    }
}
