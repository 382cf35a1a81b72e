package dev.llmproxy.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.metrics.Stage;
import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

class StatsReportTest {
    private static final String MINI = "openai/gpt-4o-mini";
    private static final String GPT4O = "openai/gpt-4o";

    private final TestClock clock = new TestClock();
    private final UsageStats stats = new UsageStats(clock);
    private final StatsReport report =
            new StatsReport(stats, Clock.fixed(Instant.parse("2025-09-14T10:00:00Z"), ZoneOffset.UTC));

    /** Serialised and read back, as a client sees it. */
    private JsonNode body() throws Exception {
        return Json.MAPPER.readTree(Json.bytes(report.build()));
    }

    @Test
    void reportsTheReferenceExampleInTheReferenceShape() throws Exception {
        stats.onRequest(Samples.chat(MINI).millis(19).tokens(5, 7).build());

        JsonNode body = body();
        JsonNode mini = body.at("/usage/" + MINI.replace("/", "~1"));
        assertThat(mini.get("totalRequests").asLong()).isEqualTo(1);
        assertThat(mini.get("errors").asLong()).isZero();
        assertThat(mini.get("totalTokens").asLong()).isEqualTo(12);
        assertThat(mini.get("totalTime").asLong()).isEqualTo(19);
        assertThat(mini.get("avgResponseTime").asDouble()).isEqualTo(19.0);
        assertThat(mini.get("avgTokensPerRequest").asDouble()).isEqualTo(12.0);
        assertThat(mini.get("errorRate").asText()).isEqualTo("0.0%");
        assertThat(mini.get("tokensPerSecond").asLong()).isEqualTo(632);
        assertThat(mini.get("efficiency").asLong()).isEqualTo(80);

        JsonNode reportNode = body.get("report");
        assertThat(reportNode.get("timestamp").asText()).isEqualTo("2025-09-14T10:00:00.000Z");
        assertThat(reportNode.get("summary").toString())
                .isEqualTo("{\"totalModels\":1,\"totalRequests\":1,\"totalErrors\":0}");
        assertThat(reportNode.get("modelStats")).isEqualTo(body.get("usage"));
        assertThat(reportNode.get("errorAnalysis").isObject()).isTrue();
        assertThat(reportNode.get("recommendations").isArray()).isTrue();
    }

    @Test
    void addsPercentilesTokensErrorKindsTotalsAndWindows() throws Exception {
        stats.onRequest(Samples.chat(MINI).stream().millis(300).ttftMillis(40).upstreamMillis(250)
                .tokens(10, 50).build());
        stats.onRequest(Samples.chat(MINI).stream().abortedAt(Stage.STREAMING, 200).tokens(10, 4).estimated().build());
        stats.onRequest(Samples.chat(GPT4O).error("QUEUE_FULL", 503).build());
        clock.advance(Duration.ofSeconds(42));

        JsonNode body = body();
        JsonNode mini = body.at("/usage/" + MINI.replace("/", "~1"));
        // HdrHistogram: 3 significant digits
        for (String q : new String[]{"p50_ms", "p95_ms", "p99_ms"}) {
            assertThat(mini.at("/latency/" + q).asDouble()).isCloseTo(300.0, withinPercentage(0.1));
            assertThat(mini.at("/ttft/" + q).asDouble()).isCloseTo(40.0, withinPercentage(0.1));
        }
        assertThat(mini.get("tokens").toString()).isEqualTo("{\"prompt\":20,\"completion\":54,\"estimated\":14}");
        assertThat(mini.get("errorsByKind").toString()).isEqualTo("{\"client_abort\":1}");
        assertThat(mini.get("errorRate").asText()).isEqualTo("50.0%");
        assertThat(mini.get("completionTokensPerSecond").asDouble()).isEqualTo(200.0);

        assertThat(body.at("/report/errorAnalysis").toString())
                .as("populated, unlike the reference").isEqualTo("{\"client_abort\":1,\"queue_full\":1}");
        assertThat(body.at("/report/summary/totalErrors").asLong()).isEqualTo(2);
        assertThat(body.at("/totals/totalRequests").asLong()).isEqualTo(3);
        assertThat(body.at("/totals/tokens/prompt").asLong()).isEqualTo(20);

        assertThat(body.at("/windows/since_start/seconds").asDouble()).isEqualTo(42.0);
        assertThat(body.at("/windows/since_start/totals")).isEqualTo(body.get("totals"));
        assertThat(body.at("/windows/since_start/models")).isEqualTo(body.get("usage"));
        assertThat(body.at("/windows/last_5_minutes/seconds").asDouble()).isEqualTo(42.0);
        assertThat(body.at("/windows/last_5_minutes/totals/totalRequests").asLong()).isEqualTo(3);
        assertThat(fieldNames(body.at("/windows/last_5_minutes/models"))).containsExactly(GPT4O, MINI);

        clock.advance(Duration.ofMinutes(5));
        JsonNode later = body();
        assertThat(later.at("/windows/last_5_minutes/models").isEmpty()).isTrue();
        assertThat(later.at("/windows/last_5_minutes/totals/totalRequests").asLong()).isZero();
        assertThat(later.at("/usage").size()).isEqualTo(2);
    }

