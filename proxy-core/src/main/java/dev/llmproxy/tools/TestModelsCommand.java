package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code test-models}: probes every model the proxy lists (or those of one {@code --upstream}, or the
 * {@code --model}s named) through the proxy with a tiny request — a chat "Hi" capped at a few tokens, or an
 * embedding of "Hi" for embeddings models — one at a time, paced ({@link Pacer}). Each is classified
 * ({@link ProbeResult}); a table goes to standard output and a JSON report to {@code --out}. Exit 1 when any probed
 * model is not {@code WORKING}, so a script can tell "all of my models work" from "some do not"; the report is
 * written either way.
 */
@Command(name = "test-models", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Probe each model through the proxy with a tiny request and classify it: WORKING,"
                + " NOT_AVAILABLE (404), RATE_LIMITED (429), AUTH_ERROR (401/403) or OTHER.",
                "Writes a table and a JSON report; exit 1 when any model is not WORKING."})
final class TestModelsCommand implements Callable<Integer> {
    static final String PROBE = "Hi";

    @Mixin
    ProxyOptions proxy;

    @Option(names = "--upstream", paramLabel = "<name>", description = "Probe only this upstream's models.")
    String upstream;

    @Option(names = "--model", paramLabel = "<id>", split = ",",
            description = "Probe these models (repeatable or comma-separated) instead of every listed one.")
    List<String> models = new ArrayList<>();

    @Option(names = "--out", paramLabel = "<file>", defaultValue = "model-test-report.json",
            description = "The JSON report, replaced on each run (default: ${DEFAULT-VALUE}); - for none.")
    String out;

    @Option(names = "--max-tokens", paramLabel = "<n>", defaultValue = "16",
            description = "Cap of each chat probe's answer (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--interval", paramLabel = "<seconds>", defaultValue = "1",
            description = "Pause between two probes (default: ${DEFAULT-VALUE}).")
    double interval;

    @Option(names = "--max-wait", paramLabel = "<seconds>", defaultValue = "60",
            description = "Longest Retry-After honoured after a 429 before the next probe (default: ${DEFAULT-VALUE}).")
    double maxWait;

    @Option(names = "--progress", negatable = true, description = "Draw a progress bar on standard error"
            + " (default: when it is a terminal).")
    Boolean progress;

    @Option(names = "--json", description = "Print the report on standard output instead of the table.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final ToolContext context;

    TestModelsCommand(ToolContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (maxTokens < 1 || maxTokens > 10_000) {
            throw ToolException.usage("--max-tokens: " + maxTokens + " (expected: 1 to 10000)");
        }
        Pacer pacer = new Pacer(context.sleeper(), Pacer.seconds("--interval", interval),
                Pacer.seconds("--max-wait", maxWait));
        Path report = "-".equals(out) ? null : OutputFiles.path("--out", out);
        ProxyClient client = proxy.connect(context.environment());
        List<ProxyModel> chosen = choose(ProxyModels.fetch(client));

        Instant startedAt = Instant.now();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), chosen.size(),
                progress != null ? progress : context.stderrIsTerminal());
        List<Probe> probes = new ArrayList<>();
        for (ProxyModel model : chosen) {
            bar.show(probes.size(), model.id());
            pacer.beforeRequest();
            ChatOutcome outcome = model.embeddings() ? embed(client, model.id())
                    : ChatCall.once(client, new ChatRequest(model.id(), null, PROBE, maxTokens));
            pacer.answered(outcome);
            probes.add(new Probe(model, outcome, ProbeResult.of(outcome.status())));
        }
        bar.show(probes.size(), "done");
        bar.clear();

