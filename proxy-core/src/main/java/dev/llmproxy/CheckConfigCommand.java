package dev.llmproxy;

import dev.llmproxy.config.ConfigException;
import dev.llmproxy.config.ConfigFile;
import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ConfigNote;
import dev.llmproxy.config.UpstreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code check-config FILE}: validates an upstream configuration file exactly as {@code serve} would read it, so an
 * operator can check an edit before a restart. Runs on the main thread; reads the file and the {@code .env} file.
 */
@Command(name = CheckConfigCommand.NAME, mixinStandardHelpOptions = true,
        versionProvider = Main.ManifestVersion.class,
        description = {"Validate an upstream configuration file (CONFIG_FILE) without starting anything.",
                "Valid: one summary line on stdout (upstreams, routes, clients), then any warnings. Invalid: every"
                        + " problem on stderr, one per line, as FILE:LINE: FIELD: VALUE (expected: RULE)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the file is valid", "1:the file has problems", "2:usage error"})
final class CheckConfigCommand implements Callable<Integer> {
    static final String NAME = "check-config";
    static final int EXIT_INVALID = 1;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The YAML file to check.")
    Path file;

    @Option(names = "--env-file", paramLabel = "<path>",
            description = {".env file whose variables $${VAR} may use, below the environment.",
                    "Default: .env in the working directory, when present."})
    Path envFile;

    private final Map<String, String> environment;

    CheckConfigCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (envFile != null && !Files.exists(envFile)) {
            err.println("--env-file: " + envFile + " (expected: an existing .env file)");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
        try {
            Map<String, String> dotenv = ConfigLoader.readDotenv(envFile != null ? envFile : Path.of(".env"));
            UpstreamsConfig config = ConfigFile.read(file, name -> variable(name, dotenv));
            out.println(file + ": valid: " + config.summary());
            for (ConfigNote note : config.notes()) {
                out.println((note.level() == ConfigNote.Level.WARNING ? "warning: " : "note: ") + note.text());
            }
            out.flush();
            return CommandLine.ExitCode.OK;
        } catch (ConfigException e) {
            for (String problem : e.problems()) {
                err.println(problem);
            }
            err.println(file + ": invalid, " + e.problems().size() + (e.problems().size() == 1 ? " problem"
                    : " problems"));
            err.flush();
            return EXIT_INVALID;
        }
    }

    /** As {@code serve} resolves {@code ${VAR}}: the environment, then the .env file; blank counts as unset. */
    private Optional<String> variable(String name, Map<String, String> dotenv) {
        for (Map<String, String> source : List.of(environment, dotenv)) {
            String v = source.get(name);
            if (v != null && !v.isBlank()) {
                return Optional.of(v.strip());
            }
        }
        return Optional.empty();
    }
}
