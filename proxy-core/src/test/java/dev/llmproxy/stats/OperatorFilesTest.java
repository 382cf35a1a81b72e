package dev.llmproxy.stats;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.metrics.MetricNames;
import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The operator files in {@code ops/}: promtool accepts them and their alerts fire, and every metric and label they
 * use is one the proxy exports ({@link MetricNames}, labels from its comments). promtool comes from the Debian
 * {@code prometheus} package, which {@code .ci/run} installs.
 */
class OperatorFilesTest {
    /** Families from libraries the proxy registers (simpleclient_hotspot), with their labels. */
    private static final Map<String, Set<String>> LIBRARY_FAMILIES = Map.of(
            "jvm_memory_bytes_used", Set.of("area"),
            "jvm_memory_bytes_max", Set.of("area"));
    /** Labels Prometheus adds to every scraped series. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");
    private static final Pattern DECLARED_LABELS =
            Pattern.compile("public static final String \\w+ = \"([^\"]+)\";\\s*//\\s*\\{([^}]*)}");
    /** Grafana's {@code label_values(series, label)} template query. */
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*([a-zA-Z_]\\w*)\\s*\\)");
    private static final Pattern RULE_EXPR = Pattern.compile("(?m)^\\s*expr:\\s*(.+)$");

    private static final Path OPS = repoRoot().resolve("ops");

    @TempDir
    Path temp;

    private static Path repoRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("ops")) && Files.isDirectory(dir.resolve("proxy-metrics"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root with ops/ above " + Path.of("").toAbsolutePath());
    }

    @Test
    void promtoolAcceptsTheAlertRules() throws Exception {
        assertPromtool("check", "rules", OPS.resolve("alerts.yml").toString());
    }

    @Test
    void eachAlertFiresOnTheSeriesItIsFor() throws Exception {
        assertPromtool("test", "rules", OPS.resolve("alerts.test.yml").toString());
    }

    @Test
    void promtoolAcceptsTheScrapeConfig() throws Exception {
        assertPromtool("check", "config", OPS.resolve("prometheus.yml").toString());

        String config = Files.readString(OPS.resolve("prometheus.yml"));
        assertThat(config).contains("metrics_path: /metrics", "\"127.0.0.1:3010\"", "scrape_interval: 15s",
                "- alerts.yml");
    }

    @Test
    void everyDashboardExpressionIsValidPromQl() throws Exception {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<String> expressions = dashboardTargets().stream().map(target -> target.get("expr").asText()).toList();
        for (int i = 0; i < expressions.size(); i++) {
            String expr = expressions.get(i).replace("$__rate_interval", "1m");
            rules.append("      - record: dashboard:expr").append(i).append("\n        expr: ")
                    .append(Json.MAPPER.writeValueAsString(expr)).append('\n');
        }
        Path file = temp.resolve("dashboard-exprs.yml");
        Files.writeString(file, rules);

        assertPromtool("check", "rules", file.toString());
    }

    @Test
    void dashboardUsesOnlyExportedFamiliesAndTheirLabels() throws Exception {
        Map<String, Set<String>> families = exportedFamilies();
        Set<String> used = new TreeSet<>();
        for (JsonNode target : dashboardTargets()) {
            String expr = target.get("expr").asText();
            Set<String> allowedLabels = checkNamesAndLabels(expr, families, used);
            assertThat(PromQl.legendLabels(target.path("legendFormat").asText()))
                    .as("legend of %s", expr).isSubsetOf(allowedLabels);
        }
        for (JsonNode variable : dashboard().at("/templating/list")) {
            Matcher labelValues = LABEL_VALUES.matcher(variable.path("query").asText());
            assertThat(labelValues.matches()).as("template query of $%s", variable.get("name").asText()).isTrue();
            assertThat(checkNamesAndLabels(labelValues.group(1), families, used)).contains(labelValues.group(2));
        }

        assertThat(used).as("the panels the dashboard promises").contains(
                "http_requests_total", "http_errors_total", "http_request_duration_seconds_bucket",
                "time_to_first_token_seconds_bucket", "queue_wait_duration_seconds_bucket", "upstream_active_current",
                "upstream_queue_length", "tokens_total", "upstream_rate_limit_429_total", "upstream_cancelled_total",
                "http_open_connections", "jvm_memory_bytes_used");
    }

    @Test
    void alertRulesUseOnlyExportedFamiliesAndTheirLabels() throws Exception {
        Map<String, Set<String>> families = exportedFamilies();
        families.put("up", Set.of()); // Prometheus's own per-target series
        Matcher expr = RULE_EXPR.matcher(Files.readString(OPS.resolve("alerts.yml")));
        Set<String> used = new TreeSet<>();
        int rules = 0;
        while (expr.find()) {
            checkNamesAndLabels(expr.group(1), families, used);
            rules++;
        }

        assertThat(rules).isGreaterThanOrEqualTo(5);
        assertThat(used).contains("ready_up", "http_errors_total", "http_requests_total",
                "http_request_duration_seconds_bucket", "upstream_rate_limit_429_total", "upstream_queue_length");
    }

    @Test
    void dashboardImportsIntoAnyGrafanaWithAPrometheusDataSource() throws Exception {
        JsonNode dashboard = dashboard();

        assertThat(dashboard.get("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        assertThat(dashboard.at("/__inputs/0/name").asText()).isEqualTo("DS_PROMETHEUS");
        assertThat(dashboard.at("/__inputs/0/pluginId").asText()).isEqualTo("prometheus");
        assertThat(dashboard.get("id").isNull()).as("an export carries no database id").isTrue();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt())).as("panel ids are unique").isTrue();
            if (!panel.get("type").asText().equals("row")) {
                assertThat(panel.at("/datasource/uid").asText()).isEqualTo("${DS_PROMETHEUS}");
                assertThat(panel.get("targets")).isNotEmpty();
                assertThat(panel.at("/gridPos/x").asInt() + panel.at("/gridPos/w").asInt()).isLessThanOrEqualTo(24);
            }
        }
        for (JsonNode target : dashboardTargets()) {
            assertThat(target.at("/datasource/uid").asText()).isEqualTo("${DS_PROMETHEUS}");
        }
    }

    @Test
    void promQlReadingFindsMetricsAndLabelsButNotFunctionsStringsOrRanges() {
        String expr = "histogram_quantile(0.99, sum by (le, model) (rate(time_to_first_token_seconds_bucket"
                + "{job=~\"$job\", instance!=\"x y\"}[$__rate_interval]))) > 1e3 and on(instance) ready_up == bool 1";

        assertThat(PromQl.metricNames(expr)).containsExactlyInAnyOrder("time_to_first_token_seconds_bucket", "ready_up");
        assertThat(PromQl.labelNames(expr)).containsExactlyInAnyOrder("le", "model", "job", "instance");
        assertThat(PromQl.legendLabels("p95 {{model}} {{ kind }}")).containsExactlyInAnyOrder("model", "kind");
    }

    /** Checks one expression; returns the labels it may use. */
    private static Set<String> checkNamesAndLabels(String expr, Map<String, Set<String>> families, Set<String> used) {
        Set<String> names = PromQl.metricNames(expr);
        assertThat(names).as("metrics in %s", expr).isNotEmpty();
        Set<String> allowedLabels = new HashSet<>(TARGET_LABELS);
        for (String name : names) {
            assertThat(families).as("%s in %s is a family the proxy exports", name, expr).containsKey(name);
            allowedLabels.addAll(families.get(name));
        }
        assertThat(PromQl.labelNames(expr)).as("labels in %s", expr).isSubsetOf(allowedLabels);
        used.addAll(names);
        return allowedLabels;
    }

    /** Every series name the proxy exports, with the labels it may carry. */
    private static Map<String, Set<String>> exportedFamilies() throws Exception {
        Map<String, Set<String>> declaredLabels = new HashMap<>();
        Path source = repoRoot().resolve("proxy-metrics/src/main/java/dev/llmproxy/metrics/MetricNames.java");
        Matcher declared = DECLARED_LABELS.matcher(Files.readString(source));
        while (declared.find()) {
            Set<String> labels = new HashSet<>();
            for (String label : declared.group(2).split(",")) {
                labels.add(label.trim());
            }
            declaredLabels.put(declared.group(1), labels);
        }

        Map<String, Set<String>> families = new HashMap<>(LIBRARY_FAMILIES);
        for (Field field : MetricNames.class.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (Modifier.isPublic(modifiers) && Modifier.isStatic(modifiers) && field.getType() == String.class) {
                String name = (String) field.get(null);
                Set<String> labels = declaredLabels.getOrDefault(name, Set.of());
                families.put(name, labels);
                if (name.endsWith("_quantile_seconds")) {
                    Set<String> summary = new HashSet<>(labels);
                    summary.add("quantile");
                    families.put(name, summary);
                }
                families.put(name + "_sum", labels);
                families.put(name + "_count", labels);
                Set<String> bucket = new HashSet<>(labels);
                bucket.add("le");
                families.put(name + "_bucket", bucket);
            }
        }
        return families;
    }

    private static JsonNode dashboard() throws IOException {
        return Json.MAPPER.readTree(Files.readAllBytes(OPS.resolve("grafana-dashboard.json")));
    }

    private static List<JsonNode> dashboardTargets() throws IOException {
        List<JsonNode> targets = new ArrayList<>();
        for (JsonNode panel : dashboard().get("panels")) {
            panel.path("targets").forEach(targets::add);
        }
        assertThat(targets).isNotEmpty();
        return targets;
    }

    private static void assertPromtool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(promtool());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("promtool did not finish in 60 s: " + command);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("%s said:%n%s", command, output).isZero();
    }

    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("promtool not found on PATH: install the Debian 'prometheus' package (.ci/run does)");
    }
}
