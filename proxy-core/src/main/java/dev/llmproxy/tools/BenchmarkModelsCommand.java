package dev.llmproxy.tools;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code benchmark-models}: one streamed request per model, one model at a time, paced so the run respects upstream
 * limits ({@link Pacer}: {@code --interval}, and a 429's {@code Retry-After}, after which the model is tried once
 * more). Prints a table sorted by total time (failures last) with time to first token, tokens/s and status; a
 * progress bar on standard error while it runs. By default it takes up to {@code --per-upstream} chat models of each
 * upstream, in the proxy's order. Exit 1 when any model failed.
 */
@Command(name = "benchmark-models", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time one streamed request per model, one after another, paced for upstream limits: a table"
                + " sorted by total time with time to first token, tokens/s and status.",
                "Default models: up to --per-upstream chat models of each upstream, in the proxy's order."})
final class BenchmarkModelsCommand implements Callable<Integer> {
    static final String DEFAULT_PROMPT = "What is artificial intelligence? Answer in two sentences.";

    @Mixin
    ProxyOptions proxy;

    @Option(names = "--model", paramLabel = "<id>", split = ",",
            description = "Models to time (repeatable or comma-separated) instead of the default set.")
    List<String> models = new ArrayList<>();

    @Option(names = "--all", description = "Time every chat model the proxy lists.")
    boolean all;

    @Option(names = "--per-upstream", paramLabel = "<n>", defaultValue = "3",
            description = "Default set: chat models per upstream (default: ${DEFAULT-VALUE}).")
    int perUpstream;

    @Option(names = "--prompt", paramLabel = "<text>", defaultValue = DEFAULT_PROMPT,
            description = "The prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "<n>", defaultValue = "100",
            description = "Longest answer, in tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--interval", paramLabel = "<seconds>", defaultValue = "1",
            description = "Pause between two requests (default: ${DEFAULT-VALUE}).")
    double interval;

    @Option(names = "--max-wait", paramLabel = "<seconds>", defaultValue = "60",
            description = "Longest Retry-After honoured after a 429 (default: ${DEFAULT-VALUE}).")
    double maxWait;

    @Option(names = "--progress", negatable = true, description = "Draw a progress bar on standard error"
            + " (default: when it is a terminal).")
    Boolean progress;

    @Option(names = "--json", description = "Print a JSON report instead of the table.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final ToolContext context;

    BenchmarkModelsCommand(ToolContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (perUpstream < 1 || perUpstream > 1000) {
            throw ToolException.usage("--per-upstream: " + perUpstream + " (expected: 1 to 1000)");
        }
        if (maxTokens < 1 || maxTokens > 100_000) {
            throw ToolException.usage("--max-tokens: " + maxTokens + " (expected: 1 to 100000)");
        }
        if (all && !models.isEmpty()) {
            throw ToolException.usage("--all: set (expected: either --all or --model, not both)");
        }
        Pacer pacer = new Pacer(context.sleeper(), Pacer.seconds("--interval", interval),
                Pacer.seconds("--max-wait", maxWait));
        ProxyClient client = proxy.connect(context.environment());
        List<ProxyModel> listed = ProxyModels.fetch(client);
        List<ProxyModel> chosen = !models.isEmpty() ? ProxyModels.named(listed, models)
                : all ? listed.stream().filter(model -> !model.embeddings()).toList()
                : ProxyModels.representative(listed, perUpstream);
        if (chosen.isEmpty()) {
            throw ToolException.failed("the proxy lists no chat models to time", null);
        }

        Instant startedAt = Instant.now();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), chosen.size(),
                progress != null ? progress : context.stderrIsTerminal());
        List<Timed> results = new ArrayList<>();
        for (ProxyModel model : chosen) {
            bar.show(results.size(), model.id());
            ChatRequest request = new ChatRequest(model.id(), null, prompt, maxTokens);
            pacer.beforeRequest();
            ChatOutcome outcome = ChatCall.stream(client, request, text -> { });
            pacer.answered(outcome);
            if (outcome.status() == 429) {
                // one more try once the limit has passed: a benchmark wants the model's timing, not the limit
                pacer.beforeRequest();
                outcome = ChatCall.stream(client, request, text -> { });
                pacer.answered(outcome);
            }
            results.add(new Timed(model, outcome));
        }
        bar.show(results.size(), "done");
        bar.clear();

        results.sort(Comparator.comparing((Timed timed) -> !timed.outcome().ok())
                .thenComparingLong(timed -> timed.outcome().durationNanos()));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report(client, startedAt,
                    results)));
        } else {
            TablePrinter table = new TablePrinter("#", "MODEL", "UPSTREAM", "STATUS", "TTFT", "TOTAL", "TOKENS",
                    "TOK/S", "ERROR").alignRight(0, 4, 5, 6, 7);
            int rank = 0;
            for (Timed timed : results) {
                ChatOutcome outcome = timed.outcome();
                table.row(Integer.toString(++rank), timed.model().id(), upstream(timed), status(outcome),
                        HumanUnits.duration(outcome.ttftNanos()), HumanUnits.duration(outcome.durationNanos()),
                        outcome.usage() == null ? "-" : Long.toString(outcome.usage().completionTokens()),
                        outcome.tokensPerSecond().map(HumanUnits::rate).orElse("-"),
                        outcome.ok() ? "" : outcome.errorLine().substring("error: ".length()));
            }
            table.print(out);
        }
        out.flush();
        return results.stream().allMatch(timed -> timed.outcome().ok()) ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private ObjectNode report(ProxyClient client, Instant startedAt, List<Timed> results) {
        ObjectNode report = Json.object();
        report.put("proxy", client.baseUrl().toString());
        report.put("started_at", startedAt.toString());
        report.put("prompt", prompt);
        report.put("max_tokens", maxTokens);
        report.put("interval_ms", Math.round(interval * 1000));
        ArrayNode list = report.putArray("results");
        for (Timed timed : results) {
            ObjectNode entry = timed.outcome().toJson();
            entry.put("upstream", upstream(timed));
            list.add(entry);
        }
        return report;
    }

    /** The upstream that answered when the proxy said so, else the one its list names. */
    private static String upstream(Timed timed) {
        return timed.outcome().upstream() != null ? timed.outcome().upstream() : timed.model().upstream();
    }

    private static String status(ChatOutcome outcome) {
        if (outcome.ok()) {
            return "ok";
        }
        return outcome.status() == 0 ? "failed" : Integer.toString(outcome.status());
    }

    private record Timed(ProxyModel model, ChatOutcome outcome) {
    }
}
