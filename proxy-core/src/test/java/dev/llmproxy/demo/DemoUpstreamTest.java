package dev.llmproxy.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

class DemoUpstreamTest {
    private static final String CHAT_MODEL = "gpt-4o-mini";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static DemoUpstream upstream;
    private static HttpClient client;
    private static LogCapture logs;

    @BeforeAll
    static void startUpstream() throws InterruptedException {
        logs = LogCapture.install();
        upstream = DemoUpstream.start(new DemoConfig(Duration.ZERO));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    @AfterAll
    static void stopUpstream() throws InterruptedException {
        upstream.close();
        LogCapture.provokeLeakReports();
        try {
            assertThat(logs.problems()).as("warnings, errors and leak reports").isEmpty();
        } finally {
            logs.close();
        }
    }

    @AfterEach
    void loggedNoProblem() {
        assertThat(logs.problems()).as("warnings, errors and leak reports").isEmpty();
    }

    // ---------------------------------------------------------------- chat, non-stream

    @Test
    void answersChatWithTheOpenAiCompletionShapeAndUpstreamHeaders() throws Exception {
        HttpResponse<String> response = post(upstream, "/chat/completions", chat("What is the capital of France?", ""));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValueAsLong("content-length"))
                .hasValue(response.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(response.headers().firstValue("server")).hasValue("llm-proxy-demo-upstream");
        assertThat(response.headers().firstValue("x-request-id")).hasValueSatisfying(id -> assertThat(id).isNotBlank());
        assertThat(response.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("999");

        JsonNode body = json(response.body());
        assertThat(body.path("id").asText()).startsWith("chatcmpl-demo-");
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("created").asLong()).isPositive();
        assertThat(body.path("model").asText()).isEqualTo(CHAT_MODEL);
        assertThat(body.path("system_fingerprint").asText()).isEqualTo("demo");
        JsonNode choice = body.path("choices").get(0);
        assertThat(body.path("choices")).hasSize(1);
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        String content = choice.path("message").path("content").asText();
        assertThat(content)
                .contains("llm-proxy demo upstream")
                .contains("OPENAI_API_KEY")
                .doesNotContain("GITHUB")
                .contains("What is the capital of France?");
        int words = content.split(" ").length;
        assertThat(words).isBetween(40, 80);
        JsonNode usage = body.path("usage");
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(words);
        assertThat(usage.path("prompt_tokens").asInt()).isPositive();
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
    }

    @Test
    void countsPromptTokensAsAQuarterOfTheCharactersPlusThreePerMessage() throws Exception {
        String body = "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"12345678\"},"          // 2 + 3
                + "{\"role\":\"user\",\"content\":\"123456789\"}]}";         // 3 + 3
        JsonNode usage = json(post(upstream, "/chat/completions", body).body()).path("usage");
        assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(11);
    }

    @Test
    void repliesDeterministicallyFromThePrompt() throws Exception {
        String first = content(post(upstream, "/chat/completions", chat("Tell me about ravens", "")));
        String again = content(post(upstream, "/chat/completions", chat("Tell me about ravens", "")));
        String other = content(post(upstream, "/chat/completions", chat("Tell me about crows", "")));

        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void echoesTheLastUserMessageGivenAsContentParts() throws Exception {
        String body = "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"an earlier question\"},"
                + "{\"role\":\"assistant\",\"content\":\"an answer\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"describe\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}},"
                + "{\"type\":\"text\",\"text\":\"this picture\"}]}]}";
        String content = content(post(upstream, "/chat/completions", body));
        assertThat(content).contains("describe this picture").doesNotContain("earlier question");
    }

