package dev.llmproxy.bench.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server the bench starts in its own process (the demo upstream, the proxy, nginx): its output goes straight to a
 * log file in the results directory (not through a pipe to the bench, so the server neither blocks nor loses its log
 * if the bench dies), and {@link #awaitLine} waits for the line that says where it listens. {@link #close} stops it
 * (SIGTERM, then SIGKILL after a grace period); a JVM shutdown hook does the same if the bench dies.
 *
 * <p>Threading: one watcher thread per process reads the log until the ready line appears or the process exits; the
 * rest is called from the bench's main thread.
 */
final class ChildProcess implements AutoCloseable {
    private static final long WATCH_PAUSE_MS = 20;

    private final String name;
    private final Process process;
    private final CompletableFuture<Matcher> match = new CompletableFuture<>();
    private final Thread hook;

    private ChildProcess(String name, Process process, Path log, Pattern ready) {
        this.name = name;
        this.process = process;
        if (ready != null) {
            Thread watcher = new Thread(() -> watch(log, ready), "bench-child-" + name);
            watcher.setDaemon(true);
            watcher.start();
        }
        hook = new Thread(this::kill, "bench-stop-" + name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Reads {@code log} as it grows until a line matches {@code ready}; fails the match when the process exits first. */
    private void watch(Path log, Pattern ready) {
        try (BufferedReader in = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
            StringBuilder partial = new StringBuilder();
            while (true) {
                boolean exited = !process.isAlive();
                int c;
                while ((c = in.read()) >= 0) {
                    if (c != '\n') {
                        partial.append((char) c);
                        continue;
                    }
                    Matcher m = ready.matcher(partial);
                    if (m.find()) {
                        match.complete(m);
                        return;
                    }
                    partial.setLength(0);
                }
                if (exited) {
                    break;
                }
                Thread.sleep(WATCH_PAUSE_MS);
            }
        } catch (IOException e) {
            match.completeExceptionally(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        match.completeExceptionally(new IOException(name + " exited before it was ready (see " + log + ")"));
    }

    static ChildProcess start(String name, List<String> command, Map<String, String> env, Path log, Pattern ready)
            throws IOException {
        Files.deleteIfExists(log);
        Files.createFile(log);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        Process process = builder.start();
        String pids = System.getProperty("llm.bench.pids");
        if (pids != null) {
            // scripts/bench.sh stops these if this JVM is killed before its shutdown hooks run
            Files.writeString(Path.of(pids), name + " " + process.pid() + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        return new ChildProcess(name, process, log, ready);
    }

    /** The first output line matching the ready pattern, within {@code seconds}. */
    Matcher awaitLine(int seconds) throws Exception {
        try {
            return match.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(name + " printed no ready line within " + seconds + " s");
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    private void kill() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }
}
