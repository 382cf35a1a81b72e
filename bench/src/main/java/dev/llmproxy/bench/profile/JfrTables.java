package dev.llmproxy.bench.profile;

import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one JFR recording of the proxy under a known number of requests into the per-request tables
 * {@code scripts/profile.sh} prints: bytes allocated per request (the sum of {@code jdk.ObjectAllocationSample}
 * weights, which JFR scales to stand for all allocation) and the classes that allocate most, the hottest methods
 * (top frames of {@code jdk.ExecutionSample}), how often threads were sampled in native code against Java, and GC time.
 *
 * <pre>{@code
 * java -cp bench/target/llm-bench.jar dev.llmproxy.bench.profile.JfrTables recording.jfr REQUESTS [LABEL]
 * }</pre>
 */
public final class JfrTables {
    private static final int TOP = 12;

    private JfrTables() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: JfrTables RECORDING.jfr REQUESTS [LABEL]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        long requests = Long.parseLong(args[1]);
        String label = args.length > 2 ? args[2] : file.getFileName().toString();
        System.out.print(render(file, requests, label));
    }

    static String render(Path file, long requests, String label) throws IOException {
        Map<String, Long> allocationByClass = new HashMap<>();
        Map<String, Long> allocationByFrame = new HashMap<>();
        Map<String, Long> hotMethods = new HashMap<>();
        long allocated = 0;
        long javaSamples = 0;
        long nativeSamples = 0;
        Duration gc = Duration.ZERO;
        long gcCount = 0;
        Map<Long, long[]> perThread = new HashMap<>(); // thread id -> {first, last} allocated bytes
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            switch (e.getEventType().getName()) {
                case "jdk.ObjectAllocationSample" -> {
                    long weight = e.getLong("weight");
                    allocated += weight;
                    RecordedClass type = e.getClass("objectClass");
                    allocationByClass.merge(type == null ? "?" : type.getName(), weight, Long::sum);
                    allocationByFrame.merge(firstOwnFrame(e.getStackTrace()), weight, Long::sum);
                }
                case "jdk.ExecutionSample" -> {
                    javaSamples++;
                    hotMethods.merge(topFrame(e.getStackTrace()), 1L, Long::sum);
                }
                case "jdk.NativeMethodSample" -> nativeSamples++;
                case "jdk.ThreadAllocationStatistics" -> {
                    long bytes = e.getLong("allocated");
                    long[] range = perThread.computeIfAbsent(e.getThread("thread").getJavaThreadId(),
                            t -> new long[] {bytes, bytes});
                    range[0] = Math.min(range[0], bytes);
                    range[1] = Math.max(range[1], bytes);
                }
                case "jdk.GarbageCollection" -> {
                    gc = gc.plus(e.getDuration("sumOfPauses"));
                    gcCount++;
                }
                default -> {
                    // not tabulated
                }
            }
        }
        long exact = 0;
        for (long[] range : perThread.values()) {
            exact += range[1] - range[0];
        }
        StringBuilder md = new StringBuilder();
        md.append("#### ").append(label).append("\n\n");
        md.append(String.format(Locale.ROOT, "%d requests; allocated **%.1f KB per request** (every thread's"
                        + " allocation counter from the recording's start to its end: %.1f MB; the sampled estimate"
                        + " below: %.1f KB per request); %d Java samples, %d native samples (native / Java %.2f);"
                        + " %d GCs, %.0f ms of pauses (%.2f µs per request).%n%n", requests, exact / 1024.0 / requests,
                exact / 1e6, allocated / 1024.0 / requests,
                javaSamples, nativeSamples, javaSamples == 0 ? Double.NaN : (double) nativeSamples / javaSamples,
                gcCount, gc.toNanos() / 1e6, gc.toNanos() / 1e3 / requests));
        md.append("| Allocated type | share | bytes per request |\n|---|---:|---:|\n");
        for (Map.Entry<String, Long> e : top(allocationByClass)) {
            md.append(String.format(Locale.ROOT, "| `%s` | %.1f%% | %.0f |%n", e.getKey(),
                    100.0 * e.getValue() / Math.max(1, allocated), (double) e.getValue() / requests));
        }
        md.append("\n| Allocating frame (first outside java.*/jdk.*) | share | bytes per request |\n|---|---:|---:|\n");
        for (Map.Entry<String, Long> e : top(allocationByFrame)) {
            md.append(String.format(Locale.ROOT, "| `%s` | %.1f%% | %.0f |%n", e.getKey(),
                    100.0 * e.getValue() / Math.max(1, allocated), (double) e.getValue() / requests));
        }
        md.append("\n| Hot method (top frame) | share of Java samples |\n|---|---:|\n");
        for (Map.Entry<String, Long> e : top(hotMethods)) {
            md.append(String.format(Locale.ROOT, "| `%s` | %.1f%% |%n", e.getKey(),
                    100.0 * e.getValue() / Math.max(1, javaSamples)));
        }
        md.append('\n');
        return md.toString();
    }

    private static List<Map.Entry<String, Long>> top(Map<String, Long> counts) {
        List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        return entries.subList(0, Math.min(TOP, entries.size()));
    }

    private static String topFrame(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "?";
        }
        return name(stack.getFrames().get(0));
    }

    /** The first frame not in the JDK: who asked for the allocation. */
    private static String firstOwnFrame(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "?";
        }
        for (RecordedFrame f : stack.getFrames()) {
            String type = f.getMethod().getType().getName();
            if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) {
                return name(f);
            }
        }
        return name(stack.getFrames().get(0));
    }

    private static String name(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        int dot = type.lastIndexOf('.');
        return (dot >= 0 ? type.substring(dot + 1) : type) + "." + f.getMethod().getName();
    }
}
