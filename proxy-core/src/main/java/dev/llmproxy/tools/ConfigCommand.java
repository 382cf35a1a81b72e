package dev.llmproxy.tools;

import dev.llmproxy.config.ExampleConfigFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code config}: writes the commented {@code .env} template ({@link EnvTemplate}) — every setting with its default
 * and description — or, with {@code --yaml}, the commented example configuration file ({@link ExampleConfigFile}:
 * upstreams, routes, clients). Never overwrites an existing file without {@code --force}.
 */
@Command(name = "config", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a commented .env template listing every setting with its default and description.",
                "With --yaml, write the commented example configuration file (upstreams, routes, clients) instead."})
final class ConfigCommand implements Callable<Integer> {
    static final String DEFAULT_ENV_FILE = ".env";
    static final String DEFAULT_YAML_FILE = "llm-proxy.yaml";

    @Option(names = "--out", paramLabel = "<file>", description = "Where to write; - for standard output (default: "
            + DEFAULT_ENV_FILE + ", with --yaml " + DEFAULT_YAML_FILE + ").")
    String out;

    @Option(names = "--yaml", description = "Write the example configuration file (for CONFIG_FILE) instead.")
    boolean yaml;

    @Option(names = "--force", description = "Replace the file if it exists.")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String target = out != null ? out : yaml ? DEFAULT_YAML_FILE : DEFAULT_ENV_FILE;
        String content = yaml ? ExampleConfigFile.text() : EnvTemplate.render();
        PrintWriter stdout = spec.commandLine().getOut();
        if ("-".equals(target)) {
            stdout.print(content);
        } else {
            Path file = OutputFiles.path("--out", target);
            OutputFiles.create("--out", file, content, force);
            // neither file holds a secret, but the keys an operator adds to them will
            OutputFiles.makePrivate(file);
            stdout.println("wrote " + file);
        }
        stdout.flush();
        return ExitCodes.OK;
    }
}
