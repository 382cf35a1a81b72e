package dev.llmproxy.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real {@code redis-server} (Debian's package) on a free loopback port for one test class: started before the
 * class with no persistence ({@code --save '' --appendonly no}), ready once it answers PING, killed after. Tests can
 * freeze it ({@link #freeze()}, SIGSTOP: the socket stays open and nothing answers, like a stalled server), thaw it,
 * kill it with SIGKILL ({@link #kill()}) and start it again on the same port ({@link #restart()}), empty.
 *
 * <p>Register with {@code @RegisterExtension static final RedisServer REDIS = new RedisServer();}. Threading: the
 * test thread.
 */
public final class RedisServer implements BeforeAllCallback, AfterAllCallback {

    private static final Duration READY_WITHIN = Duration.ofSeconds(20);

    private int port;
    private Path dir;
    private Process process;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        port = freePort();
        dir = Files.createTempDirectory("redis-test");
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException, InterruptedException {
        stopForcibly();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** SIGSTOP: the connection stays up, every command waits. */
    public void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** SIGCONT after {@link #freeze()}: the commands that waited are answered. */
    public void thaw() throws IOException, InterruptedException {
        signal("-CONT");
    }

    /** SIGKILL: connections reset, the data and the script cache are gone. */
    public void kill() throws InterruptedException {
        stopForcibly();
    }

    /** Whether the server process runs (it may be frozen). */
    public boolean running() {
        return process != null && process.isAlive();
    }

    /** A fresh, empty server on the same port. */
    public void restart() throws IOException, InterruptedException {
        stopForcibly();
        start();
    }

    /** Opens a socket to the server and writes one command in RESP; the caller reads the reply and closes it. */
    private Socket send(String... words) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            socket.setSoTimeout(2_000);
            StringBuilder resp = new StringBuilder("*").append(words.length).append("\r\n");
            for (String w : words) {
                byte[] bytes = w.getBytes(StandardCharsets.UTF_8);
                resp.append('$').append(bytes.length).append("\r\n").append(w).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(resp.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Runs one command over a plain socket and returns the first line of the reply, e.g. {@code +OK}. */
    public String command(String... words) throws IOException {
        try (Socket socket = send(words)) {
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
        }
    }

    /** Runs one command and returns its reply's value: a bulk string's content, or the first line otherwise. */
    public String value(String... words) throws IOException {
        try (Socket socket = send(words)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String first = in.readLine();
            return first.startsWith("$") && !first.equals("$-1") ? in.readLine() : first;
        }
    }

    private void start() throws IOException {
        process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--loglevel", "warning"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        await("redis-server answering PING on port " + port).atMost(READY_WITHIN)
                .pollInterval(Duration.ofMillis(20))
                .until(this::answersPing);
    }

    private boolean answersPing() {
        if (!process.isAlive()) {
            throw new IllegalStateException("redis-server exited with " + process.exitValue() + "; see "
                    + dir.resolve("redis.log"));
        }
        try {
            return "+PONG".equals(command("PING"));
        } catch (IOException e) {
            return false;
        }
    }

    private void stopForcibly() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
