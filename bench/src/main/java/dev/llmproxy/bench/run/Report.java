package dev.llmproxy.bench.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The results of one run as they accumulate: the headline table (direct / proxy / nginx and ratios, one row per
 * scenario metric), one Markdown section per scenario, the same numbers as JSON, and the files beside them
 * ({@code .hgrm} percentile distributions, SVG plots).
 *
 * <p>Threading: the bench's main thread only.
 */
final class Report {
    static final List<String> HEADLINE = List.of("Scenario", "Metric", "direct", "proxy", "nginx", "proxy added",
            "nginx added", "proxy / nginx");

    final Path dir;
    final ObjectNode json = Json.object();
    final ArrayNode headlineJson = json.putArray("headline");
    final ObjectNode scenariosJson = json.putObject("scenarios");
    final List<List<String>> headline = new ArrayList<>();
    final StringBuilder sections = new StringBuilder();
    final List<String> notes = new ArrayList<>();

    Report(Path dir) {
        this.dir = dir;
    }

    /**
     * A headline row of a latency-like metric (lower is better): added = target − direct, ratio = proxy added /
     * nginx added.
     */
    void latencyRow(String scenario, String metric, double direct, double proxy, double nginx) {
        double proxyAdded = proxy - direct;
        double nginxAdded = nginx - direct;
        headline.add(List.of(scenario, metric, Markdown.ms(direct), Markdown.ms(proxy), Markdown.ms(nginx),
                Markdown.signedMs(proxyAdded), Markdown.signedMs(nginxAdded), Markdown.ratio(proxyAdded, nginxAdded)));
        ObjectNode row = headlineJson.addObject().put("scenario", scenario).put("metric", metric).put("unit", "ms");
        put(row, "direct", direct);
        put(row, "proxy", proxy);
        put(row, "nginx", nginx);
        put(row, "proxy_added", proxyAdded);
        put(row, "nginx_added", nginxAdded);
    }

    /** A headline row of a capacity-like metric (higher is better): ratio = proxy / nginx; no "added". */
    void capacityRow(String scenario, String metric, String unit, double direct, double proxy, double nginx,
                     int decimals) {
        headline.add(List.of(scenario, metric + " (" + unit + ")", Markdown.num(direct, decimals),
                Markdown.num(proxy, decimals), Markdown.num(nginx, decimals), "", "", Markdown.ratio(proxy, nginx)));
        ObjectNode row = headlineJson.addObject().put("scenario", scenario).put("metric", metric).put("unit", unit);
        put(row, "direct", direct);
        put(row, "proxy", proxy);
        put(row, "nginx", nginx);
    }

    /** A capacity row whose values of 0 mean "below {@code floor}", the lowest value tried. */
    void capacityRowWithFloor(String scenario, String metric, String unit, double proxy, double nginx,
                              double floor) {
        String below = "< " + Markdown.num(floor, 0);
        headline.add(List.of(scenario, metric + " (" + unit + ")", "", proxy == 0 ? below : Markdown.num(proxy, 0),
                Double.isNaN(nginx) ? "–" : nginx == 0 ? below : Markdown.num(nginx, 0), "", "",
                proxy == 0 || nginx == 0 ? "n/a" : Markdown.ratio(proxy, nginx)));
        ObjectNode row = headlineJson.addObject().put("scenario", scenario).put("metric", metric).put("unit", unit);
        put(row, "proxy", proxy);
        put(row, "nginx", nginx);
        put(row, "floor", floor);
    }

    static ArrayNode strings(List<String> values) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    static void put(ObjectNode node, String field, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            node.putNull(field);
        } else {
            node.put(field, Math.round(value * 1000) / 1000.0);
        }
    }

    void section(String markdown) {
        sections.append(markdown).append('\n');
    }

    void note(String text) {
        notes.add(text);
        System.err.println("note: " + text);
    }

    /** Writes {@code name}.hgrm: the percentile distribution in milliseconds. */
    void hgrm(String name, Histogram h) throws IOException {
        try (PrintStream out = new PrintStream(Files.newOutputStream(dir.resolve(name + ".hgrm")), true,
                StandardCharsets.UTF_8)) {
            if (h.getTotalCount() > 0) {
                h.outputPercentileDistribution(out, 1000.0);
            }
        }
    }

    void plot(String name, String title, Map<String, Histogram> series) throws IOException {
        Files.writeString(dir.resolve(name + ".svg"), PercentilePlot.svg(title, series));
    }

    String headlineTable() {
        return Markdown.table(HEADLINE, headline);
    }
}
