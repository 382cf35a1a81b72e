package dev.llmproxy.bench.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time (user + system) a process and its descendants have used, from {@code /proc/<pid>/stat}: nginx is a
 * master with workers, the JVMs are one process. On a shared machine CPU per request is steadier than latency.
 */
final class ProcessCpu {
    /** USER_HZ: the unit of the stat file's times; 100 on every Linux the bench runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessCpu() {
    }

    /** Seconds of CPU used so far by {@code pid} and its live descendants; NaN when it cannot be read. */
    static double seconds(long pid) {
        try {
            double total = ticks(pid);
            for (ProcessHandle child : ProcessHandle.of(pid).map(h -> h.descendants().toList())
                    .orElse(java.util.List.of())) {
                total += ticks(child.pid());
            }
            return total / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Seconds of CPU used so far by the JIT compiler threads of a JVM ({@code C1/C2 CompilerThre…}). */
    static double compilerSeconds(long pid) {
        long total = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm")).contains("CompilerThre")) {
                        String stat = Files.readString(task.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        total += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return total / TICKS_PER_SECOND;
    }

    private static long ticks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    }
}
