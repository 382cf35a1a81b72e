package dev.llmproxy.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.Zstd;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bridged APIs and request decoding through a running proxy in front of an upstream that speaks only chat
 * completions: {@code /v1/responses} (bridged, or native to a kind-openai upstream) and Anthropic's
 * {@code /v1/messages} (and its {@code count_tokens}) in their own shapes, streamed and not, with their own error
 * envelopes; request bodies in gzip or zstd reach the upstream decoded, an unknown coding is 415, a gzip bomb 413.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BridgesIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int BODY_CAP = 256 * 1024;

    @TempDir
    Path dir;

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** One upstream {@code local} of {@code kind} at the fake's {@code /v1}. */
    private void start(String kind, String extra) throws IOException {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi")));
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: local
                    kind: %s
                    base_url: %s/v1
                    models: [llama3.2:3b]
                %s
                """.formatted(kind, upstream.baseUrl(), extra), StandardCharsets.UTF_8);
        proxy = ProxyUnderTest.start(ProxyUnderTest.settings("CONFIG_FILE", file.toString(),
                "MAX_REQUEST_BODY_BYTES", Integer.toString(BODY_CAP)));
    }

    private void start() throws IOException {
        start("openai-compatible", "");
    }

    private static JsonNode json(String body) throws IOException {
        return Json.MAPPER.readTree(body);
    }

    /** The events of an SSE body: each {@code event:} name with its {@code data:} parsed. */
    private record Event(String name, JsonNode data) {
    }

    private static List<Event> events(String body) throws IOException {
        List<Event> out = new ArrayList<>();
        for (String block : body.replace("\r\n", "\n").split("\n\n")) {
            String name = null;
            StringBuilder data = new StringBuilder();
            for (String line : block.split("\n")) {
                if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                }
            }
            if (name != null || data.length() > 0) {
                out.add(new Event(name, data.length() == 0 || data.toString().equals("[DONE]") ? null
                        : json(data.toString())));
            }
        }
        return out;
    }

    private static List<byte[]> chatStream(String... pieces) {
        List<byte[]> chunks = new ArrayList<>();
        chunks.add(FakeUpstream.sseEvent("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"llama3.2:3b\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\"\"},\"finish_reason\":null}]}"));
        for (String p : pieces) {
            chunks.add(FakeUpstream.sseEvent("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                    + "\"model\":\"llama3.2:3b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                    + Json.MAPPER.valueToTree(p) + "},\"finish_reason\":null}]}"));
        }
        chunks.add(FakeUpstream.sseEvent("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"llama3.2:3b\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
        chunks.add(FakeUpstream.sseEvent("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"llama3.2:3b\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,"
                + "\"total_tokens\":9}}"));
        chunks.add(FakeUpstream.sseEvent("[DONE]"));
        return chunks;
    }

    private HttpResponse<String> post(String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.baseUrl().resolve(path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static String chat(String content) {
        return "{\"model\":\"llama3.2:3b\",\"messages\":[{\"role\":\"user\",\"content\":"
                + Json.MAPPER.valueToTree(content) + "}]}";
    }

    // ---------------------------------------------------------------- Responses API

    @Test
    void aResponsesRequestIsBridgedToChatAndAnsweredAsAResponse() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/responses",
                "{\"model\":\"llama3.2:3b\",\"input\":\"Say hi\",\"instructions\":\"Be brief\"}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordedRequest got = upstream.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/v1/chat/completions");
        JsonNode chat = got.bodyJson();
        assertThat(chat.path("model").asText()).isEqualTo("llama3.2:3b");
        assertThat(chat.path("messages").isArray()).as(chat.toString()).isTrue();
        assertThat(chat.toString()).contains("Say hi").contains("Be brief");
        assertThat(chat.has("input")).isFalse();

        JsonNode response = json(r.body());
        assertThat(response.path("object").asText()).isEqualTo("response");
        assertThat(response.path("status").asText()).isEqualTo("completed");
        assertThat(response.at("/output/0/type").asText()).isEqualTo("message");
        assertThat(response.at("/output/0/content/0/text").asText()).isEqualTo("hi");
        assertThat(response.at("/usage/input_tokens").asInt()).isEqualTo(3);
        assertThat(response.at("/usage/output_tokens").asInt()).isEqualTo(2);
        assertThat(r.headers().firstValue("X-LLM-Proxy-Upstream")).hasValue("local");
    }

    @Test
    void aStreamedResponsesRequestBecomesResponsesEventsInOrder() throws Exception {
        start();
        upstream.handler(FakeUpstream.sse(chatStream("Hel", "lo"), Duration.ofMillis(5)));
        HttpResponse<String> r = proxy.postJson("/v1/responses",
                "{\"model\":\"llama3.2:3b\",\"input\":\"Say hello\",\"stream\":true}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/event-stream"));
        JsonNode chat = upstream.awaitRequest(WAIT).bodyJson();
        assertThat(chat.path("stream").asBoolean()).isTrue();
        assertThat(chat.at("/stream_options/include_usage").asBoolean()).as("the bridge asks for usage").isTrue();

        List<Event> events = events(r.body());
        List<String> names = events.stream().map(Event::name).toList();
        assertThat(names.get(0)).isEqualTo("response.created");
        assertThat(names).contains("response.output_text.delta");
        assertThat(names.get(names.size() - 1)).isEqualTo("response.completed");
        assertThat(names.indexOf("response.output_text.delta")).isLessThan(names.indexOf("response.completed"));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            assertThat(e.data().path("type").asText()).isEqualTo(e.name());
            assertThat(e.data().path("sequence_number").asInt()).as(e.name()).isEqualTo(i);
            if (e.name().equals("response.output_text.delta")) {
                text.append(e.data().path("delta").asText());
            }
        }
        assertThat(text.toString()).isEqualTo("Hello");
        JsonNode completed = events.get(events.size() - 1).data().path("response");
        assertThat(completed.at("/usage/input_tokens").asInt()).isEqualTo(7);
        assertThat(completed.at("/usage/output_tokens").asInt()).isEqualTo(2);
        assertThat(r.body()).as("no chat chunk reaches the client").doesNotContain("chat.completion.chunk");
    }

    @Test
    void aBuiltInToolCannotBeBridgedAndIsRefusedNamingTheField() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/responses",
                "{\"model\":\"llama3.2:3b\",\"input\":\"news?\",\"tools\":[{\"type\":\"web_search\"}]}");

        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = json(r.body()).path("error");
        assertThat(error.path("param").asText() + " " + error.path("message").asText()).contains("tools[0].type");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void anOpenAiUpstreamServesTheResponsesApiNatively() throws Exception {
        upstream = FakeUpstream.start(false);
        String answer = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"output\":[]}";
        upstream.handler(FakeUpstream.json(200, answer));
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: openai
                    kind: openai
                    base_url: %s/v1
                    api_key: sk-test
                    models: [gpt-4.1-mini]
                """.formatted(upstream.baseUrl()), StandardCharsets.UTF_8);
        proxy = ProxyUnderTest.start(ProxyUnderTest.settings("CONFIG_FILE", file.toString()));
        String body = "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}]}";
        HttpResponse<String> r = proxy.postJson("/v1/responses", body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(answer);
        RecordedRequest got = upstream.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/v1/responses");
        assertThat(got.bodyString()).isEqualTo(body);
        assertThat(got.header("Authorization")).isEqualTo("Bearer sk-test");
    }

    // ---------------------------------------------------------------- Messages API

    private static final String MESSAGES = "{\"model\":\"claude-sonnet-4\",\"max_tokens\":100,"
            + "\"system\":\"Be brief\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";

    @Test
    void aMessagesRequestIsAnsweredInAnthropicsShape() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/messages", MESSAGES, "anthropic-version", "2023-06-01");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordedRequest got = upstream.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/v1/chat/completions");
        JsonNode chat = got.bodyJson();
        assertThat(chat.path("model").asText()).as("the only upstream serves any id").isEqualTo("claude-sonnet-4");
        assertThat(chat.path("messages").isArray()).isTrue();
        assertThat(chat.toString()).contains("Be brief").contains("Say hi");

        JsonNode message = json(r.body());
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("role").asText()).isEqualTo("assistant");
        assertThat(message.at("/content/0/type").asText()).isEqualTo("text");
        assertThat(message.at("/content/0/text").asText()).isEqualTo("hi");
        assertThat(message.path("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(message.at("/usage/output_tokens").asInt()).isEqualTo(2);
    }

    @Test
    void aStreamedMessagesRequestBecomesAnthropicsEvents() throws Exception {
        start();
        upstream.handler(FakeUpstream.sse(chatStream("Hel", "lo"), Duration.ofMillis(5)));
        String body = MESSAGES.replace("\"max_tokens\":100,", "\"max_tokens\":100,\"stream\":true,");
        HttpResponse<String> r = proxy.postJson("/v1/messages", body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<Event> events = events(r.body());
        List<String> names = events.stream().map(Event::name).toList();
        assertThat(names.get(0)).isEqualTo("message_start");
        assertThat(names.get(names.size() - 1)).isEqualTo("message_stop");
        assertThat(names).contains("content_block_start", "content_block_delta", "content_block_stop",
                "message_delta");
        StringBuilder text = new StringBuilder();
        for (Event e : events) {
            assertThat(e.data().path("type").asText()).isEqualTo(e.name());
            if (e.name().equals("content_block_delta")) {
                text.append(e.data().at("/delta/text").asText());
            }
        }
        assertThat(text.toString()).isEqualTo("Hello");
        assertThat(events.get(0).data().at("/message/usage/input_tokens").asInt()).as("counted by the proxy")
                .isPositive();
        Event delta = events.get(names.lastIndexOf("message_delta"));
        assertThat(delta.data().at("/delta/stop_reason").asText()).isEqualTo("end_turn");
        assertThat(delta.data().at("/usage/output_tokens").asInt()).isEqualTo(2);
    }

    @Test
    void anUpstreamErrorComesBackInAnthropicsEnvelope() throws Exception {
        start();
        upstream.handler(FakeUpstream.json(500,
                "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":null}}"));
        HttpResponse<String> r = proxy.postJson("/v1/messages", MESSAGES);

        assertThat(r.statusCode()).isEqualTo(500);
        JsonNode error = json(r.body());
        assertThat(error.path("type").asText()).as(r.body()).isEqualTo("error");
        assertThat(error.at("/error/type").asText()).isNotEmpty();
        assertThat(error.at("/error/message").asText()).isNotEmpty();
        assertThat(error.has("choices")).isFalse();
    }

    @Test
    void anErrorOfTheProxyItselfIsInAnthropicsEnvelopeToo() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/messages",
                "{\"model\":\"claude-sonnet-4\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = json(r.body());
        assertThat(error.path("type").asText()).as(r.body()).isEqualTo("error");
        assertThat(error.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.at("/error/message").asText()).contains("max_tokens");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void countTokensIsAnsweredWithoutAnUpstreamCall() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/messages/count_tokens",
                "{\"model\":\"claude-sonnet-4\",\"messages\":[{\"role\":\"user\",\"content\":\"Count these words"
                        + " for me, please\"}]}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode count = json(r.body());
        assertThat(count.path("input_tokens").asInt()).isPositive();
        assertThat(count.size()).isEqualTo(1);
        assertThat(upstream.requests()).isEmpty();
    }

    // ---------------------------------------------------------------- Content-Encoding

    @Test
    void aGzipBodyReachesTheUpstreamDecoded() throws Exception {
        start();
        String body = chat("compressed hello");
        HttpResponse<String> r = post("/v1/chat/completions", gzip(body.getBytes(StandardCharsets.UTF_8)),
                "Content-Encoding", "gzip");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordedRequest got = upstream.awaitRequest(WAIT);
        assertThat(got.bodyString()).isEqualTo(body);
        assertThat(got.header("Content-Encoding")).isNull();
        assertThat(got.header("Content-Length")).isEqualTo(Integer.toString(body.length()));
    }

    @Test
    void aLargeGzipBodyIsDecodedOffTheEventLoopAndForwarded() throws Exception {
        start();
        // random letters hardly compress: well over the 16 KiB decoded on the event loop, under the body cap
        Random random = new Random(7);
        StringBuilder words = new StringBuilder();
        while (words.length() < 60_000) {
            words.append((char) ('a' + random.nextInt(26)));
            if (random.nextInt(6) == 0) {
                words.append(' ');
            }
        }
        String body = chat(words.toString());
        byte[] compressed = gzip(body.getBytes(StandardCharsets.UTF_8));
        assertThat(compressed.length).isGreaterThan(16 * 1024);
        HttpResponse<String> r = post("/v1/chat/completions", compressed, "Content-Encoding", "gzip");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(upstream.awaitRequest(WAIT).bodyString()).isEqualTo(body);
    }

    @Test
    void aZstdBodyReachesTheUpstreamDecoded() throws Exception {
        start();
        String body = chat("zstd hello");
        HttpResponse<String> r = post("/v1/chat/completions", Zstd.compress(body.getBytes(StandardCharsets.UTF_8)),
                "Content-Encoding", "zstd");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordedRequest got = upstream.awaitRequest(WAIT);
        assertThat(got.bodyString()).isEqualTo(body);
        assertThat(got.header("Content-Encoding")).isNull();
    }

    @Test
    void aGzipBodyToABridgedApiIsDecodedToo() throws Exception {
        start();
        byte[] body = "{\"model\":\"llama3.2:3b\",\"input\":\"gzipped hi\"}".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = post("/v1/responses", gzip(body), "Content-Encoding", "gzip");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r.body()).path("object").asText()).isEqualTo("response");
        assertThat(upstream.awaitRequest(WAIT).bodyString()).contains("gzipped hi");
    }

    @Test
    void anUnsupportedCodingIs415() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/chat/completions", chat("x").getBytes(StandardCharsets.UTF_8),
                "Content-Encoding", "compress");

        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(json(r.body()).at("/error/code").asText()).isEqualTo("unsupported_content_encoding");
        assertThat(r.headers().firstValue("Accept-Encoding")).hasValueSatisfying(
                v -> assertThat(v).contains("gzip"));
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void aGzipBombIsRefusedAsTooLarge() throws Exception {
        start();
        byte[] bomb = gzip(new byte[64 * 1024 * 1024]); // 64 MiB of zeros in about 64 KiB
        assertThat(bomb.length).isLessThan(BODY_CAP);
        HttpResponse<String> r = post("/v1/chat/completions", bomb, "Content-Encoding", "gzip");

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(json(r.body()).at("/error/code").asText()).isEqualTo("request_too_large");
        assertThat(upstream.requests()).isEmpty();

        // and a small bomb, decoded on the event loop
        byte[] small = gzip(new byte[4 * BODY_CAP]);
        assertThat(small.length).isLessThan(16 * 1024);
        HttpResponse<String> again = post("/v1/chat/completions", small, "Content-Encoding", "gzip");
        assertThat(again.statusCode()).isEqualTo(413);
        assertThat(upstream.requests()).isEmpty();
    }
}
