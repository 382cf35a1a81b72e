package dev.llmproxy.stats;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The body of {@code GET /v1/stats}: the reference's {@code {usage, report}} (REFERENCE §2.11, §7) with correct numbers,
 * plus, additively, percentiles, tokens, errors by kind, {@code totals} and {@code windows}. Every model object has the
 * same keys wherever it appears (per model, totals, both windows), and a key is present even when its value is
 * {@code null} (a percentile with no sample), so a page polling every second can chart it without shape checks.
 *
 * <p>Model ids in the output are the label-safe ids {@link UsageStats} keeps, never client text (REFERENCE §12.21).
 *
 * <p>Threading: any thread; each call builds a new tree from a {@link UsageStats#snapshot()}. The tree shares
 * subtrees ({@code usage}, {@code report.modelStats} and {@code windows.since_start.models} are one node), so it is
 * for serializing, not for editing.
 */
public final class StatsReport {
    /** REFERENCE §7: PERFORMANCE fires when a model's average response time is above this. */
    static final double SLOW_AVERAGE_MILLIS = 5000;
    /** REFERENCE §7: EFFICIENCY fires for models below this efficiency. */
    static final long LOW_EFFICIENCY = 50;

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final UsageStats stats;
    private final Clock wallClock;

    /** @param wallClock the source of {@code report.timestamp} only; windows run on the stats' own monotonic clock */
    public StatsReport(UsageStats stats, Clock wallClock) {
        this.stats = Objects.requireNonNull(stats, "stats");
        this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
    }

    public ObjectNode build() {
        return build(stats.snapshot());
    }

    ObjectNode build(UsageStats.Snapshot snapshot) {
        ObjectNode usage = models(snapshot.sinceStart());
        Usage totals = snapshot.totalSinceStart();

        ObjectNode root = Json.object();
        root.set("usage", usage);

        ObjectNode report = root.putObject("report");
        report.put("timestamp", TIMESTAMP.format(wallClock.instant()));
        ObjectNode summary = report.putObject("summary");
        summary.put("totalModels", snapshot.sinceStart().size());
        summary.put("totalRequests", totals.requests());
        summary.put("totalErrors", totals.errors());
        report.set("modelStats", usage);
        report.set("errorAnalysis", counts(totals.errorsByKind()));
        report.set("recommendations", recommendations(snapshot.sinceStart()));

        ObjectNode totalsNode = model(totals);
        root.set("totals", totalsNode);
        ObjectNode windows = root.putObject("windows");
        window(windows.putObject("since_start"), snapshot.sinceStartNanos(), totalsNode, usage);
        window(windows.putObject("last_5_minutes"), snapshot.windowNanos(), model(snapshot.totalWindow()),
                models(snapshot.window()));
        return root;
    }

    private static void window(ObjectNode window, long nanos, ObjectNode totals, ObjectNode models) {
        window.put("seconds", round(nanos / 1e9, 1));
        window.set("totals", totals);
        window.set("models", models);
    }

    private static ObjectNode models(Map<String, Usage> byModel) {
        ObjectNode models = Json.object();
        byModel.forEach((id, usage) -> models.set(id, model(usage)));
        return models;
    }

    /** One model's object: the reference's fields first, then the additive ones. */
    static ObjectNode model(Usage usage) {
        ObjectNode node = Json.object();
        node.put("totalRequests", usage.requests());
        node.put("successes", usage.successes());
        node.put("errors", usage.errors());
        node.put("totalTokens", usage.successTokens());
        node.put("totalTime", Math.round(usage.totalMillis()));
        node.put("avgResponseTime", round(usage.avgResponseMillis(), 1));
        node.put("avgTokensPerRequest", round(usage.avgTokensPerRequest(), 1));
        node.put("errorRate", usage.errorRate());
        node.put("tokensPerSecond", usage.tokensPerSecond());
        node.put("efficiency", usage.efficiency());

        node.put("completionTokensPerSecond", round(usage.completionTokensPerSecond(), 1));
        ObjectNode tokens = node.putObject("tokens");
        tokens.put("prompt", usage.promptTokens());
        tokens.put("completion", usage.completionTokens());
        tokens.put("estimated", usage.estimatedTokens());
        percentiles(node.putObject("latency"), usage.latency());
        percentiles(node.putObject("ttft"), usage.ttft());
        node.set("errorsByKind", counts(usage.errorsByKind()));
        ObjectNode upstream429 = node.putObject("upstream429");
        upstream429.put("total", usage.upstream429s());
        upstream429.set("byKind", counts(usage.upstream429ByKind()));
        return node;
    }

    private static void percentiles(ObjectNode node, Percentiles percentiles) {
        millis(node, "p50_ms", percentiles.p50());
        millis(node, "p95_ms", percentiles.p95());
        millis(node, "p99_ms", percentiles.p99());
    }

    private static void millis(ObjectNode node, String key, long nanos) {
        if (nanos < 0) {
            node.putNull(key);
        } else {
            node.put(key, round(nanos / 1e6, 3));
        }
    }

    private static ObjectNode counts(Map<String, Long> counts) {
        ObjectNode node = Json.object();
        new TreeMap<>(counts).forEach(node::put);
        return node;
    }

    /**
     * REFERENCE §7's rules, on usage since start: PERFORMANCE for models averaging above 5 s, EFFICIENCY for models
     * below 50, and RATE_LIMIT — which the reference could never reach — for models the upstream answered with 429.
     * Each is one entry naming every model it applies to, with the ids also in {@code models}.
     */
    static ArrayNode recommendations(Map<String, Usage> byModel) {
        List<String> slow = new ArrayList<>();
        List<String> inefficient = new ArrayList<>();
        List<String> inefficientText = new ArrayList<>();
        List<String> limited = new ArrayList<>();
        List<String> limitedText = new ArrayList<>();
        byModel.forEach((id, usage) -> {
            if (usage.avgResponseMillis() > SLOW_AVERAGE_MILLIS) {
                slow.add(id);
            }
            long efficiency = usage.efficiency();
            if (efficiency < LOW_EFFICIENCY) {
                inefficient.add(id);
                inefficientText.add(id + "(" + efficiency + "%)");
            }
            if (usage.upstream429s() > 0) {
                limited.add(id);
                limitedText.add(id + "(" + usage.upstream429s() + "×429)");
            }
        });

        ArrayNode recommendations = Json.MAPPER.createArrayNode();
        if (!slow.isEmpty()) {
            add(recommendations, "PERFORMANCE", "Повільні моделі: " + String.join(", ", slow)
                    + ". Розгляньте швидші моделі для інтерактивних запитів.", slow);
        }
        if (!inefficient.isEmpty()) {
            add(recommendations, "EFFICIENCY", "Низька ефективність: " + String.join(", ", inefficientText),
                    inefficient);
        }
        if (!limited.isEmpty()) {
            add(recommendations, "RATE_LIMIT", "Upstream обмежує частоту запитів: " + String.join(", ", limitedText)
                    + ". Зменште частоту запитів до цих моделей або розподіліть навантаження між моделями.", limited);
        }
        return recommendations;
    }

    private static void add(ArrayNode recommendations, String type, String message, List<String> models) {
        ObjectNode recommendation = recommendations.addObject();
        recommendation.put("type", type);
        recommendation.put("message", message);
        ArrayNode ids = recommendation.putArray("models");
        models.forEach(ids::add);
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }
}
