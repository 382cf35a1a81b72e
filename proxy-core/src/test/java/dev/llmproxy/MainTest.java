package dev.llmproxy;

import dev.llmproxy.config.ConfigException;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.config.Setting;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class MainTest {

    private static final String SECRET = "ghp_neverPrintMe";

    @TempDir
    Path tmp;

    private Path emptyEnvFile;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<ProxyConfig> started = new CopyOnWriteArrayList<>();

    @BeforeEach
    void emptyEnvFile() throws IOException {
        emptyEnvFile = Files.writeString(tmp.resolve("empty.env"), "");
    }

    private int run(Map<String, String> environment, Main.ServerStarter starter, String... args) {
        CommandLine cli = Main.commandLine(environment, starter);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    /** Records the config and fails the start, so no test ever blocks in awaitTermination. */
    private ProxyServer recordAndRefuse(ProxyConfig config) throws BindException {
        started.add(config);
        throw new BindException("Address already in use");
    }

    @Test
    void serveHelpDocumentsEverySettingByFlagAndEnvNameAndPrintsNoSecret() throws IOException {
        Files.writeString(tmp.resolve(".env"), "OPENAI_API_KEY=" + SECRET + "\n");
        Map<String, String> env = Map.of("GITHUB_TOKEN", SECRET, "PROXY_SERVER_KEY", SECRET);

        int code = run(env, this::recordAndRefuse, "serve", "--help", "--env-file", tmp.resolve(".env").toString());

        String help = out.toString();
        assertThat(code).isZero();
        assertThat(Setting.values()).allSatisfy(s -> assertThat(help)
                .contains(s.flag() + (s.isBoolean() ? "[=<bool>]" : "=<"), "Env: " + s.envName() + ".")
                .contains(s.defaultValue().map(v -> "Default: " + v + ".").orElse("Default: ")));
        assertThat(help).contains("--env-file=<path>").doesNotContain(SECRET);
        assertThat(started).isEmpty();
    }

    @Test
    void invalidFlagValueExitsWithCode2AndExplainsOnStderr() {
        int code = run(Map.of(), this::recordAndRefuse,
                "serve", "--env-file", emptyEnvFile.toString(), "--port", "abc", "--access-log", "maybe");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains(
                "PORT: abc (expected: an integer from 0 to 65535)",
                "ACCESS_LOG: maybe (expected: one of 1, true, yes, on, 0, false, no, off)");
        assertThat(started).isEmpty();
    }

    @Test
    void invalidSecretFlagIsReportedWithoutItsValue() {
        int code = run(Map.of(), this::recordAndRefuse,
                "serve", "--env-file", emptyEnvFile.toString(), "--github-token", SECRET + " with space");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("GITHUB_TOKEN: (hidden) (expected:").doesNotContain(SECRET);
    }

    @Test
    void unknownOptionIsAUsageError() {
        int code = run(Map.of(), this::recordAndRefuse, "serve", "--prot", "1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--prot");
        assertThat(started).isEmpty();
    }

    @Test
    void noSubcommandPrintsUsageAndExits2() {
        int code = run(Map.of(), this::recordAndRefuse);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Usage: llm-proxy", "serve");
    }

    @Test
    void versionFallsBackToDevOutsideAJar() {
        int code = run(Map.of(), this::recordAndRefuse, "--version");

        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("llm-proxy dev");
    }

    @Test
    void startFailureExitsWith1AndSaysWhy() {
        int code = run(Map.of(), this::recordAndRefuse,
                "serve", "--env-file", emptyEnvFile.toString(), "--port", "4567");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("cannot start on 127.0.0.1:4567", "Address already in use")
                .doesNotContain("\tat ");
        assertThat(started).singleElement().satisfies(c -> assertThat(c.server().port()).isEqualTo(4567));
    }

    @Test
    void serveStartsWithTheResolvedConfig() {
        run(Map.of("PORT", "4000", "GITHUB_TOKEN", SECRET), this::recordAndRefuse,
                "serve", "--env-file", emptyEnvFile.toString(), "--port", "5000");

        assertThat(started).singleElement().satisfies(c -> {
            assertThat(c.server().port()).isEqualTo(5000);
            assertThat(c.upstream().token()).contains(SECRET);
        });
    }

    @Test
    void flagsOverrideTheEnvironment() {
        ProxyConfig c = Main.serveConfig(Map.of("PORT", "4000", "HOST", "::1", "ACCESS_LOG", "true"),
                "--env-file", emptyEnvFile.toString(), "--port", "5000", "--access-log=false");

        assertThat(c.server().port()).isEqualTo(5000);
        assertThat(c.server().host()).isEqualTo("::1");
        assertThat(c.accessLog()).isFalse();
    }

    @Test
    void aBooleanFlagAloneMeansTrue() {
        ProxyConfig c = Main.serveConfig(Map.of("ALLOW_OPEN_PROXY", "false"),
                "--env-file", emptyEnvFile.toString(), "--host", "0.0.0.0", "--allow-open-proxy");

        assertThat(c.auth().allowOpenProxy()).isTrue();
        assertThat(c.server().host()).isEqualTo("0.0.0.0");
    }

    @Test
    void envFileIsReadBelowTheEnvironment() throws IOException {
        Path file = Files.writeString(tmp.resolve("proxy.env"),
                "PORT=4100\nHOST=127.0.0.5\nOPENAI_BASE_URL=http://127.0.0.1:9/v1\n");

        ProxyConfig c = Main.serveConfig(Map.of("HOST", "127.0.0.6"), "--env-file", file.toString());

        assertThat(c.server().port()).isEqualTo(4100);
        assertThat(c.server().host()).isEqualTo("127.0.0.6");
        assertThat(c.upstream().demo()).isFalse();
    }

    @Test
    void serveReadsTheUpstreamFileFromConfigOrConfigFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("llm-proxy.yaml"), """
                upstreams:
                  - {name: local, kind: openai-compatible, base_url: 'http://127.0.0.1:11434/v1'}
                """);

        for (String flag : List.of("--config", "--config-file")) {
            ProxyConfig c = Main.serveConfig(Map.of("OPENAI_API_KEY", SECRET),
                    "--env-file", emptyEnvFile.toString(), flag, file.toString());

            assertThat(c.upstreams().first().name()).isEqualTo("local");
            assertThat(c.upstream().baseUrl()).hasValueSatisfying(u -> assertThat(u).hasToString(
                    "http://127.0.0.1:11434/v1"));
        }
    }

    @Test
    void serveRefusesAnInvalidUpstreamFileWithExitCode2AndEveryProblem() throws IOException {
        Path file = Files.writeString(tmp.resolve("llm-proxy.yaml"), """
                upstreams:
                  - {name: local, kind: nope}
                """);

        int code = run(Map.of(), this::recordAndRefuse,
                "serve", "--env-file", emptyEnvFile.toString(), "--config", file.toString(), "--port", "x");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("PORT: x (expected:",
                file + ":2: upstreams[0].kind: nope (expected: one of openai, azure, openai-compatible,"
                        + " github-models)");
        assertThat(started).isEmpty();
    }

    @Test
    void aNamedEnvFileThatDoesNotExistIsAnError() {
        Path missing = tmp.resolve("missing.env");

        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> Main.serveConfig(Map.of(), "--env-file", missing.toString()));

        assertThat(e.problems()).containsExactly("--env-file: " + missing + " (expected: an existing .env file)");
    }
    @Test
    void operatorToolsAreSubcommandsWithTheSharedExitCodes() {
        for (String tool : List.of("quick-test", "benchmark-models", "test-models", "models", "health", "config",
                "generate")) {
            out.getBuffer().setLength(0);
            assertThat(run(Map.of(), this::recordAndRefuse, tool, "--help")).as(tool).isZero();
            assertThat(out.toString()).as(tool).contains("Usage: llm-proxy " + tool, "Exit codes:",
                    "2   usage or configuration error");
        }
        int code = run(Map.of(), this::recordAndRefuse, "health", "--url", "ftp://proxy");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("llm-proxy health: --url: ftp://proxy (expected: an http or https URL"
                + " such as http://127.0.0.1:3010)\n");
        assertThat(started).isEmpty();
    }
}