    @Test
    void everyModelObjectHasTheSameKeysAndMissingPercentilesAreNull() throws Exception {
        stats.onRequest(Samples.chat(MINI).millis(10).tokens(1, 1).build());
        stats.onRequest(Samples.chat(GPT4O).error("UPSTREAM_TIMEOUT", 504).build());

        JsonNode body = body();
        List<JsonNode> objects = new ArrayList<>();
        body.get("usage").forEach(objects::add);
        body.at("/windows/last_5_minutes/models").forEach(objects::add);
        objects.add(body.get("totals"));
        objects.add(body.at("/windows/last_5_minutes/totals"));
        objects.add(Json.MAPPER.readTree(Json.bytes(StatsReport.model(new UsageStats(clock).snapshot()
                .totalSinceStart()))));

        Set<String> keys = keyPaths(objects.get(0), "");
        for (JsonNode object : objects) {
            assertThat(keyPaths(object, "")).isEqualTo(keys);
        }
        assertThat(keys).contains("totalRequests", "errors", "totalTokens", "totalTime", "avgResponseTime",
                "avgTokensPerRequest", "errorRate", "tokensPerSecond", "efficiency", "latency.p50_ms",
                "latency.p95_ms", "latency.p99_ms", "ttft.p50_ms", "ttft.p95_ms", "ttft.p99_ms", "tokens.prompt",
                "tokens.completion", "tokens.estimated", "errorsByKind", "upstream429.total", "upstream429.byKind");

        JsonNode failed = body.at("/usage/" + GPT4O.replace("/", "~1"));
        assertThat(failed.at("/latency/p50_ms").isNull()).isTrue();
        assertThat(failed.at("/ttft/p99_ms").isNull()).isTrue();
    }

