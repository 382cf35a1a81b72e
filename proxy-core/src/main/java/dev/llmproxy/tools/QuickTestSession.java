package dev.llmproxy.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * The interactive quick test: a dialogue on a reader and a writer (a terminal, or a test's streams). Pick a model
 * from a numbered list (typing text filters it), then a canned prompt by number or a prompt of your own; the answer
 * streams as it arrives, followed by its timings and usage. {@code /model} picks another model, {@code /quit} or the
 * end of input leaves. Not thread-safe; one per run.
 */
final class QuickTestSession {
    static final List<String> PROMPTS = List.of(
            "Explain what a large language model is in two sentences.",
            "Write a haiku about a network proxy.",
            "Give three practical tips for writing readable code.",
            "Translate \"Good morning, how are you?\" into French, Spanish and Ukrainian.",
            "What are the benefits of streaming an answer token by token? One short paragraph.");

    private final ProxyClient client;
    private final BufferedReader in;
    private final PrintWriter out;
    private final String system;
    private final int maxTokens;

    QuickTestSession(ProxyClient client, BufferedReader in, PrintWriter out, String system, int maxTokens) {
        this.client = client;
        this.in = in;
        this.out = out;
        this.system = system;
        this.maxTokens = maxTokens;
    }

    /** Runs until {@code /quit} or the end of input; always 0: failures are shown, not fatal. */
    int run(String preselected) throws IOException {
        List<ProxyModel> models = ProxyModels.fetch(client).stream().filter(model -> !model.embeddings()).toList();
        out.println("llm-proxy quick test at " + client.baseUrl() + " (commands: /model, /help, /quit)");
        String model = preselected;
        while (true) {
            if (model == null) {
                model = chooseModel(models);
                if (model == null) {
                    return ExitCodes.OK;
                }
            }
            out.println("model: " + model);
            if (!chat(model)) {
                return ExitCodes.OK;
            }
            model = null;
        }
    }

    /** A model id, or null to quit. */
    private String chooseModel(List<ProxyModel> models) throws IOException {
        if (models.isEmpty()) {
            out.println("the proxy lists no chat models; type a model id");
        }
        List<ProxyModel> shown = models;
        listModels(shown);
        while (true) {
            String line = ask("Model (number, text to filter, or an id; /quit): ");
            if (line == null || isQuit(line)) {
                return null;
            }
            if (line.isEmpty() || line.equals("/help")) {
                shown = models;
                listModels(shown);
                continue;
            }
            Integer number = number(line);
            if (number != null) {
                if (number >= 1 && number <= shown.size()) {
                    return shown.get(number - 1).id();
                }
                out.println("no model " + number + " in the list (1 to " + shown.size() + ")");
                continue;
            }
            for (ProxyModel candidate : models) {
                if (candidate.id().equalsIgnoreCase(line)) {
                    return candidate.id();
                }
            }
            String filter = line.toLowerCase(Locale.ROOT);
            List<ProxyModel> matches = models.stream()
                    .filter(candidate -> candidate.id().toLowerCase(Locale.ROOT).contains(filter)).toList();
            if (matches.size() == 1) {
                return matches.get(0).id();
            }
            if (matches.isEmpty()) {
                if (line.startsWith("/")) {
                    out.println("unknown command " + line + " (here: a number, a filter, an id, /quit)");
                    continue;
                }
                // the proxy may serve ids it does not list; take it as typed
                return line;
            }
            shown = matches;
            listModels(shown);
        }
    }

    /** Prompts and answers for one model; false to quit, true to choose another model. */
    private boolean chat(String model) throws IOException {
        listPrompts();
        while (true) {
            String line = ask("Prompt (number or your own text; /model, /quit): ");
            if (line == null || isQuit(line)) {
                return false;
            }
            if (line.equals("/model")) {
                return true;
            }
            if (line.isEmpty() || line.equals("/help")) {
                listPrompts();
                continue;
            }
            Integer number = number(line);
            String prompt = number != null && number >= 1 && number <= PROMPTS.size() ? PROMPTS.get(number - 1)
                    : line;
            if (number == null && line.startsWith("/")) {
                out.println("unknown command " + line + " (commands: /model, /help, /quit)");
                continue;
            }
            if (number != null && prompt.equals(line)) {
                out.println("(no canned prompt " + number + "; sending it as text)");
            }
            out.print("Assistant: ");
            out.flush();
            ChatOutcome outcome = ChatCall.stream(client, new ChatRequest(model, system, prompt, maxTokens), text -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.println(outcome.ok() ? outcome.summary() : outcome.errorLine());
            out.flush();
        }
    }

    private void listModels(List<ProxyModel> models) {
        TablePrinter table = new TablePrinter("#", "MODEL", "UPSTREAM", "INPUT").alignRight(0, 3);
        for (int i = 0; i < models.size(); i++) {
            ProxyModel model = models.get(i);
            table.row(Integer.toString(i + 1), model.id(), model.upstream(), HumanUnits.tokens(model.maxInputTokens()));
        }
        if (table.rowCount() > 0) {
            table.print(out);
        }
    }

    private void listPrompts() {
        for (int i = 0; i < PROMPTS.size(); i++) {
            out.println("  " + (i + 1) + ". " + PROMPTS.get(i));
        }
        out.flush();
    }

    /** The next line, trimmed; null at the end of input. */
    private String ask(String question) throws IOException {
        out.print(question);
        out.flush();
        String line = in.readLine();
        if (line == null) {
            out.println();
            out.flush();
            return null;
        }
        return line.strip();
    }

    private static boolean isQuit(String line) {
        return line.equals("/quit") || line.equals("/exit") || line.equals("/q");
    }

    private static Integer number(String line) {
        if (line.isEmpty() || line.length() > 6 || !line.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return Integer.parseInt(line);
    }
}
