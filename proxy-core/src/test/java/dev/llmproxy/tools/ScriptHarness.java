package dev.llmproxy.tools;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the repository's shell scripts for the script tests, and plays the server they manage: a tiny Python HTTP
 * server that answers {@code /health} (status from {@code FAKE_HEALTH_STATUS}) on {@code PORT} and appends its PID
 * to {@code FAKE_STARTS}. Processes are looked at through {@code /proc}, where a zombie counts as gone.
 */
final class ScriptHarness {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final String FAKE_SERVER = """
            import http.server, os
            port = int(os.environ["PORT"])
            status = int(os.environ.get("FAKE_HEALTH_STATUS", "200"))
            with open(os.environ["FAKE_STARTS"], "a") as starts:
                starts.write(str(os.getpid()) + "\\n")
            class Health(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(status if self.path == "/health" else 404)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                def log_message(self, *args):
                    pass
            http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
            """;

    private ScriptHarness() {
    }

    /** What a finished command printed. */
    record Result(int exit, String out, String err) {
        String printed() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    /** Debian's interpreter when there is one: a version manager's shim can take seconds to start. */
    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    static Path writeFakeServer(Path dir) throws IOException {
        return Files.writeString(dir.resolve("fake_server.py"), FAKE_SERVER);
    }

    static Result run(Path dir, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(env);
        // beside the test, not in dir: dir may be the repository
        Path out = Files.createTempFile("script-out", ".txt");
        Path err = Files.createTempFile("script-err", ".txt");
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + List.of(command) + "\n" + Files.readString(err));
        }
        Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return result;
    }

    /** Starts a process of the test's own (a decoy, a stand-in), output discarded. */
    static Process spawn(Path dir, Map<String, String> env, String... command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(env);
        return builder.start();
    }

    /** Whether the process exists and is not a zombie. */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException e) {
            return false;
        }
    }

    /** The command line of a process, its arguments joined by spaces; empty when it is gone. */
    static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** The status of {@code GET http://127.0.0.1:port/health}, or -1 when nothing answers. */
    static int health(int port) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health")
                    .toURL().openConnection();
            connection.setConnectTimeout(2000);
            connection.setReadTimeout(2000);
            try {
                return connection.getResponseCode();
            } finally {
                connection.disconnect();
            }
        } catch (IOException e) {
            return -1;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** PIDs the fake server wrote, one per start. */
    static List<Long> starts(Path file) throws IOException {
        List<Long> pids = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        }
        return pids;
    }

    /**
     * Ends processes this test had started, by their PIDs, each only while its command line still contains
     * {@code marker} (a PID of a process that ended may have been reused since).
     */
    static void kill(List<Long> pids, String marker) {
        for (long pid : pids) {
            if (commandLine(pid).contains(marker)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