    /** Object keys as dotted paths; the contents of count maps (errorsByKind, byKind) are data, not shape. */
    private static Set<String> keyPaths(JsonNode node, String prefix) {
        Set<String> paths = new TreeSet<>();
        node.fields().forEachRemaining(field -> {
            String path = prefix + field.getKey();
            if (field.getValue().isObject() && !field.getKey().equals("errorsByKind")
                    && !field.getKey().equals("byKind")) {
                paths.addAll(keyPaths(field.getValue(), path + "."));
            } else {
                paths.add(path);
            }
        });
        return paths;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void recommendsNothingForHealthyModels() throws Exception {
        stats.onRequest(Samples.chat(MINI).millis(800).tokens(100, 400).build());

        assertThat(body().at("/report/recommendations").isEmpty()).isTrue();
    }

    @Test
    void performanceRecommendationNamesModelsAveragingAboveFiveSeconds() throws Exception {
        stats.onRequest(Samples.chat(MINI).millis(5000).tokens(500, 500).build());
        stats.onRequest(Samples.chat(GPT4O).millis(5001).tokens(500, 500).build());
        stats.onRequest(Samples.chat("deepseek/deepseek-r1").millis(9000).tokens(500, 500).build());

        JsonNode recommendations = body().at("/report/recommendations");
        assertThat(recommendations).hasSize(1);
        assertThat(recommendations.get(0).get("type").asText()).isEqualTo("PERFORMANCE");
        assertThat(recommendations.get(0).get("message").asText())
                .startsWith("Повільні моделі: deepseek/deepseek-r1, openai/gpt-4o. ");
        assertThat(recommendations.get(0).get("models").toString())
                .isEqualTo("[\"deepseek/deepseek-r1\",\"openai/gpt-4o\"]");
    }

    @Test
    void efficiencyRecommendationNamesModelsBelowFifty() throws Exception {
        stats.onRequest(Samples.chat(MINI).error("UPSTREAM_UNREACHABLE", 502).build());
        // success 0.5, speed 1, tokens 0.002 → round(100 · (0.25 + 0.3 + 0.0004)) = 55: not recommended
        stats.onRequest(Samples.chat(GPT4O).millis(10).tokens(1, 1).build());
        stats.onRequest(Samples.chat(GPT4O).status(500).build());

        JsonNode recommendations = body().at("/report/recommendations");
        assertThat(recommendations).hasSize(1);
        assertThat(recommendations.get(0).get("type").asText()).isEqualTo("EFFICIENCY");
        assertThat(recommendations.get(0).get("message").asText()).isEqualTo("Низька ефективність: " + MINI + "(0%)");
        assertThat(recommendations.get(0).get("models").toString()).isEqualTo("[\"" + MINI + "\"]");
    }

    @Test
    void rateLimitRecommendationFiresWhenTheUpstreamAnswered429() throws Exception {
        for (int i = 0; i < 9; i++) {
            stats.onRequest(Samples.chat(MINI).millis(50).tokens(100, 100).build());
        }
        stats.onRequest(Samples.chat(MINI).error("UPSTREAM_RATE_LIMITED", 429).upstream429("UserByModelByMinute")
                .build());
        stats.onRequest(Samples.chat(GPT4O).error("RATE_LIMITED", 429).build()); // local: not the upstream's

        JsonNode body = body();
        JsonNode recommendations = body.at("/report/recommendations");
        assertThat(recommendations.findValuesAsText("type")).containsExactly("EFFICIENCY", "RATE_LIMIT");
        JsonNode rateLimit = recommendations.get(1);
        assertThat(rateLimit.get("message").asText()).startsWith("Upstream обмежує частоту запитів: " + MINI + "(1×429)");
        assertThat(rateLimit.get("models").toString()).isEqualTo("[\"" + MINI + "\"]");
        assertThat(body.at("/usage/" + MINI.replace("/", "~1") + "/upstream429").toString())
                .isEqualTo("{\"total\":1,\"byKind\":{\"UserByModelByMinute\":1}}");
    }

    @Test
    void neverEchoesAClientSuppliedModelString() throws Exception {
        String hostile = "<img src=x onerror=alert(document.cookie)>";
        stats.onRequest(Samples.chat(hostile).millis(9000).build());

        ObjectNode built = report.build();
        String text = new String(Json.bytes(built), StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("<", ">", "onerror");
        assertThat(fieldNames(built.get("usage"))).containsExactly(UsageStats.OTHER);
        assertThat(built.at("/report/recommendations/0/models/0").asText()).isEqualTo(UsageStats.OTHER);
    }

    @Test
    void anEmptyReportHasTheFullShape() throws Exception {
        JsonNode body = body();

        assertThat(fieldNames(body)).containsExactly("usage", "report", "totals", "windows");
        assertThat(fieldNames(body.get("report")))
                .containsExactly("timestamp", "summary", "modelStats", "errorAnalysis", "recommendations");
        assertThat(body.at("/report/summary").toString())
                .isEqualTo("{\"totalModels\":0,\"totalRequests\":0,\"totalErrors\":0}");
        assertThat(fieldNames(body.get("windows"))).containsExactly("since_start", "last_5_minutes");
        assertThat(body.at("/totals/errorRate").asText()).isEqualTo("0.0%");
        assertThat(body.at("/totals/efficiency").asLong()).isZero();
        assertThat(body.at("/totals/latency/p99_ms").isNull()).isTrue();
    }
}
