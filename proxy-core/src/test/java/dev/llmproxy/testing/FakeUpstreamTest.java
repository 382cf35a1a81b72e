package dev.llmproxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class FakeUpstreamTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private FakeUpstream upstream;

    @AfterEach
    void closeUpstream() {
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void answersTheJdkHttpClientOverTlsTrustingTestCertificates() throws Exception {
        upstream = FakeUpstream.start(true);
        upstream.listModels(null); // scripted like any request here
        upstream.handler(FakeUpstream.json(200, "{\"object\":\"list\",\"data\":[]}"));
        HttpClient client = HttpClient.newBuilder().sslContext(TestCertificates.clientSslContext()).build();

        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(upstream.baseUrl().resolve("/v1/models")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(upstream.baseUrl().toString()).startsWith("https://localhost:");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"object\":\"list\",\"data\":[]}");
        assertThat(upstream.awaitRequest(TIMEOUT).uri()).isEqualTo("/v1/models");
    }

    /** The way the proxy trusts it: Netty's default (OpenSSL) client context from {@code caPemFile()}, verifying the name. */
    @Test
    void answersANettyClientTrustingTheCaPemFile() throws Exception {
        upstream = FakeUpstream.start(true);
        upstream.listModels(null); // scripted like any request here
        upstream.handler(FakeUpstream.json(200, "{\"ok\":true}"));
        SslContext clientContext = SslContextBuilder.forClient()
                .trustManager(TestCertificates.caPemFile().toFile())
                .endpointIdentificationAlgorithm("HTTPS")
                .build();
        CompletableFuture<String> body = new CompletableFuture<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(clientContext.newHandler(ch.alloc(), "localhost", upstream.port()),
                                    new HttpClientCodec(), new HttpObjectAggregator(1024),
                                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
                                            body.complete(msg.content().toString(StandardCharsets.UTF_8));
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            body.completeExceptionally(cause);
                                            ctx.close();
                                        }
                                    });
                        }
                    })
                    .connect("localhost", upstream.port()).sync().channel();
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/models");
            request.headers().set(HttpHeaderNames.HOST, "localhost");
            channel.writeAndFlush(request);

            assertThat(body.get(5, TimeUnit.SECONDS)).isEqualTo("{\"ok\":true}");
            channel.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void recordsMethodUriHeadersAndJsonBody() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        upstream.handler(FakeUpstream.json(200, "{}"));
        String json = "{\"model\":\"openai/gpt-4o-mini\",\"stream\":true}";

        HttpResponse<Void> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(upstream.baseUrl().resolve("/inference/chat/completions?x=1"))
                        .header("Authorization", "Bearer test-token")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.discarding());

        assertThat(response.statusCode()).isEqualTo(200);
        RecordedRequest request = upstream.awaitRequest(TIMEOUT);
        assertThat(upstream.baseUrl().toString()).startsWith("http://127.0.0.1:");
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.uri()).isEqualTo("/inference/chat/completions?x=1");
        assertThat(request.header("authorization")).isEqualTo("Bearer test-token");
        assertThat(request.bodyString()).isEqualTo(json);
        assertThat(request.bodyJson().get("model").asText()).isEqualTo("openai/gpt-4o-mini");
        assertThat(request.connectionId()).isEqualTo(1);
        assertThat(upstream.requests()).containsExactly(request);
    }

    @Test
    void listsItsModelsByItselfLikeARealServerWithoutRecordingOrCountingIt() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(java.util.List.of("m1", "acme/m2"));

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET /v1/models HTTP/1.1\nHost: test");
            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(200);
            assertThat(text(client.readFullBody(TIMEOUT))).contains("\"id\":\"m1\"", "\"owned_by\":\"acme\"");
        }
        assertThat(upstream.requests()).as("not a scripted request").isEmpty();
        org.awaitility.Awaitility.await().untilAsserted(() ->
                assertThat(upstream.connectionsOpened()).as("nor a connection a test counts").isZero());
    }

    @Test
    void answersUnscriptedRequestsWithAnOpenAiError() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET /v1/models HTTP/1.1\nHost: test");
            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(500);
            assertThat(text(client.readFullBody(TIMEOUT))).contains("\"error\"", "no behavior scripted");
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void sseSendsEachChunkSeparatelyThenEnds(boolean tls) throws Exception {
        upstream = FakeUpstream.start(tls);
        upstream.listModels(null); // scripted like any request here
        byte[] first = FakeUpstream.sseEvent("{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}");
        byte[] second = "data: [DO".getBytes(StandardCharsets.UTF_8);
        byte[] third = "NE]\n\n".getBytes(StandardCharsets.UTF_8);
        upstream.handler(FakeUpstream.sse(List.of(first, second, third), Duration.ofMillis(200)));

        try (RawHttpClient client = RawHttpClient.connect(upstream.baseUrl())) {
            client.send("POST /chat/completions HTTP/1.1\nHost: test\nContent-Length: 2", "{}".getBytes());
            ResponseHead head = client.readHead(TIMEOUT);

            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-type")).isEqualTo("text/event-stream");
            assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(client.readBodyChunk(TIMEOUT)).isEqualTo(first);
            assertThat(client.readBodyChunk(TIMEOUT)).isEqualTo(second);
            assertThat(client.readBodyChunk(TIMEOUT)).isEqualTo(third);
            assertThat(client.readBodyChunk(TIMEOUT)).isNull();
        }
    }

    @Test
    void aScriptCanDriveTheStreamFromTheTestThread() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        CompletableFuture<FakeUpstream.Exchange> exchanges = new CompletableFuture<>();
        upstream.handler((request, exchange) -> exchanges.complete(exchange));

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET /stream HTTP/1.1\nHost: test");
            FakeUpstream.Exchange exchange = exchanges.get(5, TimeUnit.SECONDS);
            exchange.startStream(200, Map.of("content-type", "text/event-stream")).get(5, TimeUnit.SECONDS);
            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(200);

            for (String piece : List.of("data: 1\n\n", "data: 2\n\n", "data: 3\n\n")) {
                byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
                exchange.sendChunk(bytes).get(5, TimeUnit.SECONDS);
                assertThat(client.readBodyChunk(TIMEOUT)).as("arrived before the next was sent").isEqualTo(bytes);
            }
            exchange.end().get(5, TimeUnit.SECONDS);
            assertThat(client.readBodyChunk(TIMEOUT)).isNull();
        }
    }

    @Test
    void streamsAFixedLengthBodyWhenTheHeadersGiveContentLength() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        upstream.handler((request, exchange) -> exchange
                .startStream(206, Map.of("content-type", "audio/mpeg", "content-length", "6",
                        "content-range", "bytes 0-5/100"))
                .thenCompose(ignored -> exchange.sendChunk("abc".getBytes()))
                .thenCompose(ignored -> exchange.sendChunk("def".getBytes()))
                .thenCompose(ignored -> exchange.end()));

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET /tts HTTP/1.1\nHost: test\nRange: bytes=0-5");
            ResponseHead head = client.readHead(TIMEOUT);

            assertThat(head.status()).isEqualTo(206);
            assertThat(head.header("content-length")).isEqualTo("6");
            assertThat(head.header("transfer-encoding")).isNull();
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("abcdef");
        }
    }

    @Test
    void keepsTheConnectionAliveAcrossRequests() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        upstream.handler((request, exchange) -> exchange.respondJson(200, "{\"uri\":\"" + request.uri() + "\"}"));

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            for (String path : List.of("/a", "/b", "/c")) {
                client.send("GET " + path + " HTTP/1.1\nHost: test");
                assertThat(client.readHead(TIMEOUT).header("content-length")).isNotNull();
                assertThat(text(client.readFullBody(TIMEOUT))).contains(path);
            }
        }

        assertThat(upstream.requests()).extracting(RecordedRequest::connectionId).containsOnly(1);
        assertThat(upstream.connectionsOpened()).isEqualTo(1);
    }

    @Test
    void answersPipelinedRequestsOneAtATimeInOrder() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        upstream.handler((request, exchange) -> {
            if (request.uri().equals("/slow")) {
                exchange.after(Duration.ofMillis(100), () -> exchange.respondJson(200, "\"slow\""));
            } else {
                exchange.respondJson(200, "\"fast\"");
            }
        });

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET /slow HTTP/1.1\nHost: test");
            client.send("GET /fast HTTP/1.1\nHost: test");

            client.readHead(TIMEOUT);
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("\"slow\"");
            client.readHead(TIMEOUT);
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("\"fast\"");
        }
        assertThat(upstream.requests()).extracting(RecordedRequest::uri).containsExactly("/slow", "/fast");
    }

    @Test
    void closesAfterTheResponseWhenTheRequestAsksForIt() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        upstream.handler(FakeUpstream.json(200, "{}"));

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET / HTTP/1.1\nHost: test\nConnection: close");
            assertThat(client.readHead(TIMEOUT).header("connection")).isEqualTo("close");
            assertThat(text(client.readFullBody(TIMEOUT))).isEqualTo("{}");
            assertThat(client.awaitClosedByPeer(TIMEOUT)).isTrue();
        }
        await().atMost(TIMEOUT).until(() -> upstream.openConnections() == 0);
    }

    @Test
    void stallsWhenTheBehaviorDoesNothing() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        upstream.handler((request, exchange) -> { });

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET / HTTP/1.1\nHost: test");
            assertThatThrownBy(() -> client.readHead(Duration.ofMillis(200)))
                    .isInstanceOf(SocketTimeoutException.class);
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void resetMidStreamIsSeenAsAConnectionReset(boolean tls) throws Exception {
        upstream = FakeUpstream.start(tls);
        upstream.listModels(null); // scripted like any request here
        CompletableFuture<FakeUpstream.Exchange> exchanges = new CompletableFuture<>();
        upstream.handler((request, exchange) -> exchange.startStream(200, Map.of())
                .thenCompose(ignored -> exchange.sendChunk("partial".getBytes()))
                .thenRun(() -> exchanges.complete(exchange)));

        try (RawHttpClient client = RawHttpClient.connect(upstream.baseUrl())) {
            client.send("GET / HTTP/1.1\nHost: test");
            client.readHead(TIMEOUT);
            assertThat(text(client.readBodyChunk(TIMEOUT))).isEqualTo("partial");

            FakeUpstream.Exchange exchange = exchanges.get(5, TimeUnit.SECONDS);
            exchange.reset().get(5, TimeUnit.SECONDS);

            assertThatThrownBy(() -> client.readBodyChunk(TIMEOUT))
                    .isInstanceOf(SocketException.class).hasMessageContaining("reset");
            assertThatThrownBy(() -> exchange.clientClosed().get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasMessageContaining("closed by the FakeUpstream itself");
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void closeMidStreamIsSeenAsAnEndOfStream(boolean tls) throws Exception {
        upstream = FakeUpstream.start(tls);
        upstream.listModels(null); // scripted like any request here
        upstream.handler((request, exchange) -> exchange.startStream(200, Map.of())
                .thenCompose(ignored -> exchange.sendChunk("partial".getBytes()))
                .thenCompose(ignored -> exchange.close()));

        try (RawHttpClient client = RawHttpClient.connect(upstream.baseUrl())) {
            client.send("GET / HTTP/1.1\nHost: test");
            client.readHead(TIMEOUT);

            assertThat(text(client.readBodyChunk(TIMEOUT))).isEqualTo("partial");
            assertThatThrownBy(() -> client.readBodyChunk(TIMEOUT)).isInstanceOf(EOFException.class);
        }
    }

    @ParameterizedTest(name = "abort={0}")
    @ValueSource(booleans = {false, true})
    void clientClosedCompletesWhenTheClientGoesAway(boolean abort) throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        CompletableFuture<FakeUpstream.Exchange> exchanges = new CompletableFuture<>();
        upstream.handler((request, exchange) -> exchanges.complete(exchange));

        RawHttpClient client = RawHttpClient.connect(upstream.port());
        client.send("POST /v1/chat/completions HTTP/1.1\nHost: test\nContent-Length: 0");
        FakeUpstream.Exchange exchange = exchanges.get(5, TimeUnit.SECONDS);
        assertThat(exchange.clientClosed()).isNotDone();
        assertThat(upstream.openConnections()).isEqualTo(1);

        if (abort) {
            client.abort();
        } else {
            client.close();
        }

        exchange.clientClosed().get(5, TimeUnit.SECONDS);
        await().atMost(TIMEOUT).until(() -> upstream.openConnections() == 0);
        assertThatThrownBy(() -> exchange.respondJson(200, "{}").get(5, TimeUnit.SECONDS))
                .as("writing to a closed connection fails the action, and is no script error")
                .isInstanceOf(ExecutionException.class);
    }

    @Test
    void closeFailsWhenABehaviorThrewOrMisusedTheExchange() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        upstream.handler((request, exchange) -> {
            if (request.uri().equals("/twice")) {
                exchange.respondJson(200, "{}");
                exchange.respondJson(200, "{}");
            } else {
                throw new IllegalArgumentException("boom");
            }
        });

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET /throws HTTP/1.1\nHost: test");
            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(500);
            assertThat(text(client.readFullBody(TIMEOUT))).contains("boom");
            client.send("GET /twice HTTP/1.1\nHost: test");
            assertThat(client.readHead(TIMEOUT).status()).isEqualTo(200);
            client.readFullBody(TIMEOUT);
        }

        FakeUpstream broken = upstream;
        upstream = null;
        assertThatThrownBy(broken::close).isInstanceOf(AssertionError.class)
                .hasMessageContaining("boom")
                .hasMessageContaining("respond on GET /twice");
    }

    @Test
    void closeEndsOpenConnections() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // scripted like any request here
        CompletableFuture<FakeUpstream.Exchange> exchanges = new CompletableFuture<>();
        upstream.handler((request, exchange) -> exchanges.complete(exchange));

        try (RawHttpClient client = RawHttpClient.connect(upstream.port())) {
            client.send("GET / HTTP/1.1\nHost: test");
            FakeUpstream.Exchange exchange = exchanges.get(5, TimeUnit.SECONDS);
            upstream.close();

            assertThat(client.awaitClosedByPeer(TIMEOUT)).isTrue();
            assertThatThrownBy(() -> exchange.clientClosed().get(5, TimeUnit.SECONDS))
                    .hasMessageContaining("shut down");
        }
        assertThatThrownBy(() -> RawHttpClient.connect(upstream.port())).isInstanceOf(IOException.class);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
