package dev.llmproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class ProxyMetricsTest {
    private static final String CHAT = "/v1/chat/completions";
    private static final String MINI = "openai/gpt-4o-mini";
    private static final String GPT4O = "openai/gpt-4o";

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Map<String, LiveGauges.GuessSample> guesses = Map.of();
    private final ProxyMetrics metrics = new ProxyMetrics(
            new LiveGauges(active::get, queued::get, ready::get, connections::get, () -> guesses), clock::get);

    @Test
    void countsAStreamedSuccessWithUsageTokensAndLatencies() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().stream().ttft(ms(300)).upstream(ms(1_200)).duration(ms(1_250))
                .tokens(12, 40, false).bytes(4_096).build());

        ScrapedSamples after = scrape();
        assertDelta(before, after, 1, "http_requests_total", "method", "POST", "route", CHAT, "status", "200");
        assertDelta(before, after, 0, "http_errors_total");
        assertDelta(before, after, 0, "rate_limit_exceeded_total");
        assertDelta(before, after, 12, "tokens_prompt_total");
        assertDelta(before, after, 40, "tokens_completion_total");
        assertDelta(before, after, 12, "tokens_total", "model", MINI, "kind", "prompt", "source", "usage");
        assertDelta(before, after, 40, "tokens_total", "model", MINI, "kind", "completion", "source", "usage");
        assertDelta(before, after, 4_096, "response_bytes_total", "route", CHAT);
        assertDelta(before, after, 1, "time_to_first_token_seconds_count", "model", MINI);
        assertDelta(before, after, 1, "time_to_first_token_seconds_bucket", "model", MINI, "le", "0.5");
        assertDelta(before, after, 0, "time_to_first_token_seconds_bucket", "model", MINI, "le", "0.25");
        assertDelta(before, after, 1, "upstream_duration_seconds_count", "model", MINI);
        assertDelta(before, after, 1, "http_request_duration_seconds_count");
        assertDelta(before, after, 1, "http_request_duration_seconds_bucket", "le", "2.5");
        assertDelta(before, after, 0, "http_request_duration_seconds_bucket", "le", "1.0");
        assertDelta(before, after, 0, "queue_wait_duration_seconds_count");
        assertThat(after.get("time_to_first_token_quantile_seconds", "model", MINI, "quantile", "0.99"))
                .isCloseTo(0.3, withinPercentage(0.1));
        assertThat(after.get("upstream_duration_quantile_seconds", "model", MINI, "quantile", "0.5"))
                .isCloseTo(1.2, withinPercentage(0.1));
        assertThat(after.get("model_request_duration_quantile_seconds_count", "model", MINI)).isEqualTo(1);
        assertThat(after.get("http_request_duration_quantile_seconds_sum")).isCloseTo(1.25, withinPercentage(1e-9));
    }

    @Test
    void labelsEstimatedTokensAsEstimateAndSkipsUnknownCounts() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().model(GPT4O).tokens(100, 7, true).upstream(ms(800)).build());
        metrics.onRequest(request().model(GPT4O).tokens(-1, -1, false).build());

        ScrapedSamples after = scrape();
        assertDelta(before, after, 2, "http_requests_total", "method", "POST", "route", CHAT, "status", "200");
        assertDelta(before, after, 100, "tokens_prompt_total");
        assertDelta(before, after, 7, "tokens_completion_total");
        assertDelta(before, after, 100, "tokens_total", "model", GPT4O, "kind", "prompt", "source", "estimate");
        assertDelta(before, after, 7, "tokens_total", "model", GPT4O, "kind", "completion", "source", "estimate");
        assertThat(after.has("tokens_total", "model", GPT4O, "kind", "prompt", "source", "usage")).isFalse();
        assertDelta(before, after, 0, "time_to_first_token_seconds_count", "model", GPT4O);
    }

    @Test
    void keepsEachModelsAndRoutesSeriesApartOverManyRequests() {
        ScrapedSamples before = scrape();

        for (int i = 0; i < 3; i++) {
            metrics.onRequest(request().model(GPT4O).tokens(10, 1, true).ttft(ms(100)).bytes(5).build());
            metrics.onRequest(request().model(MINI).tokens(20, 2, false).upstream(ms(700)).build());
            metrics.onRequest(request().model(GPT4O).route("/v1/embeddings").tokens(30, 3, false).bytes(7).build());
        }

        ScrapedSamples after = scrape();
        assertDelta(before, after, 30, "tokens_total", "model", GPT4O, "kind", "prompt", "source", "estimate");
        assertDelta(before, after, 90, "tokens_total", "model", GPT4O, "kind", "prompt", "source", "usage");
        assertDelta(before, after, 9, "tokens_total", "model", GPT4O, "kind", "completion", "source", "usage");
        assertDelta(before, after, 60, "tokens_total", "model", MINI, "kind", "prompt", "source", "usage");
        assertThat(after.has("tokens_total", "model", MINI, "kind", "prompt", "source", "estimate")).isFalse();
        assertDelta(before, after, 3, "time_to_first_token_seconds_count", "model", GPT4O);
        assertThat(after.has("time_to_first_token_seconds_count", "model", MINI)).isFalse();
        assertDelta(before, after, 3, "upstream_duration_seconds_count", "model", MINI);
        assertDelta(before, after, 15, "response_bytes_total", "route", CHAT);
        assertDelta(before, after, 21, "response_bytes_total", "route", "/v1/embeddings");
        assertThat(after.get("model_request_duration_quantile_seconds_count", "model", GPT4O)).isEqualTo(6);
    }

    @Test
    void aModelsSlotKeepsItsSeriesAndFollowsItsLabelWhenACatalogStartsListingIt() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().model(ProxyMetrics.OTHER).tokens(10, 1, false).build(7)); // not listed yet
        metrics.onRequest(request().model(GPT4O).tokens(20, 2, false).build(7)); // listed by a refresh
        metrics.onRequest(request().model(GPT4O).tokens(30, 3, false).build(7));
        metrics.onRequest(request().model(GPT4O).tokens(40, 4, false).build(ProxyMetrics.DEFAULT_MODEL_SLOTS));
        metrics.onRequest(request().model(MINI).tokens(50, 5, false).build(8));

        ScrapedSamples after = scrape();
        assertDelta(before, after, 10, "tokens_total", "model", ProxyMetrics.OTHER, "kind", "prompt", "source", "usage");
        assertDelta(before, after, 90, "tokens_total", "model", GPT4O, "kind", "prompt", "source", "usage");
        assertDelta(before, after, 50, "tokens_total", "model", MINI, "kind", "prompt", "source", "usage");
    }

    @Test
    void countsEachLocal429OnceAndNeverAsAnUpstream429() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().status(429).error("RATE_LIMITED", "rate_limit").build());
        metrics.onRequest(request().route("other").model(null).status(429).error("IP_FLOOD", "ddos_protection")
                .build());
        metrics.onRequest(request().status(429).queueWait(ms(40)).error("RATE_LIMITED", "rate_limit").build());

        ScrapedSamples after = scrape();
        assertDelta(before, after, 3, "rate_limit_exceeded_total");
        assertDelta(before, after, 2, "http_requests_total", "method", "POST", "route", CHAT, "status", "429");
        assertDelta(before, after, 1, "http_requests_total", "method", "POST", "route", "other", "status", "429");
        assertDelta(before, after, 0, "model_rate_limit_429_total", "model", MINI);
        assertThat(sumOf(after, "upstream_rate_limit_429_total")).isZero();
        assertDelta(before, after, 0, "http_errors_total");
    }

    @Test
    void countsAnUpstream429ByModelAndKindButNotAsALocalRejection() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().status(429).upstream(ms(90)).upstream429("UserByModelByMinute")
                .error("UPSTREAM_RATE_LIMITED", "rate_limit").build());
        metrics.onRequest(request().model(GPT4O).status(429).upstream(ms(90)).upstream429("SomethingNew").build());

        ScrapedSamples after = scrape();
        assertDelta(before, after, 1, "model_rate_limit_429_total", "model", MINI);
        assertDelta(before, after, 1, "model_rate_limit_429_total", "model", GPT4O);
        assertDelta(before, after, 1, "upstream_rate_limit_429_total", "kind", "UserByModelByMinute");
        assertDelta(before, after, 1, "upstream_rate_limit_429_total", "kind", "other");
        assertDelta(before, after, 0, "rate_limit_exceeded_total");
    }

    @Test
    void countsStatusesFrom500AsErrors() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().status(502).upstream(ms(30)).error("UPSTREAM_CONNECTION_LOST", null).build());
        metrics.onRequest(request().status(503).error("QUEUE_FULL", "queue_full").build());
        metrics.onRequest(request().status(404).route("other").model(null).error("NOT_FOUND", "not_found").build());
        metrics.onRequest(request().status(400).error("INVALID_JSON", "invalid_json").build());

        ScrapedSamples after = scrape();
        assertDelta(before, after, 2, "http_errors_total");
        assertDelta(before, after, 1, "http_requests_total", "method", "POST", "route", CHAT, "status", "502");
        assertDelta(before, after, 1, "http_requests_total", "method", "POST", "route", "other", "status", "404");
        assertDelta(before, after, 4, "http_request_duration_seconds_count");
    }

    @Test
    void countsClientAbortsByTheStageTheyHappenedIn() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().stream().status(200).ttft(ms(200)).upstream(ms(900)).bytes(300)
                .aborted(Stage.STREAMING).build());
        metrics.onRequest(request().status(499).queueWait(ms(700)).aborted(Stage.QUEUED).build());
        metrics.onRequest(request().status(499).upstream(ms(5_000)).aborted(Stage.AWAITING_HEAD).build());

        ScrapedSamples after = scrape();
        assertDelta(before, after, 1, "upstream_cancelled_total", "stage", "streaming");
        assertDelta(before, after, 1, "upstream_cancelled_total", "stage", "queued");
        assertDelta(before, after, 1, "upstream_cancelled_total", "stage", "awaiting_head");
        assertDelta(before, after, 0, "upstream_cancelled_total", "stage", "connecting");
        assertDelta(before, after, 2, "http_requests_total", "method", "POST", "route", CHAT, "status", "499");
        assertDelta(before, after, 0, "http_errors_total");
    }

    @Test
    void queueWaitMeasuresTheWaitOfRequestsThatWaitedAndNothingElse() {
        ScrapedSamples before = scrape();

        metrics.onRequest(request().queueWait(ms(300)).duration(ms(4_000)).upstream(ms(3_600)).build());
        metrics.onRequest(request().queueWait(0).duration(ms(2_000)).build());
        metrics.onRequest(request().duration(ms(9_000)).build());

        ScrapedSamples after = scrape();
        assertDelta(before, after, 2, "queue_wait_duration_seconds_count");
        assertThat(after.get("queue_wait_duration_seconds_sum") - before.get("queue_wait_duration_seconds_sum"))
                .isCloseTo(0.3, withinPercentage(1e-6));
        assertDelta(before, after, 1, "queue_wait_duration_seconds_bucket", "le", "0.01");
        assertDelta(before, after, 2, "queue_wait_duration_seconds_bucket", "le", "0.5");
        assertDelta(before, after, 2, "queue_wait_duration_quantile_seconds_count");
        assertThat(after.get("queue_wait_duration_quantile_seconds", "quantile", "0.99"))
                .isCloseTo(0.3, withinPercentage(0.1));
        assertDelta(before, after, 3, "http_request_duration_seconds_count");
        assertThat(after.get("http_request_duration_seconds_sum") - before.get("http_request_duration_seconds_sum"))
                .isCloseTo(15.0, withinPercentage(1e-6));
    }

    @Test
    void boundsMethodsAndKeepsLabelsInsideClosedSets() {
        Set<String> catalog = Set.of(MINI, GPT4O);
        metrics.onRequest(request().method("BREW").route("other").model(null).status(405).build());
        metrics.onRequest(request().method("GET").route("/v1/models").model(null).bytes(10).build());
        metrics.onRequest(request().model("other").status(429).upstream(ms(5)).upstream429("UserByModelByDay").build());
        metrics.onRequest(request().model("other").tokens(5, 5, true).ttft(ms(50)).upstream(ms(60)).build());
        metrics.onRequest(request().model(null).route("/tts").method("GET").upstream(ms(60)).bytes(1_000_000)
                .aborted(Stage.STREAMING).build());
        guesses = Map.of(MINI, new LiveGauges.GuessSample(36, false));

        ScrapedSamples after = scrape();

        Set<String> allowedLabelNames = Set.of("method", "route", "status", "model", "kind", "source", "stage",
                "quantile", "le", "hard_cap");
        Set<String> routes = Set.of(CHAT, "/v1/models", "/tts", "other");
        after.labels().forEach((series, labels) -> {
            String name = after.names().get(series);
            if (name.startsWith("jvm_") || name.startsWith("process_")) {
                return; // simpleclient_hotspot's own closed sets (pool, gc, state …)
            }
            assertThat(allowedLabelNames).as(series).containsAll(labels.keySet());
            Optional.ofNullable(labels.get("model")).ifPresent(m ->
                    assertThat(m).as(series).matches(v -> catalog.contains(v) || v.equals("other") || v.equals("none")));
            Optional.ofNullable(labels.get("route")).ifPresent(r -> assertThat(routes).as(series).contains(r));
            Optional.ofNullable(labels.get("method")).ifPresent(m ->
                    assertThat(m).as(series).isIn("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
                            "CONNECT", "other"));
        });
        assertThat(after.get("http_requests_total", "method", "other", "route", "other", "status", "405")).isEqualTo(1);
        assertThat(after.get("upstream_duration_seconds_count", "model", "none")).isEqualTo(1);
        assertThat(after.get("model_rate_limit_429_total", "model", "other")).isEqualTo(1);
    }

    @Test
    void readsLiveGaugesAtScrapeTime() {
        ScrapedSamples idle = scrape();
        assertThat(idle.get("upstream_active_current")).isZero();
        assertThat(idle.get("ready_up")).isEqualTo(1);
        assertThat(idle.labels().values()).noneMatch(l -> l.containsKey("hard_cap"));

        active.set(3);
        queued.set(7);
        ready.set(false);
        connections.set(42);
        guesses = Map.of(MINI, new LiveGauges.GuessSample(36, false), GPT4O, new LiveGauges.GuessSample(2, true));
        clock.addAndGet(TimeUnit.SECONDS.toNanos(90));

        ScrapedSamples busy = scrape();
        assertThat(busy.get("upstream_active_current")).isEqualTo(3);
        assertThat(busy.get("upstream_queue_length")).isEqualTo(7);
        assertThat(busy.get("ready_up")).isZero();
        assertThat(busy.get("http_open_connections")).isEqualTo(42);
        assertThat(busy.get("model_rate_limit_guess", "model", MINI, "hard_cap", "0")).isEqualTo(36);
        assertThat(busy.get("model_rate_limit_guess", "model", GPT4O, "hard_cap", "1")).isEqualTo(2);
        assertThat(busy.get("process_uptime_seconds")).isEqualTo(90.0);
        assertThat(busy.get("process_resident_memory_bytes")).as("simpleclient_hotspot's process family")
                .isPositive();
    }

    @Test
    void recordsInterChunkGaps() {
        metrics.recordInterChunkGap(ms(20));
        metrics.recordInterChunkGap(ms(3));
        metrics.recordInterChunkGap(-1);

        ScrapedSamples after = scrape();
        assertThat(after.get("inter_chunk_gap_seconds_count")).isEqualTo(2);
        assertThat(after.get("inter_chunk_gap_seconds_bucket", "le", "0.005")).isEqualTo(1);
        assertThat(after.get("inter_chunk_gap_seconds_bucket", "le", "0.02")).isEqualTo(2);
    }

    @Test
    void exportsEveryFamilyOfMetricNamesAndTheJvm() throws Exception {
        sendMixedTraffic();
        guesses = Map.of(MINI, new LiveGauges.GuessSample(36, false));

        String text = metrics.scrape();

        Set<String> typed = new HashSet<>();
        text.lines().filter(l -> l.startsWith("# TYPE ")).forEach(l -> typed.add(l.split(" ")[2]));
        for (Field f : MetricNames.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                assertThat(typed).as(f.getName()).contains((String) f.get(null));
            }
        }
        assertThat(typed).contains("jvm_memory_bytes_used", "jvm_threads_current", "jvm_gc_collection_seconds",
                "process_resident_memory_bytes", "process_cpu_seconds_total");
        assertThat(text).contains("# TYPE http_request_duration_seconds histogram\n",
                "# TYPE http_request_duration_quantile_seconds summary\n",
                "# TYPE http_requests_total counter\n",
                "# TYPE model_rate_limit_guess gauge\n");
    }

    @Test
    void keepsTheReferenceBuckets() {
        ScrapedSamples samples = scrape();

        assertThat(les(samples, "http_request_duration_seconds_bucket"))
                .containsExactly("0.005", "0.01", "0.02", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0",
                        "+Inf");
        assertThat(les(samples, "queue_wait_duration_seconds_bucket"))
                .containsExactly("0.01", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf");
    }

    @Test
    void scrapeIsTextFormat004WithoutEofOrCreatedSeries() {
        sendMixedTraffic();

        String text = metrics.scrape();

        assertThat(ProxyMetrics.CONTENT_TYPE).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(text).endsWith("\n").doesNotContain("# EOF").doesNotContain("_created");
        assertThat(text.lines().filter(l -> l.startsWith("# TYPE ")).map(l -> l.split(" ")[2]))
                .as("families in a stable order").isSorted();
    }

    @Test
    void scrapePassesPromtoolWithoutErrorsOrLintWarnings() throws Exception {
        Optional<Path> promtool = promtool();
        assumeTrue(promtool.isPresent(), "promtool is not installed (Debian package 'prometheus'); "
                + "CI installs it, so this check runs there");
        sendMixedTraffic();
        guesses = Map.of(MINI, new LiveGauges.GuessSample(36, false), GPT4O, new LiveGauges.GuessSample(2, true));
        metrics.recordInterChunkGap(ms(15));

        String text = metrics.scrape();

        Process process = new ProcessBuilder(promtool.get().toString(), "check", "metrics")
                .redirectErrorStream(true)
                .start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("promtool output for:%n%s", text).isEmpty();
        assertThat(process.exitValue()).isZero();
    }

    private void sendMixedTraffic() {
        metrics.onRequest(request().stream().ttft(ms(250)).upstream(ms(1_500)).duration(ms(1_600))
                .tokens(10, 50, false).bytes(8_000).build());
        metrics.onRequest(request().model(GPT4O).upstream(ms(700)).duration(ms(720)).tokens(30, 9, true)
                .bytes(900).build());
        metrics.onRequest(request().status(429).error("RATE_LIMITED", "rate_limit").build());
        metrics.onRequest(request().status(429).upstream(ms(80)).upstream429("UserByModelByDay").build());
        metrics.onRequest(request().status(502).upstream(ms(40)).error("UPSTREAM_BAD_RESPONSE", null).build());
        metrics.onRequest(request().stream().queueWait(ms(1_200)).upstream(ms(300)).ttft(ms(1_400))
                .aborted(Stage.STREAMING).build());
        metrics.onRequest(request().method("GET").route("/health").model(null).duration(ms(1)).bytes(15).build());
    }

    private ScrapedSamples scrape() {
        return new ScrapedSamples(metrics.scrape());
    }

    private static void assertDelta(ScrapedSamples before, ScrapedSamples after, double expected, String name,
                                    String... labels) {
        assertThat(after.get(name, labels) - before.get(name, labels))
                .as("delta of %s%s", name, List.of(labels))
                .isEqualTo(expected);
    }

    private static double sumOf(ScrapedSamples samples, String name) {
        return samples.names().entrySet().stream()
                .filter(e -> e.getValue().equals(name))
                .mapToDouble(e -> samples.get(name, pairs(samples.labels().get(e.getKey()))))
                .sum();
    }

    private static String[] pairs(Map<String, String> labels) {
        List<String> out = new ArrayList<>();
        labels.forEach((k, v) -> {
            out.add(k);
            out.add(v);
        });
        return out.toArray(String[]::new);
    }

    private static List<String> les(ScrapedSamples samples, String bucketName) {
        List<String> out = new ArrayList<>();
        samples.names().forEach((series, name) -> {
            if (name.equals(bucketName)) {
                out.add(samples.labels().get(series).get("le"));
            }
        });
        return out;
    }

    private static Optional<Path> promtool() {
        return Stream.concat(Stream.of("/usr/bin"),
                        Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "promtool"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private static SampleBuilder request() {
        return new SampleBuilder();
    }

    /** A RequestSample with a plain non-stream chat success as its default. */
    private static final class SampleBuilder {
        private String method = "POST";
        private String route = CHAT;
        private int status = 200;
        private String model = MINI;
        private boolean stream;
        private long duration = ms(100);
        private long queueWait = -1;
        private long ttft = -1;
        private long upstream = -1;
        private long prompt = -1;
        private long completion = -1;
        private boolean estimated;
        private long bytes;
        private String errorKind;
        private String errorCode;
        private String upstream429;
        private Stage aborted;

        SampleBuilder method(String v) {
            method = v;
            return this;
        }

        SampleBuilder route(String v) {
            route = v;
            return this;
        }

        SampleBuilder status(int v) {
            status = v;
            return this;
        }

        SampleBuilder model(String v) {
            model = v;
            return this;
        }

        SampleBuilder stream() {
            stream = true;
            return this;
        }

        SampleBuilder duration(long v) {
            duration = v;
            return this;
        }

        SampleBuilder queueWait(long v) {
            queueWait = v;
            return this;
        }

        SampleBuilder ttft(long v) {
            ttft = v;
            return this;
        }

        SampleBuilder upstream(long v) {
            upstream = v;
            return this;
        }

        SampleBuilder tokens(long promptTokens, long completionTokens, boolean isEstimate) {
            prompt = promptTokens;
            completion = completionTokens;
            estimated = isEstimate;
            return this;
        }

        SampleBuilder bytes(long v) {
            bytes = v;
            return this;
        }

        SampleBuilder error(String kind, String code) {
            errorKind = kind;
            errorCode = code;
            return this;
        }

        SampleBuilder upstream429(String kind) {
            upstream429 = kind;
            return this;
        }

        SampleBuilder aborted(Stage stage) {
            aborted = stage;
            return this;
        }

        RequestSample build() {
            return build(0);
        }

        /** The sample of a request resolved to a hop whose model handle has index {@code slot}. */
        RequestSample build(int slot) {
            long firstByte = upstream >= 0 ? Math.min(upstream, ms(50)) : -1;
            return new RequestSample(method, route, status, model, stream, duration, queueWait, firstByte, ttft,
                    upstream, prompt, completion, estimated, bytes, errorKind, errorCode, upstream429, aborted, slot);
        }
    }
}
