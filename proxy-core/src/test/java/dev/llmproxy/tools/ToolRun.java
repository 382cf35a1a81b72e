package dev.llmproxy.tools;

import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs one operator tool in this JVM as {@code llm-proxy <args>} would, with a given environment and standard input,
 * and keeps what it printed, its exit code and the waits it asked for (none of which happen for real).
 *
 * @param exit   the exit code
 * @param out    standard output
 * @param err    standard error
 * @param sleeps every wait the tool asked its sleeper for
 */
record ToolRun(int exit, String out, String err, List<Duration> sleeps) {

    static ToolRun run(Map<String, String> environment, String stdin, String... args) {
        return run(environment, stdin, false, args);
    }

    static ToolRun run(Map<String, String> environment, String stdin, boolean stderrIsTerminal, String... args) {
        List<Duration> sleeps = new CopyOnWriteArrayList<>();
        ToolContext context = new ToolContext(environment,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), sleeps::add, stderrIsTerminal);
        CommandLine cli = OperatorTools.commandLine(context);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new ToolRun(exit, out.toString(), err.toString(), List.copyOf(sleeps));
    }

    /** For assertion messages: everything the tool printed. */
    String printed() {
        return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
}
