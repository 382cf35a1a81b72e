package dev.llmproxy.tools;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code config}: writes the commented {@code .env} template ({@link EnvTemplate}) — every setting with its default
 * and description. Never overwrites an existing file without {@code --force}.
 */
@Command(name = "config", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a commented .env template listing every setting with its default and description.")
final class ConfigCommand implements Callable<Integer> {
    static final String DEFAULT_ENV_FILE = ".env";

    @Option(names = "--out", paramLabel = "<file>",
            description = "Where to write; - for standard output (default: " + DEFAULT_ENV_FILE + ").")
    String out;

    @Option(names = "--force", description = "Replace the file if it exists.")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String target = out != null ? out : DEFAULT_ENV_FILE;
        String content = EnvTemplate.render();
        PrintWriter stdout = spec.commandLine().getOut();
        if ("-".equals(target)) {
            stdout.print(content);
        } else {
            Path file = OutputFiles.path("--out", target);
            OutputFiles.create("--out", file, content, force);
            // the template holds no secret, but the keys an operator adds to it will
            OutputFiles.makePrivate(file);
            stdout.println("wrote " + file);
        }
        stdout.flush();
        return ExitCodes.OK;
    }
}
