package dev.llmproxy.tools;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * What the operator tools take from the process rather than from their options: the environment (for
 * {@code PROXY_URL}, {@code PROXY_KEY}, {@code PROXY_SERVER_KEY}), standard input (the interactive quick test), a
 * way to wait between paced requests, and whether standard error is a terminal (the progress bar). Tests pass their
 * own, so no tool reads {@link System#getenv()} or sleeps for real under test. Immutable.
 *
 * @param environment       the process environment, or a test's
 * @param stdin             where the interactive quick test reads its answers
 * @param sleeper           how paced tools wait between requests
 * @param stderrIsTerminal  whether standard error is a terminal (progress bars only draw there)
 */
public record ToolContext(Map<String, String> environment, InputStream stdin, Sleeper sleeper,
                          boolean stderrIsTerminal) {

    /** Waits between paced requests; {@link #system()} sleeps the calling (never an event-loop) thread. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;

        static Sleeper system() {
            return duration -> {
                if (!duration.isNegative() && !duration.isZero()) {
                    Thread.sleep(duration.toMillis());
                }
            };
        }
    }

    public ToolContext {
        environment = Map.copyOf(environment);
    }

    /** The running process: its environment and standard input as given, real sleeps, a terminal check on fd 2. */
    public static ToolContext system(Map<String, String> environment, InputStream stdin) {
        return new ToolContext(environment, stdin, Sleeper.system(), isTerminal(2));
    }

    /**
     * Whether file descriptor {@code fd} of this process is a terminal; Linux only ({@code /proc/self/fd}), false
     * elsewhere. {@link System#console()} cannot tell: on Java 17 it looks at standard input and output, not error.
     */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
