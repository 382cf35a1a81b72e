package dev.llmproxy.tools;

import dev.llmproxy.openai.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code quick-test}: chat with a running proxy from the terminal. Interactive by default ({@link QuickTestSession}:
 * pick a model, pick or type a prompt, watch the answer stream, read its timings); with {@code --prompt} it sends one
 * request, prints the answer and its statistics, and exits 1 when the request failed.
 */
@Command(name = "quick-test", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a running proxy: pick a model and a prompt, watch the answer stream, see its"
                + " duration, time to first token, tokens/s and usage.",
                "With --model and --prompt it sends one request and exits (1 when it failed)."})
final class QuickTestCommand implements Callable<Integer> {
    static final String DEFAULT_SYSTEM = "You are a helpful assistant.";

    @Mixin
    ProxyOptions proxy;

    @Option(names = "--model", paramLabel = "<id>", description = "The model to use (interactive: preselected).")
    String model;

    @Option(names = "--prompt", paramLabel = "<text>",
            description = "Send this prompt once, print the answer and its statistics, and exit.")
    String prompt;

    @Option(names = "--system", paramLabel = "<text>", defaultValue = DEFAULT_SYSTEM,
            description = "System prompt (default: ${DEFAULT-VALUE}); empty for none.")
    String system;

    @Option(names = "--max-tokens", paramLabel = "<n>", defaultValue = "500",
            description = "Longest answer, in tokens (default: ${DEFAULT-VALUE}); 0 for no cap.")
    int maxTokens;

    @Option(names = "--json", description = "With --prompt: print one JSON object instead of the streamed answer.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final ToolContext context;

    QuickTestCommand(ToolContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 0 || maxTokens > 1_000_000) {
            throw ToolException.usage("--max-tokens: " + maxTokens + " (expected: 0 to 1000000)");
        }
        if (prompt != null && (model == null || model.isBlank())) {
            throw ToolException.usage("--model: missing (expected: a model id with --prompt; `llm-proxy models`"
                    + " lists them)");
        }
        if (json && prompt == null) {
            throw ToolException.usage("--json: set (expected: with --prompt only; the interactive test is for people)");
        }
        ProxyClient client = proxy.connect(context.environment());
        PrintWriter out = spec.commandLine().getOut();
        String systemPrompt = system == null || system.isEmpty() ? null : system;
        if (prompt != null) {
            return once(client, new ChatRequest(model, systemPrompt, prompt, maxTokens), out);
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(context.stdin(), StandardCharsets.UTF_8));
        return new QuickTestSession(client, in, out, systemPrompt, maxTokens).run(model);
    }

    private int once(ProxyClient client, ChatRequest request, PrintWriter out) throws IOException {
        // loads and connects the HTTP client first, so the timings measure the proxy rather than this JVM's start
        client.get(HealthCommand.PATH);
        ChatOutcome outcome;
        if (json) {
            outcome = ChatCall.stream(client, request, text -> { });
            var report = outcome.toJson();
            report.put("answer", outcome.text());
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            outcome = ChatCall.stream(client, request, text -> {
                out.print(text);
                out.flush();
            });
            if (!outcome.text().isEmpty()) {
                out.println();
            }
            if (outcome.ok()) {
                out.println(outcome.summary());
            } else {
                spec.commandLine().getErr().println(outcome.errorLine());
                spec.commandLine().getErr().flush();
            }
        }
        out.flush();
        return outcome.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
