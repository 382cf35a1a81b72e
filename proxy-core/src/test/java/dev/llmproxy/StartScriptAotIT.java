package dev.llmproxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code scripts/start}'s AOT cache: {@code --train-aot} refuses a JDK older than 25, records a cache on JDK 25, and a
 * later start on that JDK runs with it, while a start on an older JDK runs without it.
 */
class StartScriptAotIT {
    private static final Path START = Path.of("..", "scripts", "start").toAbsolutePath().normalize();
    /** A JDK 25 for the recording half: {@code LLM_TEST_JDK25}, else the one these machines carry. */
    private static final Path JDK25 = Path.of(System.getenv().getOrDefault("LLM_TEST_JDK25",
            "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"));
    private static final Pattern LISTENING = Pattern.compile("llm-proxy listening on http://[^:]+:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void trainingRefusesAJdkOlderThan25() throws Exception {
        assumeTrue(Runtime.version().feature() < 25, "the JDK running the tests is the one refused");
        Process p = start(List.of("--train-aot"), Map.of("JAVA", javaOfThisJvm(), "AOT_CACHE", cache().toString()),
                dir.resolve("refused.log"));
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(Files.readString(dir.resolve("refused.log"))).contains("needs JDK 25 or later");
        assertThat(cache()).doesNotExist();
    }

    @Test
    void aRecordedCacheIsUsedOnJdk25AndIgnoredOnAnOlderJdk() throws Exception {
        assumeTrue(Files.isExecutable(JDK25), "no JDK 25 at " + JDK25 + " (set LLM_TEST_JDK25)");
        Process training = start(List.of("--train-aot"), Map.of("JAVA", JDK25.toString(),
                "AOT_CACHE", cache().toString()), dir.resolve("training.log"));
        assertThat(training.waitFor(300, TimeUnit.SECONDS)).as("training ends").isTrue();
        assertThat(training.exitValue()).as(Files.readString(dir.resolve("training.log"))).isZero();
        assertThat(Files.size(cache())).as("a cache of the loaded classes").isGreaterThan(1_000_000);

        assertThat(serveAndReadCommandLine(JDK25.toString())).contains("-XX:AOTCache=" + cache());
        if (Runtime.version().feature() < 25) {
            assertThat(serveAndReadCommandLine(javaOfThisJvm())).noneMatch(arg -> arg.startsWith("-XX:AOTCache"));
        }
    }

    /** Starts the proxy through the script with {@code java}, checks it answers, returns its JVM's arguments. */
    private List<String> serveAndReadCommandLine(String java) throws Exception {
        Path log = dir.resolve("serve-" + Math.abs(java.hashCode()) + ".log");
        Process p = start(List.of(), Map.of("JAVA", java, "AOT_CACHE", cache().toString(), "PORT", "0"), log);
        try {
            int port = awaitPort(p, log);
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            // the script execs the JVM: the process started is the proxy itself
            String cmdline = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"),
                    StandardCharsets.UTF_8);
            return List.of(cmdline.split("\0"));
        } finally {
            p.destroy();
            if (!p.waitFor(40, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private Path cache() {
        return dir.resolve("llm-proxy.aot");
    }

    private Process start(List<String> args, Map<String, String> env, Path log) throws IOException {
        List<String> command = new java.util.ArrayList<>();
        command.add(START.toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        for (String name : List.of("CONFIG_FILE", "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT",
                "GITHUB_TOKEN", "REDIS_URL", "PROXY_SERVER_KEY", "JAVA_OPTS")) {
            environment.remove(name);
        }
        environment.putAll(env);
        return builder.start();
    }

    private static int awaitPort(Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(Files.readString(log));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            assertThat(p.isAlive()).as("the proxy exited: " + Files.readString(log)).isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("no listening line within 120 s: " + Files.readString(log));
    }

    private static String javaOfThisJvm() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
