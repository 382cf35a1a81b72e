package dev.llmproxy.tools;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.llmproxy.tools.ScriptHarness.health;
import static dev.llmproxy.tools.ScriptHarness.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code scripts/watchdog.sh} run by bash with a tiny fake server as {@code WATCH_CMD}: it restarts a killed or
 * unhealthy server within its interval, stops restarting past {@code MAX_RESTARTS_MIN}, logs with UTC timestamps,
 * and on SIGTERM stops the server it started and nothing else.
 */
class WatchdogScriptIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String TIMESTAMP = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ ";

    @TempDir
    Path dir;

    private final List<Process> ours = new ArrayList<>();
    private Path starts;
    private Path log;
    private int port;
    private Map<String, String> env;

    @BeforeEach
    void setUp() throws IOException {
        ScriptHarness.writeFakeServer(dir);
        starts = dir.resolve("starts.log");
        log = dir.resolve("watchdog.log");
        port = ScriptHarness.freePort();
        env = new HashMap<>(Map.of("PORT", Integer.toString(port), "INTERVAL", "1", "RESTART_DELAY", "0",
                "START_GRACE", "0", "HEALTH_FAILURES", "1", "STOP_TIMEOUT", "10", "FAKE_STARTS", starts.toString(),
                "WATCH_CMD", ScriptHarness.python() + " " + dir.resolve("fake_server.py")));
    }

    @AfterEach
    void cleanUp() throws IOException {
        ours.forEach(Process::destroyForcibly);
        ScriptHarness.kill(ScriptHarness.starts(starts), dir.toString());
    }

    private Process watchdog() throws IOException {
        Process watchdog = ScriptHarness.spawn(dir, env, "bash",
                ScriptHarness.ROOT.resolve("scripts/watchdog.sh").toString());
        ours.add(watchdog);
        return watchdog;
    }

    private String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Test
    void restartsAKilledServerAndStopsOnlyItsOwnOnSigterm() throws Exception {
        Process decoy = ScriptHarness.spawn(dir, Map.of("PORT", Integer.toString(ScriptHarness.freePort()),
                "FAKE_STARTS", dir.resolve("decoy.log").toString()), env.get("WATCH_CMD").split(" "));
        ours.add(decoy);
        Process watchdog = watchdog();
        await().atMost(PATIENCE).until(() -> ScriptHarness.starts(starts).size() == 1 && health(port) == 200);
        long first = ScriptHarness.starts(starts).get(0);

        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        await().atMost(PATIENCE).until(() -> ScriptHarness.starts(starts).size() == 2 && health(port) == 200);
        long second = ScriptHarness.starts(starts).get(1);
        assertThat(logText()).containsPattern(TIMESTAMP + "server \\(pid " + first + "\\) exited with status 137")
                .containsPattern(TIMESTAMP + "started server \\(pid " + second + "\\)");

        watchdog.destroy(); // SIGTERM
        assertThat(watchdog.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(watchdog.exitValue()).isZero();
        await().atMost(PATIENCE).until(() -> !running(second));
        assertThat(decoy.isAlive()).as("a server the watchdog did not start").isTrue();
        assertThat(logText()).containsPattern(TIMESTAMP + "received SIGTERM; stopping the server this watchdog"
                + " started \\(pid " + second + "\\)").containsPattern(TIMESTAMP + "watchdog stopped\n$");
        assertThat(logText().lines()).allMatch(line -> line.matches(TIMESTAMP + ".*"));
    }

    @Test
    void restartsAServerThatAnswersButIsUnhealthy() throws Exception {
        env.put("FAKE_HEALTH_STATUS", "503");
        env.put("MAX_RESTARTS_MIN", "2");
        Process watchdog = watchdog();
        await().atMost(PATIENCE).until(() -> ScriptHarness.starts(starts).size() == 2);
        long first = ScriptHarness.starts(starts).get(0);
        assertThat(running(first)).as("its process group was stopped").isFalse();
        assertThat(logText()).contains("server (pid " + first + ") failed 1 health checks in a row; restarting it");
        watchdog.destroy();
        assertThat(watchdog.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void stopsRestartingPastTheThrottle() throws Exception {
        env.put("WATCH_CMD", ScriptHarness.python() + " -c 'import os; open(os.environ[\"FAKE_STARTS\"], \"a\")"
                + ".write(\"1\\n\"); raise SystemExit(3)'");
        env.put("INTERVAL", "0.2");
        env.put("MAX_RESTARTS_MIN", "3");
        Process watchdog = watchdog();
        await().atMost(PATIENCE).until(() -> logText().split("restart throttled", -1).length > 3);
        assertThat(ScriptHarness.starts(starts)).as("three starts, then none").hasSize(3);
        assertThat(logText()).contains("exited with status 3",
                "restart throttled: 3 starts in the last 60 s (MAX_RESTARTS_MIN=3)");
        watchdog.destroy();
        assertThat(watchdog.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(watchdog.exitValue()).isZero();
    }
}
