package dev.llmproxy.bench.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
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
 * A server the bench starts in its own process (the demo upstream, the proxy, nginx): its output goes to a log file
 * in the results directory, and {@link #awaitLine} waits for the line that says where it listens. {@link #close}
 * stops it (SIGTERM, then SIGKILL after a grace period); a JVM shutdown hook does the same if the bench dies.
 *
 * <p>Threading: one reader thread per process copies its output; the rest is called from the bench's main thread.
 */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final CompletableFuture<Matcher> match = new CompletableFuture<>();
    private final Thread hook;

    private ChildProcess(String name, Process process, Path log, Pattern ready) throws IOException {
        this.name = name;
        this.process = process;
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.println(line);
                    if (ready != null && !match.isDone()) {
                        Matcher m = ready.matcher(line);
                        if (m.find()) {
                            match.complete(m);
                        }
                    }
                }
            } catch (IOException e) {
                // the process went away; its exit is noticed by awaitLine or close
            } finally {
                out.close();
                match.completeExceptionally(new IOException(name + " exited before it was ready (see " + log + ")"));
            }
        }, "bench-child-" + name);
        reader.setDaemon(true);
        reader.start();
        hook = new Thread(this::kill, "bench-stop-" + name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static ChildProcess start(String name, List<String> command, Map<String, String> env, Path log, Pattern ready)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
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
