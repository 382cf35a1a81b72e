package dev.llmproxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RawHttpClient;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Metrics, token accounting, stats and Server-Timing against real traffic: counter deltas after a mix of stream,
 * non-stream, error and rejected requests; token totals equal the upstream's usage; the usage event the proxy asked
 * for never reaches a client that did not; the scrape passes {@code promtool check metrics}.
 */
class ObservabilityIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;

    @BeforeEach
    void start() {
        upstream = FakeUpstream.start(true);
        upstream.handler(ObservabilityIT::answer);
        proxy = ProxyUnderTest.start(upstream, Map.of("RATE_LIMIT_ENABLED", "true", "RATE_LIMIT_PER_MINUTE", "100"));
    }

    @AfterEach
    void stop() {
        proxy.close();
        upstream.close();
    }

    /**
     * A fake upstream that behaves like GitHub Models: usage in JSON, a usage event on a stream only when asked,
     * 404 for an unknown model.
     */
    private static void answer(RecordedRequest request, FakeUpstream.Exchange exchange) {
        JsonNode body = request.bodyJson();
        String model = body.path("model").asText();
        if (model.equals("openai/no-such")) {
            exchange.respondJson(404, "{\"error\":{\"code\":\"unknown_model\",\"message\":\"Unknown model\"}}");
            return;
        }
        if (!body.path("stream").asBoolean()) {
            exchange.respondJson(200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + model
                    + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},"
                    + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,"
                    + "\"total_tokens\":18}}");
            return;
        }
        boolean usage = body.at("/stream_options/include_usage").asBoolean(false);
        exchange.startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(v -> exchange.sendChunk(bytes(STREAM_BEFORE_USAGE)))
                .thenCompose(v -> usage ? exchange.sendChunk(bytes(USAGE_EVENT)) : CompletableFuture.completedFuture(null))
                .thenCompose(v -> exchange.sendChunk(bytes("data: [DONE]\n\n")))
                .thenRun(exchange::end);
    }

    private static final String STREAM_BEFORE_USAGE =
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
                    + "\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n"
                    + ": a comment\n\n"
                    + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                    + "{\"content\":\"H\u00e9llo\"},\"finish_reason\":null}],\"usage\":null}\n\n"
                    + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},"
                    + "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n";
    private static final String USAGE_EVENT =
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
                    + "\"completion_tokens\":3,\"total_tokens\":12}}\n\n";

    @Test
    void mixedTrafficMovesTheCountersExactlyAndTheScrapeIsPromtoolClean() throws Exception {
        Map<String, Double> before = scrape();

        assertThat(chat("openai/gpt-4o-mini", false).statusCode()).isEqualTo(200);
        assertThat(chat("OpenAI/GPT-4o-mini", false).statusCode()).isEqualTo(200);
        String streamed = streamBody("openai/gpt-4.1-mini", false);
        assertThat(streamed).doesNotContain("\"choices\":[]");
        assertThat(streamBody("openai/gpt-4.1-mini", true)).contains(USAGE_EVENT);
        assertThat(chat("openai/no-such", false).statusCode()).isEqualTo(404);
        assertThat(proxy.postJson("/v1/chat/completions", "{\"model\":\"m\"}").statusCode()).isEqualTo(400);
        assertThat(proxy.get("/no/such/path").statusCode()).isEqualTo(404);

        await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Double> after = scrape();
            assertThat(delta(before, after, "http_requests_total{method=\"POST\",route=\"/v1/chat/completions\","
                    + "status=\"200\",}")).isEqualTo(4);
            assertThat(delta(before, after, "http_requests_total{method=\"POST\",route=\"/v1/chat/completions\","
                    + "status=\"404\",}")).isEqualTo(1);
            assertThat(delta(before, after, "http_requests_total{method=\"POST\",route=\"/v1/chat/completions\","
                    + "status=\"400\",}")).isEqualTo(1);
            assertThat(delta(before, after, "http_requests_total{method=\"GET\",route=\"other\",status=\"404\",}"))
                    .isEqualTo(1);
            // 2 × (11 + 7) non-stream + 2 streams × (9 + 3), all from the upstream's usage
            assertThat(delta(before, after, "tokens_prompt_total")).isEqualTo(2 * 11 + 2 * 9);
            assertThat(delta(before, after, "tokens_completion_total")).isEqualTo(2 * 7 + 2 * 3);
            assertThat(delta(before, after,
                    "tokens_total{model=\"openai/gpt-4.1-mini\",kind=\"completion\",source=\"usage\",}"))
                    .isEqualTo(6);
            assertThat(delta(before, after,
                    "tokens_total{model=\"openai/gpt-4o-mini\",kind=\"prompt\",source=\"usage\",}")).isEqualTo(22);
            assertThat(after.get("time_to_first_token_seconds_count{model=\"openai/gpt-4.1-mini\",}")).isEqualTo(2);
        });

        String scrape = proxy.get("/metrics").body();
        assertThat(scrape).doesNotContain("# EOF").doesNotContain("server-token");
        assumeThat(Files.isExecutable(PROMTOOL)).as("promtool installed (Debian package prometheus)").isTrue();
        Process promtool = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true)
                .start();
        promtool.getOutputStream().write(scrape.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(output).isZero();
        assertThat(output).as("no lint warnings").isBlank();
    }

    @Test
    void aClientThatDidNotAskForUsageGetsEveryOtherByteButNotTheUsageEvent() throws Exception {
        String withoutAsking = streamBody("openai/gpt-4o-mini", false);
        assertThat(withoutAsking).isEqualTo(STREAM_BEFORE_USAGE + "data: [DONE]\n\n");
        RecordedRequest sent = upstream.requests().get(upstream.requests().size() - 1);
        assertThat(sent.bodyJson().at("/stream_options/include_usage").asBoolean()).as("asked upstream").isTrue();

        String asking = streamBody("openai/gpt-4o-mini", true);
        assertThat(asking).isEqualTo(STREAM_BEFORE_USAGE + USAGE_EVENT + "data: [DONE]\n\n");
    }

    @Test
    void proxiedResponsesCarryServerTiming() throws Exception {
        HttpResponse<String> r = chat("openai/gpt-4o-mini", false);
        String timing = r.headers().firstValue("server-timing").orElseThrow();
        Matcher m = Pattern.compile("queue;dur=([0-9.]+), upstream;dur=([0-9.]+), proxy;dur=([0-9.]+)").matcher(timing);
        assertThat(m.matches()).as(timing).isTrue();
        assertThat(Double.parseDouble(m.group(2))).as("upstream time is measured").isPositive();
        assertThat(proxy.get("/v1/models").headers().firstValue("server-timing")).as("local answers").isEmpty();
    }

    @Test
    void statsCountStreamsAndTokensPerModelAndHistoryIsPerClient() throws Exception {
        chat("openai/gpt-4o-mini", false);
        streamBody("openai/gpt-4o-mini", false);
        chat("openai/no-such", false);

        JsonNode stats = Json.MAPPER.readTree(proxy.get("/v1/stats").body());
        JsonNode mini = stats.at("/usage/openai~1gpt-4o-mini");
        assertThat(mini.path("totalRequests").asInt()).as("streams count too").isEqualTo(2);
        assertThat(mini.at("/tokens/prompt").asLong()).isEqualTo(11 + 9);
        assertThat(mini.at("/tokens/completion").asLong()).isEqualTo(7 + 3);
        assertThat(mini.at("/latency/p99_ms").asDouble()).isPositive();
        assertThat(mini.at("/ttft/p50_ms").isNumber()).isTrue();
        assertThat(stats.at("/usage/other/errors").asInt()).as("an unknown model is counted as other").isEqualTo(1);
        assertThat(stats.at("/windows/last_5_minutes/totals/totalRequests").asInt()).isEqualTo(3);
        assertThat(stats.at("/report/summary/totalRequests").asInt()).isEqualTo(3);

        assertThat(proxy.postJson("/v1/history", "{\"q\":\"mine\"}", "Authorization", "Bearer alice").body())
                .isEqualTo("[{\"q\":\"mine\"}]");
        assertThat(proxy.get("/v1/history", "Authorization", "Bearer bob").body()).isEqualTo("[]");
        assertThat(proxy.get("/v1/history", "Authorization", "Bearer alice").body()).isEqualTo("[{\"q\":\"mine\"}]");
        assertThat(proxy.postJson("/v1/history", "{not json", "Authorization", "Bearer alice").statusCode())
                .isEqualTo(400);
    }

    // ---------------------------------------------------------------- helpers

    private HttpResponse<String> chat(String model, boolean stream) throws Exception {
        return proxy.postJson("/v1/chat/completions", "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private String streamBody(String model, boolean askUsage) throws IOException {
        String json = "{\"model\":\"" + model + "\",\"stream\":true,"
                + (askUsage ? "\"stream_options\":{\"include_usage\":true}," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (RawHttpClient client = RawHttpClient.connect(proxy.port())) {
            client.send("POST /v1/chat/completions HTTP/1.1\nHost: p\nContent-Type: application/json\nContent-Length: "
                    + bytes(json).length, bytes(json));
            assertThat(client.readHead(WAIT).status()).isEqualTo(200);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(client.readFullBody(WAIT));
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private Map<String, Double> scrape() throws Exception {
        Map<String, Double> samples = new HashMap<>();
        for (String line : proxy.get("/metrics").body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        return after.getOrDefault(series, 0.0) - before.getOrDefault(series, 0.0);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
