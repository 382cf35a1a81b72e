package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.RecordedRequest;
import dev.llmproxy.testing.ResponseHead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy's own HTTP behaviour, seen on the wire: routing, the body cap, content checks, {@code Expect},
 * keep-alive and pipelining, header handling in both directions, and client authentication. Driven through
 * {@link RawHttpClient} so the exact bytes, the framing and the connection's fate are visible; the upstream is a
 * {@link FakeUpstream} (plain or TLS) that records what reached it.
 *
 * <p>Tests about one answer use a connection of their own; the tests about connection reuse say so in their name.
 */
class ClientRequestsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT =
            "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private FakeUpstream fake;
    private ProxyUnderTest proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    /** A fake upstream (echoing chat requests unless told otherwise) and a proxy in front of it. */
    private void start(boolean tls, String... settings) {
        fake = FakeUpstream.start(tls);
        fake.handler(ClientRequestsIT::echoChat);
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < settings.length; i += 2) {
            overrides.put(settings[i], settings[i + 1]);
        }
        proxy = ProxyUnderTest.start(fake, overrides);
    }

    // ------------------------------------------------------------------ routing and local routes

    @ParameterizedTest
    @ValueSource(strings = {"/nope", "/v1/nope", "/v1/chat/completion", "/V1/MODELS"})
    void answersAnUnknownPathWith404InTheOpenAiEnvelope(String path) throws Exception {
        start(false);
        Response response = exchange("GET " + path + " HTTP/1.1\nHost: proxy");

        assertThat(response.head.status()).isEqualTo(404);
        assertThat(response.head.header("content-type")).startsWith("application/json");
        assertEnvelope(response.json(), "invalid_request_error", "not_found");
        assertThat(response.json().at("/error/message").asText()).contains(path);
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void answersAWrongMethodWith405AndTheAllowedMethods() throws Exception {
        start(false);
        Response chat = exchange("GET /v1/chat/completions HTTP/1.1\nHost: proxy");
        Response health = exchange("DELETE /health HTTP/1.1\nHost: proxy");

        assertThat(chat.head.status()).isEqualTo(405);
        assertThat(chat.head.header("allow")).isEqualTo("POST, OPTIONS");
        assertThat(chat.head.header("content-type")).startsWith("application/json");
        assertEnvelope(chat.json(), "invalid_request_error", "method_not_allowed");
        assertThat(health.head.status()).isEqualTo(405);
        assertThat(health.head.header("allow")).isEqualTo("GET, HEAD, OPTIONS");
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void answersOptionsWith204AndAllow() throws Exception {
        start(false);
        Response chat = exchange("OPTIONS /v1/chat/completions HTTP/1.1\nHost: proxy");
        Response models = exchange("OPTIONS /v1/models HTTP/1.1\nHost: proxy");

        assertThat(chat.head.status()).isEqualTo(204);
        assertThat(chat.head.header("allow")).isEqualTo("POST, OPTIONS");
        assertThat(chat.body).isEmpty();
        assertThat(models.head.status()).isEqualTo(204);
        assertThat(models.head.header("allow")).isEqualTo("GET, HEAD, OPTIONS");
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void healthAnswersGetWithJsonAndHeadWithTheSameHeadersButNoBody() throws Exception {
        start(false);
        Response get = exchange("GET /health HTTP/1.1\nHost: proxy");
        // everything the proxy sends for a HEAD until it closes: the head, and not one byte more
        String head = wholeConversation("HEAD /health HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n");

        assertThat(get.head.status()).isEqualTo(200);
        assertThat(get.head.header("content-type")).startsWith("application/json");
        assertThat(get.json().get("status").asText()).isEqualTo("ok");
        assertThat(get.json().get("models").asInt()).isEqualTo(58);
        assertThat(head).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\n");
        assertThat(head.indexOf("\r\n\r\n")).isEqualTo(head.length() - 4);
        assertThat(head.toLowerCase()).contains("content-type: application/json");
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void readyAnswers200WhileServing() throws Exception {
        start(false);
        Response ready = exchange("GET /ready HTTP/1.1\nHost: proxy");

        assertThat(ready.head.status()).isEqualTo(200);
        assertThat(ready.head.header("content-type")).startsWith("application/json");
        assertThat(ready.json().get("ready").asBoolean()).isTrue();
    }

    @Test
    void modelsAreServedLocallyFromTheCatalog() throws Exception {
        start(true);
        Response list = exchange("GET /v1/models HTTP/1.1\nHost: proxy");
        Response shortName = exchange("GET /v1/models/OpenAI/GPT-4o-mini HTTP/1.1\nHost: proxy");
        Response fullId = exchange("GET /v1/models/openai/gpt-4o-mini HTTP/1.1\nHost: proxy");
        Response unknown = exchange("GET /v1/models/acme/no-such-model HTTP/1.1\nHost: proxy");

        assertThat(list.head.status()).isEqualTo(200);
        assertThat(list.json().get("object").asText()).isEqualTo("list");
        assertThat(list.json().get("data")).hasSize(58);
        assertThat(list.json().at("/data/0/object").asText()).isEqualTo("model");
        assertThat(shortName.head.status()).isEqualTo(200);
        assertThat(shortName.json().get("id").asText()).isEqualTo("openai/gpt-4o-mini");
        assertThat(fullId.json().get("id").asText()).isEqualTo("openai/gpt-4o-mini");
        assertThat(unknown.head.status()).isEqualTo(404);
        assertEnvelope(unknown.json(), "invalid_request_error", "model_not_found");
        assertThat(fake.requests()).isEmpty();
        assertThat(fake.connectionsOpened()).isZero();
    }

    @Test
    void strictModeRemovesTheApiAliases() throws Exception {
        start(false, "STRICT_OPENAI_API", "1");
        Response apiModels = exchange("GET /api/models HTTP/1.1\nHost: proxy");
        Response apiChat = exchange(chatHead("/api/chat/completions", CHAT.length()), bytes(CHAT));
        Response v1Models = exchange("GET /v1/models HTTP/1.1\nHost: proxy");

        assertThat(apiModels.head.status()).isEqualTo(404);
        assertEnvelope(apiModels.json(), "invalid_request_error", "not_found");
        assertThat(apiChat.head.status()).isEqualTo(404);
        assertThat(v1Models.head.status()).isEqualTo(200);
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void apiModelsAliasExistsOutsideStrictMode() throws Exception {
        start(false);
        Response response = exchange("GET /api/models HTTP/1.1\nHost: proxy");

        assertThat(response.head.status()).isEqualTo(200);
        assertThat(response.json().get("data")).hasSize(58);
    }

    // ------------------------------------------------------------------ body cap

    @Test
    void declaredContentLengthOverTheCapIsAnswered413AtOnceAndTheConnectionCloses() throws Exception {
        start(false, "MAX_REQUEST_BODY_BYTES", "1000");
        try (RawHttpClient client = connect()) {
            // the head only: the proxy must answer without waiting for a body that never comes
            client.send("POST /v1/chat/completions HTTP/1.1\nHost: proxy\nContent-Type: application/json\n"
                    + "Content-Length: 5000");
            Response response = read(client);

            assertThat(response.head.status()).isEqualTo(413);
            assertThat(response.head.header("connection")).isEqualToIgnoringCase("close");
            assertEnvelope(response.json(), "invalid_request_error", "request_too_large");
            assertThat(response.json().at("/error/message").asText()).contains("1000");
            assertThat(client.awaitClosedByPeer(TIMEOUT)).isTrue();
        }
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void oversizedDeclaredBodyWithExpectContinueGets413InsteadOf100() throws Exception {
        start(false, "MAX_REQUEST_BODY_BYTES", "1000");
        try (RawHttpClient client = connect()) {
            client.send("POST /v1/chat/completions HTTP/1.1\nHost: proxy\nContent-Type: application/json\n"
                    + "Content-Length: 5000\nExpect: 100-continue");
            ResponseHead head = client.readHead(TIMEOUT);

            assertThat(head.status()).isEqualTo(413);
            assertThat(client.awaitClosedByPeer(TIMEOUT)).isTrue();
        }
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void chunkedBodyGrowingPastTheCapIsAnswered413() throws Exception {
        start(false, "MAX_REQUEST_BODY_BYTES", "1000");
        try (RawHttpClient client = connect()) {
            String piece = "x".repeat(400);
            // 1200 bytes: past the cap; no terminating chunk is ever sent
            client.sendRaw(concat(List.of(bytes("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\n"
                            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"),
                    chunk(piece), chunk(piece), chunk(piece))));
            Response response = read(client);

            assertThat(response.head.status()).isEqualTo(413);
            assertEnvelope(response.json(), "invalid_request_error", "request_too_large");
            assertThat(client.awaitClosedByPeer(TIMEOUT)).isTrue();
        }
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void bodyExactlyAtTheCapPassesAndOneByteMoreDoesNot() throws Exception {
        start(false, "MAX_REQUEST_BODY_BYTES", "1000");
        String atCap = padded(CHAT, 1000);
        String overCap = padded(CHAT, 1001);

        Response declared = exchange(chatHead("/v1/chat/completions", 1000), bytes(atCap));
        assertThat(declared.head.status()).isEqualTo(200);
        assertThat(fake.awaitRequest(TIMEOUT).bodyString()).isEqualTo(atCap);

        try (RawHttpClient client = connect()) {
            client.sendRaw(concat(List.of(bytes("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\n"
                            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"),
                    chunk(atCap.substring(0, 600)), chunk(atCap.substring(600)), bytes("0\r\n\r\n"))));
            Response chunked = read(client);

            assertThat(chunked.head.status()).isEqualTo(200);
            assertThat(fake.awaitRequest(TIMEOUT).bodyString()).isEqualTo(atCap);
        }

        Response tooLarge = exchange(chatHead("/v1/chat/completions", 1001), bytes(overCap));
        assertThat(tooLarge.head.status()).isEqualTo(413);
        assertThat(fake.requests()).hasSize(2);
    }

    // ------------------------------------------------------------------ content type and validation

    @Test
    void nonJsonContentTypeIsAnswered415() throws Exception {
        start(false);
        Response response = exchange("POST /v1/chat/completions HTTP/1.1\nHost: proxy\nContent-Type: text/plain\n"
                + "Content-Length: " + CHAT.length(), bytes(CHAT));

        assertThat(response.head.status()).isEqualTo(415);
        assertThat(response.head.header("content-type")).startsWith("application/json");
        assertEnvelope(response.json(), "invalid_request_error", "unsupported_media_type");
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void invalidJsonIsAnswered400InvalidJson() throws Exception {
        start(false);
        String broken = "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[";
        Response response = exchange(chatHead("/v1/chat/completions", broken.length()), bytes(broken));

        assertThat(response.head.status()).isEqualTo(400);
        assertThat(response.head.header("content-type")).startsWith("application/json");
        assertEnvelope(response.json(), "invalid_request_error", "invalid_json");
        assertThat(fake.requests()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"messages\":[]}|model|"
                    + "you must provide a model parameter|",
            "{\"model\":\"\",\"messages\":[]}|model|"
                    + "you must provide a model parameter|",
            "{\"model\":\"<your-model>\",\"messages\":[]}|model|"
                    + "invalid model parameter: replace placeholder with a real model id (e.g., 'openai/gpt-4o-mini');"
                    + " call /v1/models to list available ids|model_placeholder",
            "{\"model\":\"openai/gpt-4o-mini\"}|messages|"
                    + "you must provide a messages parameter|",
            "{\"model\":\"openai/gpt-4o-mini\",\"messages\":\"hi\"}|messages|"
                    + "you must provide a messages parameter|",
    })
    void validationErrorsHaveTheReferenceMessagesAndNeverReachTheUpstream(String body, String param,
                                                                            String message, String code)
            throws Exception {
        start(false);
        Response response = exchange(chatHead("/v1/chat/completions", bytes(body).length), bytes(body));

        assertThat(response.head.status()).isEqualTo(400);
        JsonNode error = response.json().get("error");
        assertThat(error.get("message").asText()).isEqualTo(message);
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asText()).isEqualTo(param);
        if (code == null) {
            assertThat(error.get("code").isNull()).as("code is null in %s", error).isTrue();
        } else {
            assertThat(error.get("code").asText()).isEqualTo(code);
        }
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void emptyMessagesArrayIsForwarded() throws Exception {
        start(false);
        String body = "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[]}";
        Response response = exchange(chatHead("/v1/chat/completions", body.length()), bytes(body));

        assertThat(response.head.status()).isEqualTo(200);
        assertThat(fake.awaitRequest(TIMEOUT).bodyString()).isEqualTo(body);
    }

    // ------------------------------------------------------------------ Expect and bodies that arrive later

    @Test
    void expectContinueGets100ContinueThenTheResponse() throws Exception {
        start(false);
        try (RawHttpClient client = connect()) {
            client.send("POST /v1/chat/completions HTTP/1.1\nHost: proxy\nContent-Type: application/json\n"
                    + "Content-Length: " + CHAT.length() + "\nExpect: 100-continue");
            ResponseHead interim = client.readHead(TIMEOUT);
            assertThat(interim.status()).isEqualTo(100);

            client.sendRaw(bytes(CHAT));
            Response response = read(client);

            assertThat(response.head.status()).isEqualTo(200);
            assertThat(response.json().at("/choices/0/message/content").asText()).isEqualTo("echo: hi");
        }
        RecordedRequest upstream = fake.awaitRequest(TIMEOUT);
        assertThat(upstream.bodyString()).isEqualTo(CHAT);
        assertThat(upstream.header("expect")).isNull();
    }

    /** What most HTTP clients do: the head in one write, the body in the next. */
    @Test
    void readsABodyThatArrivesAfterItsHead() throws Exception {
        start(false);
        try (RawHttpClient client = connect()) {
            client.send(chatHead("/v1/chat/completions", CHAT.length()));
            Thread.sleep(200); // let the head be read on its own
            client.sendRaw(bytes(CHAT.substring(0, 20)));
            Thread.sleep(200);
            client.sendRaw(bytes(CHAT.substring(20)));
            Response response = read(client);

            assertThat(response.head.status()).isEqualTo(200);
            assertThat(response.json().at("/choices/0/message/content").asText()).isEqualTo("echo: hi");
        }
        assertThat(fake.awaitRequest(TIMEOUT).bodyString()).isEqualTo(CHAT);
    }

    // ------------------------------------------------------------------ keep-alive and pipelining

    @Test
    void keepsTheConnectionForTheNextRequestAfterALocalAnswer() throws Exception {
        start(false);
        try (RawHttpClient client = connect()) {
            client.send("GET /health HTTP/1.1\nHost: proxy");
            Response first = read(client);
            client.send("GET /ready HTTP/1.1\nHost: proxy");
            Response second = read(client);

            assertThat(first.head.status()).isEqualTo(200);
            assertThat(first.head.header("connection")).isNull();
            assertThat(second.head.status()).isEqualTo(200);
            assertThat(second.json().get("ready").asBoolean()).isTrue();
        }
    }

    @Test
    void keepsTheConnectionForTheNextRequestAfterAnErrorAnswer() throws Exception {
        start(false);
        String broken = "{\"model\":";
        try (RawHttpClient client = connect()) {
            client.send(chatHead("/v1/chat/completions", broken.length()), bytes(broken));
            Response rejected = read(client);
            client.send(chatHead("/v1/chat/completions", CHAT.length()), bytes(CHAT));
            Response accepted = read(client);

            assertThat(rejected.head.status()).isEqualTo(400);
            assertThat(rejected.head.header("connection")).isNull();
            assertThat(accepted.head.status()).isEqualTo(200);
            assertThat(accepted.json().at("/choices/0/message/content").asText()).isEqualTo("echo: hi");
        }
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void sequentialRequestsOnOneClientConnectionReuseOneUpstreamConnection() throws Exception {
        start(true);
        try (RawHttpClient client = connect()) {
            for (int i = 0; i < 5; i++) {
                client.send(chatHeadFor(chatBody("n" + i)), bytes(chatBody("n" + i)));
                Response response = read(client);
                assertThat(response.head.status()).isEqualTo(200);
                assertThat(response.json().at("/choices/0/message/content").asText()).isEqualTo("echo: n" + i);
            }
        }
        List<RecordedRequest> requests = fake.requests();
        assertThat(requests).hasSize(5);
        assertThat(requests).extracting(RecordedRequest::connectionId).containsOnly(requests.get(0).connectionId());
        assertThat(fake.connectionsOpened()).isEqualTo(1);
    }

    @Test
    void twoPipelinedRequestsAreAnsweredInOrder() throws Exception {
        start(false);
        slowEcho(Duration.ofMillis(300));
        try (RawHttpClient client = connect()) {
            // the proxied one first: it is slow, the local one behind it would be instant
            client.sendRaw(bytes(chatRequest("first") + "GET /v1/models/openai/gpt-4o-mini HTTP/1.1\r\nHost: proxy\r\n\r\n"));
            Response first = read(client);
            Response second = read(client);

            assertThat(first.head.status()).isEqualTo(200);
            assertThat(first.json().at("/choices/0/message/content").asText()).isEqualTo("echo: first");
            assertThat(second.head.status()).isEqualTo(200);
            assertThat(second.json().get("id").asText()).isEqualTo("openai/gpt-4o-mini");
        }
    }

    @Test
    void threePipelinedRequestsMixingLocalAndProxiedAreAnsweredInOrder() throws Exception {
        start(true);
        slowEcho(Duration.ofMillis(200));
        try (RawHttpClient client = connect()) {
            client.sendRaw(bytes("GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n"
                    + chatRequest("second") + chatRequest("third")));
            Response first = read(client);
            Response second = read(client);
            Response third = read(client);

            assertThat(first.json().get("status").asText()).isEqualTo("ok");
            assertThat(second.json().at("/choices/0/message/content").asText()).isEqualTo("echo: second");
            assertThat(third.json().at("/choices/0/message/content").asText()).isEqualTo("echo: third");
        }
        assertThat(fake.requests()).hasSize(2);
    }

    @Test
    void http10RequestWithoutKeepAliveGetsConnectionCloseAndTheSocketCloses() throws Exception {
        start(false);
        try (RawHttpClient client = connect()) {
            client.send("GET /health HTTP/1.0");
            Response response = read(client);

            assertThat(response.head.status()).isEqualTo(200);
            assertThat(response.head.header("connection")).isEqualToIgnoringCase("close");
            assertThat(client.awaitClosedByPeer(TIMEOUT)).isTrue();
        }
    }

    @Test
    void http10RequestWithKeepAliveKeepsTheConnection() throws Exception {
        start(false);
        try (RawHttpClient client = connect()) {
            client.send("POST /v1/chat/completions HTTP/1.0\nConnection: keep-alive\nContent-Type: application/json\n"
                    + "Content-Length: " + CHAT.length(), bytes(CHAT));
            Response first = read(client);
            client.send("GET /health HTTP/1.0\nConnection: keep-alive");
            Response second = read(client);

            assertThat(first.head.version()).isEqualTo("HTTP/1.0");
            assertThat(first.head.status()).isEqualTo(200);
            assertThat(first.head.header("connection")).isEqualToIgnoringCase("keep-alive");
            assertThat(first.head.header("content-length")).isEqualTo(String.valueOf(first.body.length));
            assertThat(second.head.status()).isEqualTo(200);
            assertThat(second.head.header("connection")).isEqualToIgnoringCase("keep-alive");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Connection: keep-alive\n"})
    void streamedResponseToAnHttp10ClientIsDeliveredCloseDelimited(String connectionHeader) throws Exception {
        start(false);
        List<byte[]> events = List.of(FakeUpstream.sseEvent("{\"n\":1}"), FakeUpstream.sseEvent("{\"n\":2}"),
                FakeUpstream.sseEvent("[DONE]"));
        fake.handler(FakeUpstream.sse(events, Duration.ofMillis(20)));
        String body = "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[],\"stream\":true}";
        try (RawHttpClient client = connect()) {
            client.send("POST /v1/chat/completions HTTP/1.0\n" + connectionHeader
                    + "Content-Type: application/json\nContent-Length: " + body.length(), bytes(body));
            Response response = read(client);

            assertThat(response.head.version()).isEqualTo("HTTP/1.0");
            assertThat(response.head.status()).isEqualTo(200);
            assertThat(response.head.header("transfer-encoding")).isNull();
            assertThat(response.head.header("content-length")).isNull();
            assertThat(response.head.header("connection")).isEqualToIgnoringCase("close");
            assertThat(response.head.header("content-type")).startsWith("text/event-stream");
            assertThat(response.body).isEqualTo(concat(events));
            assertThat(client.awaitClosedByPeer(TIMEOUT)).isTrue();
        }
    }

    // ------------------------------------------------------------------ headers

    @Test
    void upstreamRequestIdAndRateLimitHeadersReachTheClientButHopByHopHeadersDoNot() throws Exception {
        start(true);
        fake.handler((request, exchange) -> {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("content-type", "application/json");
            headers.put("x-request-id", "req-abc-123");
            headers.put("x-ratelimit-remaining-requests", "14");
            headers.put("x-ratelimit-limit-requests", "15");
            headers.put("keep-alive", "timeout=30");
            headers.put("connection", "keep-alive, x-upstream-private");
            headers.put("x-upstream-private", "secret-hop");
            exchange.respond(200, headers, bytes(completion("ok")));
        });
        Response response = exchange(chatHeadFor(CHAT), bytes(CHAT));

        assertThat(response.head.status()).isEqualTo(200);
        assertThat(response.head.header("x-request-id")).isEqualTo("req-abc-123");
        assertThat(response.head.header("x-ratelimit-remaining-requests")).isEqualTo("14");
        assertThat(response.head.header("x-ratelimit-limit-requests")).isEqualTo("15");
        assertThat(response.head.header("keep-alive")).isNull();
        assertThat(response.head.header("x-upstream-private")).isNull();
        assertThat(response.body).isEqualTo(bytes(completion("ok")));
    }

    @Test
    void upstream429ReachesTheClientInTheReferenceShapeWithRetryAfter() throws Exception {
        start(false);
        String body = "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit of 15 per 60s exceeded\","
                + "\"details\":\"Rate limit of 15 per 60s exceeded for UserByModelByMinute.\"}}";
        fake.handler((request, exchange) -> exchange.respond(429, Map.of("content-type", "application/json",
                "retry-after", "7", "x-ratelimit-type", "UserByModelByMinute", "x-ratelimit-timeremaining", "7"),
                bytes(body)));
        Response response = exchange(chatHeadFor(CHAT), bytes(CHAT));

        assertThat(response.head.status()).isEqualTo(429);
        assertThat(response.head.header("retry-after")).isEqualTo("7");
        assertThat(response.head.header("x-ratelimit-type")).isEqualTo("UserByModelByMinute");
        JsonNode json = JSON.readTree(response.body);
        assertEnvelope(json, "rate_limit_exceeded", "rate_limit");
        assertThat(json.at("/rate_limit/retry_after_seconds").asInt()).isEqualTo(7);
        assertThat(json.at("/rate_limit/limit_type").asText()).isEqualTo("UserByModelByMinute");
        assertThat(json.at("/rate_limit/upstream_code").isNull()).as("no x-ms-error-code header").isTrue();
    }

    @Test
    void upstreamSeesTheServerTokenAndItsOwnHostButNoneOfTheClientsCredentialsOrContext() throws Exception {
        start(true);
        Response response = exchange("POST /v1/chat/completions HTTP/1.1\nHost: proxy.example:3010\n"
                + "Content-Type: application/json\nContent-Length: " + CHAT.length() + "\n"
                + "Authorization: Bearer client-secret-key\n"
                + "Cookie: session=client-cookie\n"
                + "X-Proxy-Key: client-proxy-key\n"
                + "X-Forwarded-For: 10.1.2.3\n"
                + "Connection: keep-alive, X-Hop-Private\n"
                + "X-Hop-Private: client-hop\n"
                + "OpenAI-Organization: org-123", bytes(CHAT));
        assertThat(response.head.status()).isEqualTo(200);

        RecordedRequest upstream = fake.awaitRequest(TIMEOUT);
        assertThat(upstream.method()).isEqualTo("POST");
        assertThat(upstream.uri()).isEqualTo("/chat/completions");
        assertThat(upstream.header("authorization")).isEqualTo("Bearer " + ProxyUnderTest.SERVER_TOKEN);
        assertThat(upstream.headers().getAll("authorization")).hasSize(1);
        assertThat(upstream.header("host")).isEqualTo("localhost:" + fake.port());
        assertThat(upstream.header("cookie")).isNull();
        assertThat(upstream.header("x-proxy-key")).isNull();
        assertThat(upstream.header("x-forwarded-for")).isNull();
        assertThat(upstream.header("x-hop-private")).isNull();
        assertThat(upstream.header("openai-organization")).isEqualTo("org-123");
        assertThat(allHeaderText(upstream)).doesNotContain("client-secret-key", "client-cookie", "client-proxy-key",
                "10.1.2.3", "client-hop");
    }

    @Test
    void aListedIdInAnotherCaseIsSentAsListedAndEveryOtherFieldSurvives() throws Exception {
        start(false);
        String body = "{\"model\":\"OpenAI/GPT-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9\"}],"
                + "\"temperature\":0.70,\"top_p\":1e-7,\"seed\":123456789012345678901234567890,"
                + "\"foo_unknown\":{\"nested\":[1,2.50,null,true,\"x\"]}}";
        Response response = exchange(chatHeadFor(body), bytes(body));
        assertThat(response.head.status()).isEqualTo(200);

        RecordedRequest upstream = fake.awaitRequest(TIMEOUT);
        JsonNode sent = JSON.readTree(body);
        JsonNode forwarded = JSON.readTree(upstream.body());
        assertThat(forwarded.get("model").asText()).isEqualTo("openai/gpt-4o-mini");
        assertThat(forwarded.get("messages")).isEqualTo(sent.get("messages"));
        assertThat(forwarded.get("temperature").decimalValue()).isEqualByComparingTo("0.70");
        assertThat(forwarded.get("top_p").decimalValue()).isEqualByComparingTo("1e-7");
        assertThat(forwarded.get("seed").bigIntegerValue()).isEqualTo(sent.get("seed").bigIntegerValue());
        assertThat(upstream.bodyString()).contains("\"foo_unknown\":{\"nested\":[1,2.50,null,true,\"x\"]}");
    }

    @Test
    void theClientsQueryStringTravelsWithTheRequest() throws Exception {
        start(false);
        String body = chatBody("q");
        Response response = exchange(chatHead("/v1/chat/completions?api-version=2024-12-01-preview", bytes(body).length),
                bytes(body));
        assertThat(response.head.status()).isEqualTo(200);
        assertThat(fake.awaitRequest(TIMEOUT).uri()).isEqualTo("/chat/completions?api-version=2024-12-01-preview");
    }

    @Test
    void onGitHubModelsAShortNameOfAnyPublisherResolvesCaseInsensitively() throws Exception {
        fake = FakeUpstream.start(false);
        fake.handler(ClientRequestsIT::echoChat);
        proxy = ProxyUnderTest.startGitHubModels(fake, Map.of());
        String body = "{\"model\":\"Meta-Llama-3.1-405B-Instruct\",\"messages\":[]}";
        Response response = exchange(chatHeadFor(body), bytes(body));

        assertThat(response.head.status()).isEqualTo(200);
        assertThat(fake.awaitRequest(TIMEOUT).bodyJson().get("model").asText())
                .isEqualTo("meta/meta-llama-3.1-405b-instruct");
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai/gpt-4o-mini", "acme/not-in-the-catalog"})
    void bodyThatNeedsNoRewriteIsForwardedByteForByte(String model) throws Exception {
        start(false);
        String body = "{ \"messages\" : [ {\"role\":\"user\",\"content\":\"caf\\u00e9 \u2603\"} ],\n"
                + "  \"model\":\"" + model + "\", \"temperature\": 0.70, \"top_p\":1E+0,"
                + " \"foo_unknown\" : {\"b\":1,\"a\":[ ]} }";
        Response response = exchange(chatHead("/v1/chat/completions", bytes(body).length), bytes(body));

        assertThat(response.head.status()).isEqualTo(200);
        assertThat(fake.awaitRequest(TIMEOUT).body()).isEqualTo(bytes(body));
    }

    // ------------------------------------------------------------------ client authentication

    @Test
    void withClientKeysConfiguredApiPathsWithoutAValidKeyAre401() throws Exception {
        start(false, "PROXY_SERVER_KEY", "k1,k2");
        Response chat = exchange(chatHeadFor(CHAT), bytes(CHAT));
        assertThat(chat.head.status()).isEqualTo(401);
        assertEnvelope(chat.json(), "authentication_error", "proxy_key_invalid");
        assertThat(chat.json().at("/error/message").asText()).isEqualTo("missing or invalid proxy key");

        Response bare = exchange(chatHead("/chat/completions", CHAT.length()), bytes(CHAT));
        assertThat(bare.head.status()).isEqualTo(401);
        assertEnvelope(bare.json(), "authentication_error", "proxy_key_invalid");

        for (String request : List.of("GET /v1/models HTTP/1.1\nHost: proxy",
                "GET /v1/models/gpt-4o-mini HTTP/1.1\nHost: proxy",
                "GET /v1/unknown-thing HTTP/1.1\nHost: proxy",
                "GET /api/models HTTP/1.1\nHost: proxy",
                "GET /v1/models HTTP/1.1\nHost: proxy\nAuthorization: Bearer wrong",
                "GET /v1/models HTTP/1.1\nHost: proxy\nX-Proxy-Key: k1x")) {
            Response response = exchange(request);
            assertThat(response.head.status()).as(request).isEqualTo(401);
            assertEnvelope(response.json(), "authentication_error", "proxy_key_invalid");
        }
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void withClientKeysConfiguredHealthAndReadyStayOpen() throws Exception {
        start(false, "PROXY_SERVER_KEY", "k1,k2");

        assertThat(exchange("GET /health HTTP/1.1\nHost: proxy").head.status()).isEqualTo(200);
        assertThat(exchange("GET /ready HTTP/1.1\nHost: proxy").head.status()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Authorization: Bearer k1", "X-Proxy-Key: k2", "X-Proxy-Server-Key: k1"})
    void aValidClientKeyInAnyAcceptedHeaderIsLetThroughAndNeverForwarded(String keyHeader) throws Exception {
        start(true, "PROXY_SERVER_KEY", "k1,k2");
        Response chat = exchange(chatHeadFor(CHAT) + "\n" + keyHeader, bytes(CHAT));
        Response models = exchange("GET /v1/models HTTP/1.1\nHost: proxy\n" + keyHeader);

        assertThat(chat.head.status()).isEqualTo(200);
        assertThat(models.head.status()).isEqualTo(200);
        RecordedRequest upstream = fake.awaitRequest(TIMEOUT);
        assertThat(upstream.header("authorization")).isEqualTo("Bearer " + ProxyUnderTest.SERVER_TOKEN);
        assertThat(upstream.header("x-proxy-key")).isNull();
        assertThat(upstream.header("x-proxy-server-key")).isNull();
        assertThat(upstream.headers().entries()).noneMatch(h -> h.getValue().matches("(?i)(bearer )?k[12]"));
    }

    @Test
    void requestModeForwardsTheClientsOwnKey() throws Exception {
        start(false, "PROXY_AUTH_MODE", "request");
        Response viaHeader = exchange(chatHeadFor(CHAT) + "\nX-OpenAI-Api-Key: client-own-key", bytes(CHAT));
        Response viaBearer = exchange(chatHeadFor(CHAT) + "\nAuthorization: Bearer client-bearer-key", bytes(CHAT));

        assertThat(viaHeader.head.status()).isEqualTo(200);
        assertThat(viaBearer.head.status()).isEqualTo(200);
        RecordedRequest first = fake.awaitRequest(TIMEOUT);
        RecordedRequest second = fake.awaitRequest(TIMEOUT);
        assertThat(first.header("authorization")).isEqualTo("Bearer client-own-key");
        assertThat(first.header("x-openai-api-key")).isNull();
        assertThat(second.header("authorization")).isEqualTo("Bearer client-bearer-key");
        assertThat(allHeaderText(first) + allHeaderText(second)).doesNotContain(ProxyUnderTest.SERVER_TOKEN);
    }

    @Test
    void requestModeWithoutAClientKeyIs401MissingApiKey() throws Exception {
        start(false, "PROXY_AUTH_MODE", "request");
        Response response = exchange(chatHeadFor(CHAT), bytes(CHAT));

        assertThat(response.head.status()).isEqualTo(401);
        assertEnvelope(response.json(), "authentication_error", "missing_api_key");
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void requestModeNeverForwardsTheProxyKeyAsTheUpstreamKey() throws Exception {
        start(false, "PROXY_AUTH_MODE", "request", "PROXY_SERVER_KEY", "k1");
        Response withOwnKey = exchange(chatHeadFor(CHAT) + "\nAuthorization: Bearer k1\n"
                + "X-OpenAI-Api-Key: client-own-key", bytes(CHAT));
        Response proxyKeyOnly = exchange(chatHeadFor(CHAT) + "\nAuthorization: Bearer k1", bytes(CHAT));

        assertThat(withOwnKey.head.status()).isEqualTo(200);
        assertThat(fake.awaitRequest(TIMEOUT).header("authorization")).isEqualTo("Bearer client-own-key");
        assertThat(proxyKeyOnly.head.status()).isEqualTo(401);
        assertEnvelope(proxyKeyOnly.json(), "authentication_error", "missing_api_key");
        assertThat(fake.requests()).hasSize(1);
    }

    @Test
    void authModeHeaderFromTheClientDoesNotChangeEnvMode() throws Exception {
        start(false);
        Response withBearer = exchange(chatHeadFor(CHAT) + "\nX-Proxy-Auth-Mode: request\n"
                + "Authorization: Bearer client-key", bytes(CHAT));
        Response withoutKey = exchange(chatHeadFor(CHAT) + "\nX-Proxy-Auth-Mode: request", bytes(CHAT));

        assertThat(withBearer.head.status()).isEqualTo(200);
        assertThat(withoutKey.head.status()).isEqualTo(200);
        RecordedRequest first = fake.awaitRequest(TIMEOUT);
        RecordedRequest second = fake.awaitRequest(TIMEOUT);
        assertThat(first.header("authorization")).isEqualTo("Bearer " + ProxyUnderTest.SERVER_TOKEN);
        assertThat(first.header("x-proxy-auth-mode")).isNull();
        assertThat(second.header("authorization")).isEqualTo("Bearer " + ProxyUnderTest.SERVER_TOKEN);
    }

    // ------------------------------------------------------------------ helpers

    private record Response(ResponseHead head, byte[] body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private RawHttpClient connect() throws IOException {
        return RawHttpClient.connect(proxy.port());
    }

    /** One request on a connection of its own. */
    private Response exchange(String head, byte[] body) throws IOException {
        try (RawHttpClient client = connect()) {
            client.send(head, body);
            return read(client);
        }
    }

    private Response exchange(String head) throws IOException {
        return exchange(head, new byte[0]);
    }

    /** Sends {@code request} on a new plain socket and returns every byte the proxy sends until it closes. */
    private String wholeConversation(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static Response read(RawHttpClient client) throws IOException {
        ResponseHead head = client.readHead(TIMEOUT);
        return new Response(head, client.readFullBody(TIMEOUT));
    }

    private static void assertEnvelope(JsonNode body, String type, String code) {
        JsonNode error = body.get("error");
        assertThat(error).as("error envelope in %s", body).isNotNull();
        assertThat(error.has("message") && error.has("type") && error.has("param") && error.has("code"))
                .as("all four keys in %s", body).isTrue();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").asText()).isEqualTo(type);
        assertThat(error.get("code").asText()).isEqualTo(code);
    }

    /** Echoes the first message's content, so responses can be told apart. */
    private static void echoChat(RecordedRequest request, FakeUpstream.Exchange exchange) {
        String content;
        try {
            content = request.bodyJson().at("/messages/0/content").asText("");
        } catch (RuntimeException e) {
            content = "";
        }
        exchange.respondJson(200, completion("echo: " + content));
    }

    private void slowEcho(Duration delay) {
        fake.handler((request, exchange) -> exchange.after(delay, () -> echoChat(request, exchange)));
    }

    private static String completion(String content) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"openai/gpt-4o-mini\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
                + "\"total_tokens\":2}}";
    }

    private static String chatBody(String content) {
        return "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    /** A whole chat request with a Content-Length, CRLF line ends, ready to pipeline. */
    private static String chatRequest(String content) {
        String body = chatBody(content);
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes(body).length + "\r\n\r\n" + body;
    }

    private static String chatHead(String path, int contentLength) {
        return "POST " + path + " HTTP/1.1\nHost: proxy\nContent-Type: application/json\nContent-Length: "
                + contentLength;
    }

    private static String chatHeadFor(String body) {
        return chatHead("/v1/chat/completions", bytes(body).length);
    }

    /** {@code json} with a {@code pad} field added so that it is exactly {@code length} bytes long. */
    private static String padded(String json, int length) {
        String prefix = json.substring(0, json.length() - 1) + ",\"pad\":\"";
        String suffix = "\"}";
        int fill = length - bytes(prefix).length - suffix.length();
        return prefix + "p".repeat(fill) + suffix;
    }

    private static byte[] chunk(String data) {
        byte[] payload = bytes(data);
        return bytes(Integer.toHexString(payload.length) + "\r\n" + data + "\r\n");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        parts.forEach(all::writeBytes);
        return all.toByteArray();
    }

    private static String allHeaderText(RecordedRequest request) {
        List<String> lines = new ArrayList<>();
        request.headers().forEach(h -> lines.add(h.getKey() + ": " + h.getValue()));
        return String.join("\n", lines);
    }
}