    @Test
    void servesPathsWithAndWithoutTheV1Prefix() throws Exception {
        assertThat(post(upstream, "/v1/chat/completions", chat("hi", "")).statusCode()).isEqualTo(200);
        assertThat(get(upstream, "/v1/models").statusCode()).isEqualTo(200);
        assertThat(post(upstream, "/v1/embeddings", embeddings("text-embedding-3-small", "\"hi\"", ""))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void truncatesAtMaxTokensWithFinishReasonLength() throws Exception {
        JsonNode body = json(post(upstream, "/chat/completions", chat("hello", ",\"max_tokens\":5")).body());
        JsonNode choice = body.path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("Hello! This is the llm-proxy ");
        assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(5);

        JsonNode newer = json(post(upstream, "/chat/completions", chat("hello", ",\"max_completion_tokens\":3"))
                .body());
        assertThat(newer.path("usage").path("completion_tokens").asInt()).isEqualTo(3);

        List<String> stream = streamedContents(post(upstream, "/chat/completions",
                chat("hello", ",\"stream\":true,\"max_tokens\":5")).body());
        assertThat(String.join("", stream)).isEqualTo("Hello! This is the llm-proxy ");
    }

    // ---------------------------------------------------------------- chat, stream

    @Test
    void streamsTheSameReplyAsServerSentEvents() throws Exception {
        String prompt = "Stream me something about the sea";
        String expected = content(post(upstream, "/chat/completions", chat(prompt, "")));

        HttpResponse<String> response = post(upstream, "/chat/completions", chat(prompt, ",\"stream\":true"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(response.headers().firstValue("content-length")).isEmpty();
        assertThat(response.headers().firstValue("server")).hasValue("llm-proxy-demo-upstream");
        assertThat(response.headers().firstValue("x-request-id")).isPresent();

        List<String> events = events(response.body());
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(DemoUpstreamTest::json).toList();
        for (JsonNode chunk : chunks) {
            assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("model").asText()).isEqualTo(CHAT_MODEL);
            assertThat(chunk.path("id").asText()).isEqualTo(chunks.get(0).path("id").asText());
            assertThat(chunk.has("usage")).as("usage:null only when usage was asked for").isFalse();
        }
        JsonNode first = chunks.get(0).path("choices").get(0).path("delta");
        assertThat(first.path("role").asText()).isEqualTo("assistant");
        assertThat(first.path("content").asText()).isEmpty();
        JsonNode last = chunks.get(chunks.size() - 1).path("choices").get(0);
        assertThat(last.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(last.path("delta").isEmpty()).isTrue();
        List<String> tokens = streamedContents(response.body());
        assertThat(tokens).hasSize(chunks.size() - 2).allSatisfy(t -> assertThat(t).isNotEmpty());
        assertThat(String.join("", tokens)).isEqualTo(expected);
    }

    @Test
    void sendsAUsageChunkOnlyWhenStreamOptionsAskForIt() throws Exception {
        String withUsage = post(upstream, "/chat/completions",
                chat("count me", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")).body();
        List<String> events = events(withUsage);
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonNode usageChunk = json(events.get(events.size() - 2));
        assertThat(usageChunk.path("choices")).isEmpty();
        JsonNode usage = usageChunk.path("usage");
        int tokens = streamedContents(withUsage).size();
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(tokens);
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + tokens);
        JsonNode finish = json(events.get(events.size() - 3));
        assertThat(finish.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(finish.get("usage").isNull()).isTrue();

        String without = post(upstream, "/chat/completions",
                chat("count me", ",\"stream\":true,\"stream_options\":{\"include_usage\":false}")).body();
        assertThat(events(without)).noneMatch(e -> e.contains("\"usage\""));
    }

    @Test
    void pacesStreamedTokensByTheTokenDelay() throws Exception {
        int tokens = 15;
        long delayMillis = 20;
        try (DemoUpstream paced = DemoUpstream.start(new DemoConfig(Duration.ofMillis(delayMillis)))) {
            HttpRequest request = HttpRequest.newBuilder(paced.baseUrl().resolve("/chat/completions"))
                    .timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(chat("pace me", ",\"stream\":true,\"max_tokens\":" + tokens)))
                    .build();
            long start = System.nanoTime();
            List<Long> tokenArrivals = new ArrayList<>();
            HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = response.body()) {
                lines.filter(l -> l.startsWith("data: {") && l.contains("\"content\":\"") && !l.contains("\"role\""))
                        .forEach(l -> tokenArrivals.add(System.nanoTime()));
            }
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(tokenArrivals).hasSize(tokens);
            assertThat(elapsedMillis).isGreaterThanOrEqualTo(tokens * delayMillis * 9 / 10);
            // Events reach the client spread out, not in one buffered lump at the end.
            long spreadMillis = (tokenArrivals.get(tokens - 1) - tokenArrivals.get(0)) / 1_000_000;
            assertThat(spreadMillis).isGreaterThanOrEqualTo((tokens - 1) * delayMillis / 2);
        }
    }

    @Test
    void servesConcurrentPacedStreamsWholeAndInOrderOnSeveralEventLoops() throws Exception {
        int streams = 12;
        int tokens = 10;
        String body = chat("pace us", ",\"stream\":true,\"max_tokens\":" + tokens);
        List<String> expected = streamedContents(post(upstream, "/chat/completions", body).body());
        assertThat(expected).hasSize(tokens);
        try (DemoUpstream paced = DemoUpstream.start(new DemoConfig(Duration.ofMillis(20)), "127.0.0.1", 0, 3)) {
            HttpRequest request = HttpRequest.newBuilder(paced.baseUrl().resolve("/chat/completions"))
                    .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(body)).build();
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                answers.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
            }
            for (java.util.concurrent.CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(streamedContents(response.body())).isEqualTo(expected);
                assertThat(response.body()).endsWith("data: [DONE]\n\n");
            }
            await().atMost(TIMEOUT).until(() -> paced.streamsInFlight() == 0);
        }
    }

    @Test
    void refusesEventLoopCountsOutOfRange() {
        DemoConfig config = new DemoConfig(Duration.ZERO);
        assertThat(catchThrowable(() -> DemoUpstream.start(config, "127.0.0.1", 0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eventLoops");
        assertThat(catchThrowable(() -> DemoUpstream.start(config, "127.0.0.1", 0, DemoUpstream.MAX_EVENT_LOOPS + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eventLoops");
    }

    @Test
    void requestHeadersSetTheLatencyAndThePacingOfOneAnswer() throws Exception {
        // the shared upstream paces nothing; these headers are how the bench asks for a 20 ms upstream or paced SSE
        HttpRequest delayed = HttpRequest.newBuilder(upstream.baseUrl().resolve("/chat/completions")).timeout(TIMEOUT)
                .header("X-Demo-Delay-Ms", "150")
                .POST(HttpRequest.BodyPublishers.ofString(chat("wait", ""))).build();
        long start = System.nanoTime();
        assertThat(client.send(delayed, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(150);

        HttpRequest paced = HttpRequest.newBuilder(upstream.baseUrl().resolve("/chat/completions")).timeout(TIMEOUT)
                .header("X-Demo-Token-Delay-Ms", "20")
                .POST(HttpRequest.BodyPublishers.ofString(chat("pace me", ",\"stream\":true,\"max_tokens\":10")))
                .build();
        start = System.nanoTime();
        HttpResponse<String> stream = client.send(paced, HttpResponse.BodyHandlers.ofString());
        assertThat(streamedContents(stream.body())).hasSize(10);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(9 * 20);

        HttpRequest invalid = HttpRequest.newBuilder(upstream.baseUrl().resolve("/chat/completions")).timeout(TIMEOUT)
                .header("X-Demo-Delay-Ms", "-1")
                .POST(HttpRequest.BodyPublishers.ofString(chat("x", ""))).build();
        HttpResponse<String> refused = client.send(invalid, HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("x-demo-delay-ms");
    }

    // ---------------------------------------------------------------- embeddings

    @Test
    void embedsEachInputAsADeterministicUnitVector() throws Exception {
        HttpResponse<String> response = post(upstream, "/embeddings",
                embeddings("text-embedding-3-small", "[\"first text\",\"second text\"]", ""));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode body = json(response.body());
        assertThat(body.path("object").asText()).isEqualTo("list");
        assertThat(body.path("model").asText()).isEqualTo("text-embedding-3-small");
        assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(6);
        assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(6);
        JsonNode data = body.path("data");
        assertThat(data).hasSize(2);
        float[] first = floats(data.get(0).path("embedding"));
        float[] second = floats(data.get(1).path("embedding"));
        assertThat(data.get(0).path("object").asText()).isEqualTo("embedding");
        assertThat(data.get(1).path("index").asInt()).isEqualTo(1);
        assertThat(first).hasSize(1536);
        assertThat(norm(first)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(norm(second)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(second).isNotEqualTo(first);

        float[] again = floats(json(post(upstream, "/embeddings",
                embeddings("text-embedding-3-small", "\"first text\"", "")).body())
                .path("data").get(0).path("embedding"));
        assertThat(again).isEqualTo(first);
    }

    @Test
    void choosesDimensionsFromTheParameterOrTheModelFamily() throws Exception {
        try (DemoUpstream own = DemoUpstream.start(new DemoConfig(Duration.ZERO),
                Set.of("text-embedding-3-large", "cohere/Cohere-embed-v3-english"))) {
            assertThat(dimensionsOf(own, "text-embedding-3-large", "")).isEqualTo(3072);
            assertThat(dimensionsOf(own, "cohere/Cohere-embed-v3-english", "")).isEqualTo(1024);
            assertThat(dimensionsOf(own, "text-embedding-3-large", ",\"dimensions\":256")).isEqualTo(256);
        }
        assertThat(dimensionsOf(upstream, "text-embedding-3-small", "")).isEqualTo(1536);
        assertThat(post(upstream, "/embeddings", embeddings("text-embedding-3-small", "\"x\"",
                ",\"dimensions\":0")).statusCode()).isEqualTo(400);
        HttpResponse<String> tooMany = post(upstream, "/embeddings", embeddings("text-embedding-3-small",
                "\"x\"", ",\"dimensions\":8193"));
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(json(tooMany.body()).path("error").path("param").asText()).isEqualTo("dimensions");
    }

    @Test
    void encodesBase64AsLittleEndianFloat32OfTheSameVector() throws Exception {
        String input = "\"the same words\"";
        float[] asNumbers = floats(json(post(upstream, "/embeddings",
                embeddings("text-embedding-3-small", input, ",\"encoding_format\":\"float\"")).body())
                .path("data").get(0).path("embedding"));
        JsonNode base64 = json(post(upstream, "/embeddings",
                embeddings("text-embedding-3-small", input, ",\"encoding_format\":\"base64\"")).body())
                .path("data").get(0).path("embedding");

        assertThat(base64.isTextual()).isTrue();
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64.asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(decoded);
        assertThat(decoded).isEqualTo(asNumbers);
    }

    @Test
    void embedsTokenIdArrays() throws Exception {
        JsonNode one = json(post(upstream, "/embeddings",
                embeddings("text-embedding-3-small", "[1,2,3]", "")).body());
        assertThat(one.path("data")).hasSize(1);
        assertThat(one.path("usage").path("prompt_tokens").asInt()).isEqualTo(3);
        JsonNode two = json(post(upstream, "/embeddings",
                embeddings("text-embedding-3-small", "[[1,2,3],[4]]", "")).body());
        assertThat(two.path("data")).hasSize(2);
        assertThat(floats(two.path("data").get(0).path("embedding")))
                .isEqualTo(floats(one.path("data").get(0).path("embedding")));
    }

    @Test
    void rejectsEmbeddingInputsOfTheWrongShape() throws Exception {
        for (String input : List.of("42", "[]", "[\"ok\",7]", "[[1],[]]", "{\"a\":1}", "\"\"", "[1.5]", "[-1]")) {
            HttpResponse<String> response = post(upstream, "/embeddings",
                    embeddings("text-embedding-3-small", input, ""));
            assertThat(response.statusCode()).as(input).isEqualTo(400);
            assertOpenAiError(response.body(), "invalid_request_error");
        }
        HttpResponse<String> noInput = post(upstream, "/embeddings", "{\"model\":\"openai/text-embedding-3-small\"}");
        assertThat(noInput.statusCode()).isEqualTo(400);
        assertThat(post(upstream, "/embeddings", embeddings("text-embedding-3-small", "\"x\"",
                ",\"encoding_format\":\"int8\"")).statusCode()).isEqualTo(400);
    }

    // ---------------------------------------------------------------- models and errors

    @Test
    void listsItsOwnModelsInOpenAisShapeAtModelsAndV1Models() throws Exception {
        HttpResponse<String> response = get(upstream, "/v1/models");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("server")).hasValue("llm-proxy-demo-upstream");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(json(response.body())).isEqualTo(json("""
                {"object":"list","data":[
                  {"id":"gpt-4o-mini","object":"model","created":1677610602,"owned_by":"openai"},
                  {"id":"gpt-4.1","object":"model","created":1677610602,"owned_by":"openai"},
                  {"id":"gpt-4.1-mini","object":"model","created":1677610602,"owned_by":"openai"},
                  {"id":"o4-mini","object":"model","created":1677610602,"owned_by":"openai"},
                  {"id":"text-embedding-3-small","object":"model","created":1677610602,"owned_by":"openai"},
                  {"id":"llama3.2:3b","object":"model","created":1677610602,"owned_by":"meta"},
                  {"id":"mistral-small","object":"model","created":1677610602,"owned_by":"mistralai"}]}"""));
        assertThat(get(upstream, "/models").body()).isEqualTo(response.body());
        assertThat(DemoUpstream.modelIds()).containsExactly("gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o4-mini",
                "text-embedding-3-small", "llama3.2:3b", "mistral-small");
    }

    @Test
    void answersChatAndEmbeddingsForEveryListedModel() throws Exception {
        for (String model : DemoUpstream.modelIds()) {
            assertThat(post(upstream, "/v1/chat/completions", "{\"model\":\"" + model
                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode()).as(model)
                    .isEqualTo(200);
            assertThat(post(upstream, "/v1/embeddings", embeddings(model, "\"x\"", "")).statusCode()).as(model)
                    .isEqualTo(200);
        }
    }

    @Test
    void servesExactlyTheIdsItIsGivenSortedWithTheirPublisherAsOwner() throws Exception {
        try (DemoUpstream own = DemoUpstream.start(new DemoConfig(Duration.ZERO),
                Set.of("openai/gpt-4o-mini", "meta/Llama-3.3-70B-Instruct", "plain"))) {
            JsonNode data = json(get(own, "/models").body()).path("data");
            List<String> owners = new ArrayList<>();
            data.forEach(m -> owners.add(m.path("id").asText() + "=" + m.path("owned_by").asText()));
            assertThat(owners).containsExactly("meta/Llama-3.3-70B-Instruct=meta", "openai/gpt-4o-mini=openai",
                    "plain=demo");
            assertThat(post(own, "/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":"
                    + "\"user\",\"content\":\"hi\"}]}").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void failsTheModelListOnRequestForRefreshTests() throws Exception {
        HttpResponse<String> failing = get(upstream, "/v1/models?fail=500");
        assertThat(failing.statusCode()).isEqualTo(500);
        assertOpenAiError(failing.body(), "server_error");

        HttpResponse<String> malformed = get(upstream, "/v1/models?fail=malformed");
        assertThat(malformed.statusCode()).isEqualTo(200);
        assertThat(malformed.body()).startsWith("{\"object\":\"list\"");
        assertThat(catchThrowable(() -> json(malformed.body()))).isNotNull();

        assertThat(json(get(upstream, "/v1/models?fail=empty").body()))
                .isEqualTo(json("{\"object\":\"list\",\"data\":[]}"));
        JsonNode bare = json(get(upstream, "/v1/models?fail=bare").body());
        assertThat(bare.isArray()).isTrue();
        assertThat(bare).hasSize(DemoUpstream.modelIds().size());

        HttpResponse<String> unknown = get(upstream, "/v1/models?fail=wrapped");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(json(unknown.body()).path("error").path("param").asText()).isEqualTo("fail");
    }

    @Test
    void answersAnUnknownModelWithOpenAisNotFoundEnvelope() throws Exception {
        HttpResponse<String> response = post(upstream, "/chat/completions",
                "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(json(response.body())).isEqualTo(json("""
                {"error":{"message":"The model 'openai/gpt-4o-mini' does not exist or you do not have access to it.",
                          "type":"invalid_request_error","param":"model","code":"model_not_found"}}"""));

        HttpResponse<String> embedding = post(upstream, "/embeddings", embeddings("nope", "\"x\"", ""));
        assertThat(embedding.statusCode()).isEqualTo(404);
        assertThat(json(embedding.body()).path("error").path("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void matchesModelIdsCaseInsensitively() throws Exception {
        HttpResponse<String> response = post(upstream, "/chat/completions",
                "{\"model\":\"GPT-4o-Mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response.body()).path("model").asText()).isEqualTo("GPT-4o-Mini");
    }

    @Test
    void rejectsAnInvalidChatBodyWithTheOpenAiEnvelope() throws Exception {
        List<String> bodies = List.of(
                "not json",
                "",
                "[1,2]",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "{\"model\":7,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "{\"model\":\"" + CHAT_MODEL + "\"}",
                "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":\"hi\"}",
                "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":[\"hi\"]}",
                "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":3}]}",
                "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}",
                "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\"yes\"}");
        for (String body : bodies) {
            HttpResponse<String> response = post(upstream, "/chat/completions", body);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(response.headers().firstValue("server")).hasValue("llm-proxy-demo-upstream");
            assertOpenAiError(response.body(), "invalid_request_error");
        }
        JsonNode missingModel = json(post(upstream, "/chat/completions", bodies.get(3)).body()).path("error");
        assertThat(missingModel.path("param").asText()).isEqualTo("model");
    }

    @Test
    void answersUnknownPathsWith404AndWrongMethodsWith405() throws Exception {
        HttpResponse<String> notFound = get(upstream, "/v1/nothing-here");
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.headers().firstValue("server")).hasValue("llm-proxy-demo-upstream");
        assertOpenAiError(notFound.body(), "invalid_request_error");

        HttpResponse<String> getChat = get(upstream, "/v1/chat/completions");
        assertThat(getChat.statusCode()).isEqualTo(405);
        assertThat(getChat.headers().firstValue("allow")).hasValue("POST");
        assertOpenAiError(getChat.body(), "invalid_request_error");

        HttpResponse<String> postModels = post(upstream, "/models", "{}");
        assertThat(postModels.statusCode()).isEqualTo(405);
        assertThat(postModels.headers().firstValue("allow")).hasValue("GET");

        assertThat(get(upstream, "/embeddings").headers().firstValue("allow")).hasValue("POST");
    }

    @Test
    void keepsOneConnectionAliveAcrossAnswersOfEveryKind() throws Exception {
        try (DemoUpstream own = DemoUpstream.start(new DemoConfig(Duration.ZERO))) {
            HttpClient single = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            assertThat(post(single, own, "/chat/completions", chat("a", "")).statusCode()).isEqualTo(200);
            assertThat(post(single, own, "/chat/completions", chat("b", ",\"stream\":true")).statusCode()).isEqualTo(200);
            assertThat(post(single, own, "/embeddings", embeddings("text-embedding-3-small", "\"c\"", ""))
                    .statusCode()).isEqualTo(200);
            assertThat(post(single, own, "/chat/completions", "nope").statusCode()).isEqualTo(400);
            assertThat(post(single, own, "/nowhere", "{}").statusCode()).isEqualTo(404);
            assertThat(post(single, own, "/models", "{}").statusCode()).isEqualTo(405);
            assertThat(send(single, HttpRequest.newBuilder(own.baseUrl().resolve("/models")).GET().build())
                    .statusCode()).isEqualTo(200);
            assertThat(own.openConnections()).isEqualTo(1);
        }
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        String requests = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + chat("pipelined", ",\"stream\":true").getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n"
                + chat("pipelined", ",\"stream\":true")
                + "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        String answers;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", upstream.port()), 5000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(requests.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        int models = answers.indexOf("HTTP/1.1 200 OK");
        int stream = answers.indexOf("HTTP/1.1 200 OK", models + 1);
        int done = answers.indexOf("data: [DONE]");
        int notFound = answers.indexOf("HTTP/1.1 404 Not Found");
        assertThat(models).isZero();
        assertThat(stream).isGreaterThan(models);
        assertThat(done).isGreaterThan(stream);
        assertThat(notFound).isGreaterThan(done);
    }

    // ---------------------------------------------------------------- cancellation

    @Test
    void stopsTheStreamWhenTheClientClosesItMidway() throws Exception {
        try (DemoUpstream paced = DemoUpstream.start(new DemoConfig(Duration.ofMillis(50)))) {
            HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(paced.baseUrl().resolve("/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(chat("leave early", ",\"stream\":true")))
                    .build();
            HttpResponse<InputStream> response = own.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                int tokenEvents = 0;
                while (tokenEvents < 2) {
                    String line = reader.readLine();
                    assertThat(line).isNotNull();
                    if (line.startsWith("data: {") && line.contains("\"content\":\"") && !line.contains("\"role\"")) {
                        tokenEvents++;
                    }
                }
                assertThat(paced.streamsInFlight()).isEqualTo(1);
            }

            await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(paced.openConnections()).isZero();
                assertThat(paced.streamsInFlight()).isZero();
            });
        }
        LogCapture.provokeLeakReports();
    }

    @Test
    void stopsTheStreamWhenTheClientResetsTheConnection() throws Exception {
        try (DemoUpstream paced = DemoUpstream.start(new DemoConfig(Duration.ofMillis(50)))) {
            String body = chat("reset", ",\"stream\":true");
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", paced.port()), 5000);
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                readUntil(socket.getInputStream(), "\"content\":\"Hello! \"");
                assertThat(paced.streamsInFlight()).isEqualTo(1);
                socket.setSoLinger(true, 0); // close with RST
            }
            await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(paced.openConnections()).isZero();
                assertThat(paced.streamsInFlight()).isZero();
            });
        }
        LogCapture.provokeLeakReports();
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void reportsALoopbackBaseUrlAndClosesIdempotently() throws Exception {
        DemoUpstream own = DemoUpstream.start(new DemoConfig(Duration.ZERO));
        assertThat(own.baseUrl()).isEqualTo(URI.create("http://127.0.0.1:" + own.port()));
        assertThat(own.port()).isPositive();
        own.close();
        own.close();
        try (Socket socket = new Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> socket.connect(new InetSocketAddress("127.0.0.1", own.port()), 2000))
                    .isInstanceOf(IOException.class);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String chat(String userText, String extraFields) {
        return "{\"model\":\"" + CHAT_MODEL + "\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":" + Json.MAPPER.valueToTree(userText) + "}]" + extraFields + "}";
    }

    private static String embeddings(String model, String inputJson, String extraFields) {
        return "{\"model\":\"" + model + "\",\"input\":" + inputJson + extraFields + "}";
    }

    private static HttpResponse<String> post(DemoUpstream target, String path, String body) throws Exception {
        return post(client, target, path, body);
    }

    private static HttpResponse<String> post(HttpClient http, DemoUpstream target, String path, String body)
            throws Exception {
        return send(http, HttpRequest.newBuilder(target.baseUrl().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private static HttpResponse<String> get(DemoUpstream target, String path) throws Exception {
        return send(client, HttpRequest.newBuilder(target.baseUrl().resolve(path)).GET().build());
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest request) throws Exception {
        return http.send(HttpRequest.newBuilder(request, (n, v) -> true).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static String content(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response.body()).path("choices").get(0).path("message").path("content").asText();
    }

    /** The data of each SSE event, checking the framing: every event is one {@code data:} line and a blank line. */
    private static List<String> events(String sse) {
        assertThat(sse).endsWith("\n\n");
        List<String> events = new ArrayList<>();
        for (String event : sse.split("\n\n")) {
            assertThat(event).startsWith("data: ").doesNotContain("\n");
            events.add(event.substring("data: ".length()));
        }
        return events;
    }

    /** The delta contents of the token events (not the role event, not the finish event). */
    private static List<String> streamedContents(String sse) {
        List<String> events = events(sse);
        return events.stream()
                .filter(e -> !e.equals("[DONE]"))
                .map(DemoUpstreamTest::json)
                .filter(c -> c.path("choices").size() == 1)
                .map(c -> c.path("choices").get(0).path("delta"))
                .filter(d -> !d.has("role") && d.has("content"))
                .map(d -> d.path("content").asText())
                .collect(Collectors.toList());
    }

    private static void assertOpenAiError(String body, String type) {
        JsonNode error = json(body).path("error");
        assertThat(error.path("message").asText()).isNotEmpty();
        assertThat(error.path("type").asText()).isEqualTo(type);
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
    }

    private static int dimensionsOf(DemoUpstream target, String model, String extraFields) throws Exception {
        HttpResponse<String> response = post(target, "/embeddings", embeddings(model, "\"dims\"", extraFields));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        float[] vector = floats(json(response.body()).path("data").get(0).path("embedding"));
        assertThat(norm(vector)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        return vector.length;
    }

    private static float[] floats(JsonNode array) {
        assertThat(array.isArray()).as("embedding is an array").isTrue();
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).floatValue();
        }
        return values;
    }

    private static double norm(float[] vector) {
        double sum = 0;
        for (float x : vector) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }

    private static void readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[1024];
        while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
            int n = in.read(buf);
            assertThat(n).as("stream ended before " + marker).isPositive();
            seen.write(buf, 0, n);
        }
    }
}
