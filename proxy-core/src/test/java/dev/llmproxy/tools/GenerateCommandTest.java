package dev.llmproxy.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code generate} writes every example, and each one parses in its own language with a hostile model and prompt:
 * {@code node --check}, {@code python3 -m py_compile}, {@code bash -n}, and javac against the OpenAI SDK on the
 * test class path. (What the examples send is checked by running them, in {@code CodeGeneratorTest} and
 * {@code JavaSnippetsTest}.)
 */
class GenerateCommandTest {
    private static final String MODEL = "m\"'`$(touch injected)`\\u0022</script>";
    private static final String PROMPT = "line\none \"two\" 'three' `four` $FIVE ${six} \\ \u0000 </script> é 🚀 */";
    private static final Map<String, String> ENV = Map.of("PROXY_URL", "http://127.0.0.1:3010");
    private static final List<String> FILES = List.of("js/basic-chat.mjs", "js/streaming-chat.mjs",
            "js/interactive-chat.mjs", "python/basic_chat.py", "python/streaming_chat.py",
            "python/interactive_chat.py", "curl/basic-chat.sh", "curl/streaming-chat.sh", "curl/interactive-chat.sh",
            "java/BasicChat.java", "java/StreamingChat.java", "java/InteractiveChat.java", "README.md");

    @TempDir
    Path dir;

    private ToolRun generate(String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--out", dir.toString(), "--model", MODEL,
                "--prompt", PROMPT));
        args.addAll(List.of(extra));
        return ToolRun.run(ENV, "", args.toArray(String[]::new));
    }

    @Test
    void writesEveryLanguageAndKindAndEachParses() throws Exception {
        ToolRun run = generate();
        assertThat(run.exit()).as(run.printed()).isZero();
        try (Stream<Path> written = Files.walk(dir)) {
            assertThat(written.filter(Files::isRegularFile).map(file -> dir.relativize(file).toString()))
                    .containsExactlyInAnyOrderElementsOf(FILES);
        }
        for (String file : FILES) {
            assertThat(run.out()).contains("wrote " + dir.resolve(file));
        }
        assertThat(Files.readString(dir.resolve("README.md"))).contains("`js/basic-chat.mjs`",
                "`java -cp \"$CLASSPATH\" java/StreamingChat.java`").doesNotContain(MODEL, "touch");
        assertThat(Files.getPosixFilePermissions(dir.resolve("curl/streaming-chat.sh")))
                .contains(PosixFilePermission.OWNER_EXECUTE);

        for (String file : FILES) {
            Path path = dir.resolve(file);
            String code = Files.readString(path);
            if (!file.endsWith(".md")) {
                assertThat(code).as(file).contains("http://127.0.0.1:3010/v1").doesNotContain("</script>");
            }
            if (file.endsWith(".mjs")) {
                check(file, "node", "--check", path.toString());
            } else if (file.endsWith(".py")) {
                check(file, "python3", "-m", "py_compile", path.toString());
            } else if (file.endsWith(".sh")) {
                check(file, "bash", "-n", path.toString());
            } else if (file.endsWith(".java")) {
                javac(path);
            }
        }
    }

    @Test
    void refusesToOverwriteAnyFileWithoutForce() throws IOException {
        Path existing = Files.createDirectories(dir.resolve("python")).resolve("streaming_chat.py");
        Files.writeString(existing, "mine");
        ToolRun refused = generate();
        assertThat(refused.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).isEqualTo("llm-proxy generate: --out: " + existing + " exists (expected: a path that"
                + " does not exist yet, or --force to replace it)\n");
        assertThat(Files.readString(existing)).isEqualTo("mine");
        assertThat(dir.resolve("js")).as("nothing written before refusing").doesNotExist();

        ToolRun forced = generate("--force", "--language", "python", "--type", "streaming");
        assertThat(forced.exit()).as(forced.printed()).isZero();
        assertThat(Files.readString(existing)).contains("stream=True");
        assertThat(dir.resolve("python/basic_chat.py")).doesNotExist();
    }

    @Test
    void unknownLanguagesAndTypesAreUsageErrors() {
        ToolRun language = generate("--language", "js,cobol");
        assertThat(language.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(language.err()).isEqualTo("llm-proxy generate: --language: cobol (expected: one of js, python,"
                + " curl, java)\n");
        assertThat(generate("--type", "fancy").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(dir.resolve("README.md")).doesNotExist();
    }

    private void check(String file, String... command) throws Exception {
        assumeTrue(available(command[0]), command[0] + " is not installed");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .directory(dir.toFile()).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s: %s", file, output).isZero();
    }

    private void javac(Path file) throws IOException {
        Path classes = Files.createDirectories(dir.resolve("classes"));
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = ToolProvider.getSystemJavaCompiler().run(null, diagnostics, diagnostics, "-encoding",
                "US-ASCII", "-Xlint:all", "-Werror", "-cp", System.getProperty("java.class.path"), "-d",
                classes.toString(), file.toString());
        assertThat(status).as("javac %s: %s", file, diagnostics.toString(StandardCharsets.UTF_8)).isZero();
    }

    private static boolean available(String program) {
        try {
            Process process = new ProcessBuilder("sh", "-c", "command -v " + program).start();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
