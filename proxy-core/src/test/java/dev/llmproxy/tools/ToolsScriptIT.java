package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.llmproxy.tools.ScriptHarness.Result;
import static dev.llmproxy.tools.ScriptHarness.health;
import static dev.llmproxy.tools.ScriptHarness.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code scripts/tools.sh} run by bash: start waits for {@code /health} and writes a PID file; stop ends exactly
 * that process — never a look-alike, never a process that reused the PID — and start reports a server that dies
 * or never answers with the end of its log. One test runs the real proxy and the CLI tools through it.
 */
class ToolsScriptIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<Process> ours = new ArrayList<>();
    private Path pidFile;
    private Path starts;
    private String serverCommand;
    private int port;
    private Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        ScriptHarness.writeFakeServer(dir);
        pidFile = dir.resolve("llm-proxy.pid");
        starts = dir.resolve("starts.log");
        serverCommand = ScriptHarness.python() + " " + dir.resolve("fake_server.py");
        port = ScriptHarness.freePort();
        env = new HashMap<>(Map.of("PORT", Integer.toString(port), "PID_FILE", pidFile.toString(),
                "LOG_FILE", dir.resolve("llm-proxy.log").toString(), "SERVER_CMD", serverCommand,
                "FAKE_STARTS", starts.toString(), "START_TIMEOUT", "60", "STOP_TIMEOUT", "20"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        ours.forEach(Process::destroyForcibly);
        ScriptHarness.kill(ScriptHarness.starts(starts), dir.toString());
        if (Files.exists(pidFile)) {
            ScriptHarness.kill(List.of(Long.parseLong(Files.readString(pidFile).trim())), dir.toString());
        }
    }

    private Result tools(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", ScriptHarness.ROOT.resolve("scripts/tools.sh")
                .toString()));
        command.addAll(List.of(args));
        return ScriptHarness.run(dir, env, command.toArray(String[]::new));
    }

    /** A process of the test's own running the very command tools.sh runs, on another port. */
    private Process decoy() throws Exception {
        Process decoy = ScriptHarness.spawn(dir, Map.of("PORT", Integer.toString(ScriptHarness.freePort()),
                "FAKE_STARTS", dir.resolve("decoy.log").toString()), serverCommand.split(" "));
        ours.add(decoy);
        await().atMost(PATIENCE).until(() -> Files.exists(dir.resolve("decoy.log")));
        assertThat(ScriptHarness.commandLine(decoy.pid())).isEqualTo(serverCommand);
        return decoy;
    }

    @Test
    void stopEndsExactlyThePidItStartedAndLeavesALookAlikeRunning() throws Exception {
        Result started = tools("start");
        assertThat(started.exit()).as(started.printed()).isZero();
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(started.out()).contains("llm-proxy is up at http://127.0.0.1:" + port + " (pid " + pid + ")");
        assertThat(ScriptHarness.starts(starts)).containsExactly(pid);
        assertThat(health(port)).isEqualTo(200);
        Process decoy = decoy();

        Result again = tools("start");
        assertThat(again.out()).contains("already running (pid " + pid);
        assertThat(ScriptHarness.starts(starts)).as("no second server").hasSize(1);
        Result status = tools("status");
        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains("running (pid " + pid + ") and healthy");

        Result stopped = tools("stop");
        assertThat(stopped.exit()).as(stopped.printed()).isZero();
        assertThat(stopped.out()).contains("stopping llm-proxy (pid " + pid + ")", "llm-proxy stopped");
        await().atMost(PATIENCE).until(() -> !running(pid));
        assertThat(decoy.isAlive()).as("the look-alike survives").isTrue();
        assertThat(pidFile).doesNotExist();

        assertThat(tools("status").exit()).as("not running").isEqualTo(3);
        assertThat(tools("stop").out()).contains("not running (no " + pidFile + ")");
    }

    @Test
    void stopLeavesAProcessThatReusedThePidOrIsNotTheProxyAlone() throws Exception {
        Process decoy = decoy();
        // the PID file is older than the process it names: the number was reused after the proxy ended
        Files.writeString(pidFile, decoy.pid() + "\n");
        Files.setLastModifiedTime(pidFile, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        Result reused = tools("stop");
        assertThat(reused.exit()).as(reused.printed()).isZero();
        assertThat(reused.out()).contains("pid " + decoy.pid() + " started after", "left it alone");
        assertThat(pidFile).doesNotExist();
        assertThat(decoy.isAlive()).isTrue();

        Process stranger = ScriptHarness.spawn(dir, Map.of(), "sleep", "300");
        ours.add(stranger);
        Files.writeString(pidFile, stranger.pid() + "\n");
        Result refused = tools("stop");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("pid " + stranger.pid() + " in " + pidFile
                + " does not look like llm-proxy (command line: sleep 300 ); not stopping it");
        assertThat(stranger.isAlive()).isTrue();
        assertThat(pidFile).as("kept for the operator to look at").exists();
        assertThat(tools("status").exit()).isEqualTo(3);
    }

    @Test
    void startReportsAServerThatDiesOrNeverAnswersWithItsLog() throws Exception {
        env.put("SERVER_CMD", ScriptHarness.python() + " -c 'import sys; print(\"bind: port taken\"); sys.exit(4)'");
        Result died = tools("start");
        assertThat(died.exit()).isEqualTo(1);
        assertThat(died.err()).contains("llm-proxy exited during start-up", "bind: port taken");
        assertThat(pidFile).doesNotExist();

        env.put("SERVER_CMD", "sleep 120");
        env.put("START_TIMEOUT", "2");
        Result silent = tools("start");
        assertThat(silent.exit()).isEqualTo(1);
        assertThat(silent.err()).contains("/health did not answer within 2 s");
        long pid = Long.parseLong(silent.err().replaceAll("(?s).*stopped pid (\\d+).*", "$1"));
        await().atMost(PATIENCE).until(() -> !running(pid));
        assertThat(pidFile).doesNotExist();
    }

    @Test
    void helpListsTheCommandsAndAnUnknownOneFails() throws Exception {
        Result help = tools("help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("start", "stop", "status", "test", "benchmark", "generate", "health",
                "setup", "logs");
        Result unknown = tools("frobnicate");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("Usage: scripts/tools.sh COMMAND");
    }

    @Test
    void runsTheRealProxyAndItsToolsThenStopsItGracefully() throws Exception {
        Path jar = ScriptHarness.ROOT.resolve("proxy-core/target/proxy-core-0.1.0-SNAPSHOT-all.jar");
        assumeTrue(Files.isRegularFile(jar), "the jar is built by `mvn package`, before the integration tests");
        env.put("LLM_PROXY_JAR", jar.toString());
        env.put("SERVER_CMD", "java -Xmx256m -jar " + jar + " serve --env-file /dev/null");
        env.put("SERVER_MATCH", jar.getFileName().toString());
        env.put("DEMO_TOKEN_DELAY_MS", "0");
        env.put("START_TIMEOUT", "150");
        env.put("JAVA_OPTS", "-Xmx128m");

        Result setup = tools("setup");
        assertThat(setup.exit()).as(setup.printed()).isZero();
        assertThat(dir.resolve(".env")).exists();
        Files.writeString(dir.resolve(".env"), "# mine\n", java.nio.file.StandardOpenOption.APPEND);
        assertThat(tools("setup").out()).contains(".env exists; left unchanged");
        assertThat(Files.readString(dir.resolve(".env"))).endsWith("# mine\n");

        Result started = tools("start");
        assertThat(started.exit()).as(started.printed()).isZero();
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        Result healthy = tools("health");
        assertThat(healthy.exit()).as(healthy.printed()).isZero();
        assertThat(healthy.out()).contains("demo      openai-compatible").endsWith("healthy\n");
        Result models = tools("models", "--json");
        JsonNode upstreams = Json.MAPPER.readTree(models.out()).path("upstreams");
        assertThat(upstreams.at("/0/models").size()).isPositive();
        String model = upstreams.at("/0/models/0/id").asText();
        Result test = tools("test", "--model", model, "--prompt", "Hi", "--max-tokens", "5");
        assertThat(test.exit()).as(test.printed()).isZero();
        assertThat(test.out()).contains("tokens ", " completion");

        Result stopped = tools("stop");
        assertThat(stopped.exit()).as(stopped.printed()).isZero();
        assertThat(stopped.out()).contains("llm-proxy stopped");
        await().atMost(PATIENCE).until(() -> !running(pid));
        assertThat(Files.readString(dir.resolve("llm-proxy.log"))).contains("shutting down");
        assertThat(tools("logs", "--no-follow").out()).contains("shutting down");
    }
}
