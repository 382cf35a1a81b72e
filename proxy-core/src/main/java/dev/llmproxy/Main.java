package dev.llmproxy;

import dev.llmproxy.config.ConfigException;
import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.config.Setting;
import dev.llmproxy.tools.OperatorTools;
import dev.llmproxy.tools.ToolContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The command line: {@code llm-proxy serve}, {@code demo-upstream}, {@code check-config}, {@code hash-key} and the
 * operator tools ({@link OperatorTools}). The {@code serve} options are generated from {@link Setting}, so every
 * configuration variable is also a flag with the same help text. Runs on the main thread; the only other thread
 * {@code serve} creates is the shutdown hook.
 */
@Command(name = "llm-proxy", mixinStandardHelpOptions = true, versionProvider = Main.ManifestVersion.class,
        description = "OpenAI-compatible LLM proxy in front of OpenAI, Azure OpenAI and any OpenAI-compatible upstream.",
        synopsisSubcommandLabel = "COMMAND")
public final class Main implements Callable<Integer> {

    /** Exit code for a configuration or usage error, as picocli uses for usage errors. */
    static final int EXIT_CONFIG = CommandLine.ExitCode.USAGE;
    /** Exit code when the server could not start. */
    static final int EXIT_START_FAILED = CommandLine.ExitCode.SOFTWARE;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // System.exit runs the shutdown hook serve registered, which also flushes the asynchronous log
        System.exit(commandLine(System.getenv(), ProxyServer::start).execute(args));
    }

    /** The whole CLI; {@code environment} and {@code starter} are parameters so tests stay hermetic. */
    static CommandLine commandLine(Map<String, String> environment, ServerStarter starter) {
        return commandLine(environment, starter, System.in);
    }

    /** The whole CLI, with the standard input {@code hash-key} reads. */
    static CommandLine commandLine(Map<String, String> environment, ServerStarter starter, InputStream stdin) {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand(ServeCommand.NAME, new CommandLine(new ServeCommand(environment, starter).spec));
        cli.addSubcommand(DemoUpstreamCommand.NAME, new DemoUpstreamCommand());
        cli.addSubcommand(CheckConfigCommand.NAME, new CheckConfigCommand(environment));
        cli.addSubcommand(HashKeyCommand.NAME, new HashKeyCommand(stdin));
        OperatorTools.register(cli, ToolContext.system(environment, stdin));
        return cli;
    }

    /** No subcommand: say what exists, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_CONFIG;
    }

    /**
     * What {@code serve} would run with, resolved exactly as {@code serve} does but without starting anything.
     *
     * @throws ConfigException               when the configuration is invalid
     * @throws CommandLine.ParameterException when the arguments do not parse
     */
    static ProxyConfig serveConfig(Map<String, String> environment, String... args) {
        ServeCommand serve = new ServeCommand(environment, config -> {
            throw new IllegalStateException("resolution only");
        });
        new CommandLine(serve.spec).parseArgs(args);
        return serve.resolve();
    }

    /** Flushes the asynchronous access log before the JVM halts; a no-op with any other SLF4J backend. */
    private static void stopLogging() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof ch.qos.logback.classic.LoggerContext logback) {
            logback.stop();
        }
    }

    /** Starts the server; {@link ProxyServer#start} in production, a stub in tests. */
    @FunctionalInterface
    interface ServerStarter {
        ProxyServer start(ProxyConfig config) throws Exception;
    }

    /** {@code serve}: resolve the configuration, start the server, block until it has stopped. */
    static final class ServeCommand implements Callable<Integer> {
        static final String NAME = "serve";
        private static final Logger log = LoggerFactory.getLogger(Main.class);

        final CommandSpec spec;
        private final Map<Setting, OptionSpec> settingOptions = new EnumMap<>(Setting.class);
        private final OptionSpec envFile;
        private final Map<String, String> environment;
        private final ServerStarter starter;

        ServeCommand(Map<String, String> environment, ServerStarter starter) {
            this.environment = environment;
            this.starter = starter;
            spec = CommandSpec.wrapWithoutInspection(this)
                    .name(NAME)
                    .mixinStandardHelpOptions(true)
                    .versionProvider(new ManifestVersion());
            spec.usageMessage()
                    .abbreviateSynopsis(true)
                    .description("Run the proxy.",
                            "Each option can also be set by its environment variable or in the env file."
                                    + " Precedence: option, then environment, then env file, then default.")
                    .sortOptions(false)
                    .footer("", "Booleans accept 1, true, yes, on and 0, false, no, off; a blank value counts as"
                            + " unset. Secret values are never printed.");
            for (Setting s : Setting.values()) {
                OptionSpec.Builder option = OptionSpec.builder(s.flags())
                        .type(String.class)
                        .paramLabel(paramLabel(s))
                        .description(escape(s.description() + " Accepts " + s.expected() + "."),
                                escape("Env: " + s.envName() + ". Default: " + defaultText(s) + "."));
                if (s.isBoolean()) {
                    // "--allow-open-proxy" alone means true
                    option.arity("0..1").fallbackValue("true");
                }
                // no defaultValue on purpose: an option picocli filled in would override the environment
                OptionSpec built = option.build();
                settingOptions.put(s, built);
                spec.addOption(built);
            }
            envFile = OptionSpec.builder("--env-file")
                    .type(Path.class)
                    .paramLabel("<path>")
                    .description(".env file to read; a missing default .env is ignored, a missing named file is an"
                            + " error.", "Default: .env in the working directory.")
                    .build();
            spec.addOption(envFile);
        }

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            ProxyConfig config;
            try {
                config = resolve();
            } catch (ConfigException e) {
                printConfigProblems(err, e);
                return EXIT_CONFIG;
            }
            ProxyServer server;
            try {
                server = starter.start(config);
            } catch (ConfigException e) {
                printConfigProblems(err, e);
                return EXIT_CONFIG;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("llm-proxy: interrupted while starting");
                err.flush();
                return EXIT_START_FAILED;
            } catch (Exception e) {
                err.println("llm-proxy: cannot start on " + config.server().host() + ":" + config.server().port()
                        + ": " + describe(e));
                if (!(e instanceof IOException)) {
                    // not an environment problem such as a taken port: the trace is what a bug report needs
                    e.printStackTrace(err);
                }
                err.flush();
                return EXIT_START_FAILED;
            }
            log.info("llm-proxy {}", new ManifestVersion().version());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log.info("shutting down, grace {} ms", config.server().shutdownGrace().toMillis());
                server.stop(config.server().shutdownGrace());
                stopLogging();
            }, "llm-proxy-shutdown"));
            try {
                server.awaitTermination();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                server.stop(config.server().shutdownGrace());
            }
            return CommandLine.ExitCode.OK;
        }

        /** Flags from the parsed options, then the process environment, then the .env file. */
        ProxyConfig resolve() {
            Map<String, String> flags = new LinkedHashMap<>();
            settingOptions.forEach((setting, option) -> {
                String value = option.getValue();
                if (value != null) {
                    flags.put(setting.envName(), value);
                }
            });
            Path file = envFile.getValue();
            if (file != null && !Files.exists(file)) {
                throw new ConfigException(List.of("--env-file: " + file + " (expected: an existing .env file)"));
            }
            Map<String, String> dotenv = ConfigLoader.readDotenv(file != null ? file : Path.of(".env"));
            return ConfigLoader.load(flags, environment, dotenv);
        }

        private static void printConfigProblems(PrintWriter err, ConfigException e) {
            err.println("llm-proxy: invalid configuration:");
            for (String problem : e.problems()) {
                err.println("  " + problem);
            }
            err.flush();
        }

        /** {@code <bool>}, {@code <ms>}, else the last word of the name: {@code <port>}, {@code <url>}, {@code <file>}. */
        private static String paramLabel(Setting s) {
            if (s.isBoolean()) {
                return "<bool>";
            }
            String name = s.envName();
            return "<" + name.substring(name.lastIndexOf('_') + 1).toLowerCase(Locale.ROOT) + ">";
        }

        private static String defaultText(Setting s) {
            if (s.secret()) {
                return "none";
            }
            return switch (s) {
                case OPENAI_BASE_URL -> "none; with no CONFIG_FILE and no other shortcut, the demo upstream";
                case IO_THREADS -> "available processors";
                default -> s.defaultValue().orElse("none");
            };
        }

        /** picocli formats descriptions with String.format and expands ${…} in them. */
        private static String escape(String text) {
            return text.replace("%", "%%").replace("${", "$${");
        }

        private static String describe(Throwable e) {
            List<String> parts = new ArrayList<>();
            for (Throwable t = e; t != null && parts.size() < 4; t = t.getCause()) {
                parts.add(t.getMessage() == null ? t.getClass().getSimpleName()
                        : t.getClass().getSimpleName() + ": " + t.getMessage());
            }
            return String.join(" <- ", parts);
        }
    }

    /** {@code Implementation-Version} of the jar, or {@code dev} when run from classes. */
    static final class ManifestVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"llm-proxy " + version()};
        }

        String version() {
            String version = Main.class.getPackage().getImplementationVersion();
            return version == null ? "dev" : version;
        }
    }
}