        ObjectNode json = report(client, startedAt, probes);
        if (report != null) {
            OutputFiles.replace(report, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (this.json) {
            stdout.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        } else {
            TablePrinter table = new TablePrinter("MODEL", "UPSTREAM", "RESULT", "STATUS", "TIME", "MESSAGE")
                    .alignRight(3, 4);
            for (Probe probe : probes) {
                table.row(probe.model().id(), probe.model().upstream(), probe.result().name(),
                        probe.outcome().status() == 0 ? "-" : Integer.toString(probe.outcome().status()),
                        HumanUnits.duration(probe.outcome().durationNanos()),
                        probe.outcome().ok() ? "" : shorten(probe.outcome().errorMessage()));
            }
            table.print(stdout);
            stdout.println(summaryLine(json.path("summary")) + (report != null ? "; report: " + report : ""));
        }
        stdout.flush();
        return probes.stream().allMatch(probe -> probe.result() == ProbeResult.WORKING) ? ExitCodes.OK
                : ExitCodes.FAILED;
    }

    private List<ProxyModel> choose(List<ProxyModel> listed) {
        if (!models.isEmpty()) {
            return ProxyModels.named(listed, models);
        }
        if (upstream == null) {
            return listed;
        }
        List<ProxyModel> ofUpstream = listed.stream().filter(model -> model.upstream().equals(upstream)).toList();
        if (ofUpstream.isEmpty()) {
            TreeSet<String> names = new TreeSet<>(ProxyModels.byUpstream(listed).keySet());
            throw ToolException.usage("--upstream: " + upstream + " (expected: one of " + String.join(", ", names)
                    + ")");
        }
        return ofUpstream;
    }

    /** An embeddings model cannot chat: it is probed with the smallest embeddings request. */
    private static ChatOutcome embed(ProxyClient client, String model) {
        ObjectNode body = Json.object();
        body.put("model", model);
        body.put("input", PROBE);
        long start = System.nanoTime();
        try {
            ProxyAnswer answer = client.postJson("/v1/embeddings", body);
            long duration = System.nanoTime() - start;
            if (answer.ok()) {
                return new ChatOutcome(model, answer.status(), "", -1, duration, null, answer.upstream(), null, null,
                        Optional.empty());
            }
            return ChatOutcome.failed(model, answer.status(), duration, answer.upstream(), answer.errorCode(),
                    answer.errorMessage(), answer.retryAfter());
        } catch (IOException e) {
            return ChatOutcome.failed(model, 0, System.nanoTime() - start, null, null,
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), Optional.empty());
        }
    }

    private static ObjectNode report(ProxyClient client, Instant startedAt, List<Probe> probes) {
        ObjectNode report = Json.object();
        report.put("proxy", client.baseUrl().toString());
        report.put("tested_at", startedAt.toString());
        Map<ProbeResult, Integer> counts = new EnumMap<>(ProbeResult.class);
        for (ProbeResult result : ProbeResult.values()) {
            counts.put(result, 0);
        }
        probes.forEach(probe -> counts.merge(probe.result(), 1, Integer::sum));
        ObjectNode summary = report.putObject("summary");
        summary.put("total", probes.size());
        counts.forEach((result, count) -> summary.put(result.name(), count));
        ArrayNode list = report.putArray("models");
        for (Probe probe : probes) {
            ObjectNode entry = list.addObject();
            entry.put("id", probe.model().id());
            entry.put("upstream", probe.outcome().upstream() != null ? probe.outcome().upstream()
                    : probe.model().upstream());
            entry.put("kind", probe.model().embeddings() ? "embeddings" : "chat");
            entry.put("result", probe.result().name());
            entry.put("status", probe.outcome().status());
            entry.put("duration_ms", Math.round(probe.outcome().durationNanos() / 1e6));
            if (!probe.outcome().ok()) {
                entry.put("error_code", probe.outcome().errorCode());
                entry.put("error", probe.outcome().errorMessage());
            }
        }
        return report;
    }

    private static String summaryLine(JsonNode summary) {
        StringBuilder line = new StringBuilder().append(summary.path("total").asInt()).append(" models: ");
        boolean first = true;
        for (ProbeResult result : ProbeResult.values()) {
            int count = summary.path(result.name()).asInt();
            if (count > 0) {
                line.append(first ? "" : ", ").append(count).append(' ').append(result.name());
                first = false;
            }
        }
        return line.toString();
    }

    private static String shorten(String text) {
        return text.length() <= 100 ? text : text.substring(0, 97) + "...";
    }

    private record Probe(ProxyModel model, ChatOutcome outcome, ProbeResult result) {
    }
}
