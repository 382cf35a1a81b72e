package dev.llmproxy.tools;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;

import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;
import java.util.TreeMap;

/**
 * Registers the operator tools as subcommands of the {@code llm-proxy} command line: {@code quick-test},
 * {@code benchmark-models}, {@code test-models}, {@code models}, {@code health}, {@code config} and
 * {@code generate}. All share one exit-code convention ({@link ExitCodes}: 0 fine, 1 the checked thing failed, 2
 * usage or configuration error), listed in each one's {@code --help}, and one way of failing: a
 * {@link ToolException}'s message on standard error, prefixed with the command's name.
 */
public final class OperatorTools {

    private OperatorTools() {
    }

    /**
     * Adds the tools to {@code root}, each with the root's version provider. Their failures are handled by
     * {@code root} (picocli asks the command line that executes, not the subcommand), so its handler is wrapped:
     * a {@link ToolException} becomes its message and exit code, anything else goes to the handler it had.
     */
    public static void register(CommandLine root, ToolContext context) {
        List<Object> commands = List.of(new QuickTestCommand(context), new BenchmarkModelsCommand(context),
                new TestModelsCommand(context), new ModelsCommand(context), new HealthCommand(context),
                new ConfigCommand(), new GenerateCommand(context));
        for (Object command : commands) {
            CommandLine tool = new CommandLine(command);
            tool.getCommandSpec().versionProvider(root.getCommandSpec().versionProvider());
            tool.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
                    .exitCodeList(new TreeMap<>(ExitCodes.HELP));
            root.addSubcommand(tool);
        }
        root.setExecutionExceptionHandler(failureHandler(root.getExecutionExceptionHandler()));
    }

    /** A command line of the tools alone, named {@code llm-proxy}: for tests, which pass their own context. */
    public static CommandLine commandLine(ToolContext context) {
        CommandLine root = new CommandLine(CommandSpec.create().name("llm-proxy"));
        register(root, context);
        return root;
    }

    private static IExecutionExceptionHandler failureHandler(IExecutionExceptionHandler others) {
        return (exception, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            String name = "llm-proxy " + commandLine.getCommandName() + ": ";
            if (exception instanceof ToolException tool) {
                err.println(name + tool.getMessage());
                err.flush();
                return tool.exitCode();
            }
            if (exception instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                err.println(name + "interrupted");
                err.flush();
                return ExitCodes.FAILED;
            }
            return others.handleExecutionException(exception, commandLine, parseResult);
        };
    }
}
