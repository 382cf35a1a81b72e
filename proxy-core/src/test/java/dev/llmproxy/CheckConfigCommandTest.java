package dev.llmproxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CheckConfigCommandTest {

    private static final String SECRET = "sk-checkConfigSecret";

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> environment, String... args) {
        CommandLine cli = Main.commandLine(environment, config -> {
            throw new AssertionError("check-config must not start a server");
        }, new ByteArrayInputStream(new byte[0]));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void aValidFileExitsZeroWithAOneLineSummaryAndItsWarnings() throws IOException {
        Path file = Files.writeString(tmp.resolve("llm-proxy.yaml"), """
                upstreams:
                  - {name: local, kind: openai-compatible, base_url: 'http://127.0.0.1:11434/v1'}
                  - {name: openai, kind: openai, api_key: '${OPENAI_API_KEY}'}
                  - {name: gh, kind: github-models, api_key: '${GITHUB_TOKEN}'}
                routes:
                  fast: [local/llama3.2:3b, openai/gpt-4.1-mini]
                """);
        Path envFile = Files.writeString(tmp.resolve("check.env"), "GITHUB_TOKEN=ghp_fromDotenv\n");

        int code = run(Map.of("OPENAI_API_KEY", SECRET), "check-config", "--env-file", envFile.toString(),
                file.toString());

        assertThat(code).isZero();
        assertThat(out.toString()).isEqualTo(file + ": valid: 3 upstreams: local (openai-compatible), openai (openai),"
                + " gh (github-models); 1 route: fast; 0 clients" + System.lineSeparator()
                + "warning: " + file + ":4: upstream gh: GitHub Models was retired on 2026-07-30; its API answers 410"
                + " Gone" + System.lineSeparator());
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void anInvalidFileExitsOneWithEveryProblemOnStderr() throws IOException {
        Path file = Files.writeString(tmp.resolve("bad.yaml"), """
                upstreams:
                  - {name: a, kind: foo}
                  - {name: b, kind: openai, api_key: '${MISSING_KEY}'}
                """);

        int code = run(Map.of(), "check-config", "--env-file", "/dev/null", file.toString());

        assertThat(code).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly(
                file + ":2: upstreams[0].kind: foo (expected: one of openai, azure, openai-compatible, github-models)",
                file + ":3: upstreams[1].api_key: ${MISSING_KEY} (expected: MISSING_KEY set in the environment or the"
                        + " .env file; it is unset or blank)",
                file + ": invalid, 2 problems");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aMissingFileIsInvalidAndAMissingArgumentIsAUsageError() {
        Path missing = tmp.resolve("absent.yaml");

        assertThat(run(Map.of(), "check-config", "--env-file", "/dev/null", missing.toString())).isEqualTo(1);
        assertThat(err.toString()).contains(missing + ": (no such file)");

        assertThat(run(Map.of(), "check-config")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required parameter: 'FILE'");
    }
}
