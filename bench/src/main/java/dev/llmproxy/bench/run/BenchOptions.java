package dev.llmproxy.bench.run;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every knob of a bench run. Options left unset take the value of the mode ({@code quick} or {@code full}); the
 * {@code quick} values keep the whole run under two minutes on two cores, the {@code full} ones are what
 * BENCHMARKS.md reports.
 */
final class BenchOptions {
    @Parameters(index = "0", defaultValue = "quick", paramLabel = "MODE",
            description = "quick (under 2 minutes, short steps) or full (what BENCHMARKS.md reports; about 10-15"
                    + " minutes). Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Results directory. Default: bench/target/bench-results/<timestamp>.")
    Path out;

    @Option(names = "--jar", paramLabel = "JAR", defaultValue = "proxy-core/target/proxy-core-0.1.0-SNAPSHOT-all.jar",
            description = "proxy-core's runnable jar: runs both the demo upstream and the proxy."
                    + " Default: ${DEFAULT-VALUE}.")
    Path jar;

    @Option(names = "--java", paramLabel = "PATH",
            description = "java binary for the upstream and proxy JVMs. Default: the one running the bench.")
    String javaBinary;

    @Option(names = "--proxy-jvm-args", paramLabel = "ARGS", defaultValue = "",
            description = "JVM flags of the proxy, space separated (e.g. \"-Xmx512m -XX:+UseZGC\"). Default: none.")
    String proxyJvmArgs;

    @Option(names = "--upstream-jvm-args", paramLabel = "ARGS", defaultValue = "",
            description = "JVM flags of the demo upstream. Default: none.")
    String upstreamJvmArgs;

    @Option(names = "--upstream-event-loops", paramLabel = "N", defaultValue = "1",
            description = "Event loops serving the demo upstream's connections (demo-upstream --event-loops);"
                    + " it accepts on a loop of its own besides. Default: ${DEFAULT-VALUE}.")
    int upstreamEventLoops;

    @Option(names = "--proxy-setting", paramLabel = "KEY=VALUE",
            description = "An extra proxy setting (env), over the bench's; repeatable (e.g. IO_THREADS=1).")
    Map<String, String> proxySettings = new LinkedHashMap<>();

    @Option(names = "--nginx", paramLabel = "PATH", defaultValue = "/usr/sbin/nginx",
            description = "nginx binary for the peer. Default: ${DEFAULT-VALUE}; missing = peer skipped.")
    String nginx;

    @Option(names = "--no-nginx", description = "Run without the nginx peer.")
    boolean noNginx;

    @Option(names = "--nginx-workers", paramLabel = "N",
            description = "nginx worker_processes. Default: the number of cores.")
    Integer nginxWorkers;

    @Option(names = "--scenarios", paramLabel = "LIST", split = ",",
            description = "Which scenarios, comma separated, from: unary, frontier, sse, slow, audio, soak,"
                    + " redis, and sse-ramp (the concurrent-streams ramp of sse alone). Default: unary, frontier,"
                    + " sse, slow, audio, soak.")
    List<String> scenarios = new ArrayList<>(List.of("unary", "frontier", "sse", "slow", "audio", "soak"));

    @Option(names = "--redis", description = "Add the redis scenario: a client key's limits kept in a local"
            + " redis-server (REDIS_URL) against the same limits in-process; needs redis-server on the PATH.")
    boolean redis;

    @Option(names = "--redis-cpus", description = "CPUs for the redis scenario's redis-server, as taskset takes them"
            + " (e.g. 1), so that Redis can have a core of its own: run the bench itself under `taskset -c 0`."
            + " Default: wherever the system puts it.")
    String redisCpus;

    @Option(names = "--client-threads", paramLabel = "N", defaultValue = "1",
            description = "Event loops of the load generator. Default: ${DEFAULT-VALUE}.")
    int clientThreads;

    @Option(names = "--jit-warmup", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Before any scenario, the proxy (and with it the upstream) is driven this long with unary"
                    + " requests (16 at once), then half as long with SSE streams (32 at once), so that the JIT has"
                    + " compiled the paths measured; 0 = none (quick 3s, full 20s).")
    Duration jitWarmup;

    @Option(names = "--warmup", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Warm-up of each target right before the unary measurements (and, in full mode, the SSE"
                    + " ones), results discarded (quick 1s, full 5s).")
    Duration warmup;

    @Option(names = "--rate", paramLabel = "RPS",
            description = "Unary zero-delay scenario: arrival rate (quick 500, full 1000).")
    Double rate;

    @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Unary zero-delay scenario: length of each measurement, open loop and concurrency 1"
                    + " (quick 3s, full 15s).")
    Duration duration;

    @Option(names = "--c1-duration", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Unary zero-delay scenario: length of the concurrency-1 measurement (quick 2s, full 10s).")
    Duration concurrencyOneDuration;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "256",
            description = "Connection pool bound of the open-loop unary runs. Default: ${DEFAULT-VALUE}.")
    int connections;

    @Option(names = "--frontier-start", paramLabel = "RPS",
            description = "20 ms scenario: first rate (quick 200, full 200).")
    Double frontierStart;

    @Option(names = "--frontier-factor", paramLabel = "X",
            description = "20 ms scenario: each step multiplies the rate by this (quick 2, full 1.5).")
    Double frontierFactor;

    @Option(names = "--frontier-step", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "20 ms scenario: length of each step (quick 1s, full 6s).")
    Duration frontierStep;

    @Option(names = "--frontier-max-steps", paramLabel = "N",
            description = "20 ms scenario: at most this many steps (quick 4, full 14).")
    Integer frontierMaxSteps;

    @Option(names = "--sse-rate", paramLabel = "RPS",
            description = "SSE scenario: stream arrival rate of the TTFT / gap measurement; each stream lasts about"
                    + " 1.3 s, so 50/s holds about 64 open (quick 25, full 50).")
    Double sseRate;

    @Option(names = "--sse-duration", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "SSE scenario: length of the TTFT / gap measurement (quick 2.5s, full 20s).")
    Duration sseDuration;

    @Option(names = "--sse-max-streams", paramLabel = "N",
            description = "SSE scenario: the ramp 64, 128, … stops here (quick 512, full 8192).")
    Integer sseMaxStreams;

    @Option(names = "--sse-ramp-start", paramLabel = "N",
            description = "SSE scenario: streams of the first ramp level (quick 128, full 64).")
    Integer sseRampStart;

    @Option(names = "--sse-ramp-factor", paramLabel = "X",
            description = "SSE scenario: each ramp level multiplies the streams by this; the top level is"
                    + " --sse-max-streams (quick 4: 128, 512; full 2: 64, 128, …, 8192).")
    Integer sseRampFactor;

    @Option(names = "--sse-level", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "SSE scenario: how long each ramp level holds its streams (quick 2s, full 6s).")
    Duration sseLevel;

    @Option(names = "--stall-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "5s",
            description = "SSE: a stream with no byte for this long is counted as stalled and its missing frames as"
                    + " lost. Default: ${DEFAULT-VALUE}.")
    Duration stallTimeout;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "After each measurement's schedule, how long requests still waiting or in flight may take;"
                    + " the rest count as unfinished errors (quick 5s, full 10s).")
    Duration drainTimeout;

    @Option(names = "--audio-seconds", paramLabel = "S",
            description = "Audio scenario: length of the generated WAV, 32 KB per second (quick 300 = 9.6 MB,"
                    + " full 3000 = 96 MB).")
    Integer audioSeconds;

    @Option(names = "--audio-downloads", paramLabel = "N",
            description = "Audio scenario: downloads per leg and concurrency (quick 2, full 6).")
    Integer audioDownloads;

    @Option(names = "--audio-concurrency", paramLabel = "N", defaultValue = "4",
            description = "Audio scenario: downloads at once in the concurrent leg. Default: ${DEFAULT-VALUE}.")
    int audioConcurrency;

    @Option(names = "--slow-streams", paramLabel = "N",
            description = "Slow-streams scenario: streams held open at once, one event a second (quick 1000, full"
                    + " 9000: each stream takes two of the proxy's file descriptors, and machines here allow 20000).")
    Integer slowStreams;

    @Option(names = "--slow-stream-length", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Slow-streams scenario: how long each stream lasts, one event a second (quick 20s, full"
                    + " 30s).")
    Duration slowStreamLength;

    @Option(names = "--soak", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Soak scenario: how long the proxy is held under load (quick 20s, full 3m).")
    Duration soak;

    @Option(names = "--soak-rate", paramLabel = "RPS",
            description = "Soak scenario: unary zero-delay arrival rate, plus SSE streams at a tenth of it, upstream"
                    + " errors, streams the upstream drops and streams clients abandon at a fiftieth each, and 8 slow"
                    + " readers (quick 300, full 500).")
    Double soakRate;

    @Option(names = "--rss-every", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Soak scenario: how often RSS, heap, connections and slots are read (quick 4s, full 10s).")
    Duration rssEvery;

    @Option(names = "--invoked-as", paramLabel = "COMMAND", hidden = true,
            description = "The command line to print in the report (scripts/bench.sh passes its own).")
    String invokedAs;

    boolean full() {
        return "full".equals(mode);
    }

    /** Fills every option left unset with the mode's value. */
    void resolve() {
        if (!mode.equals("quick") && !mode.equals("full")) {
            throw new IllegalArgumentException("MODE: " + mode + " (expected: quick or full)");
        }
        boolean f = full();
        if (redis && !scenarios.contains("redis")) {
            scenarios.add("redis");
        }
        jitWarmup = or(jitWarmup, Duration.ofSeconds(f ? 20 : 3));
        warmup = or(warmup, Duration.ofSeconds(f ? 5 : 1));
        rate = or(rate, f ? 1000.0 : 500.0);
        duration = or(duration, Duration.ofSeconds(f ? 15 : 3));
        concurrencyOneDuration = or(concurrencyOneDuration, Duration.ofSeconds(f ? 10 : 2));
        frontierStart = or(frontierStart, 200.0);
        frontierFactor = or(frontierFactor, f ? 1.5 : 2.0);
        frontierStep = or(frontierStep, Duration.ofMillis(f ? 6000 : 1000));
        frontierMaxSteps = or(frontierMaxSteps, f ? 14 : 4);
        sseRate = or(sseRate, f ? 50.0 : 25.0);
        sseDuration = or(sseDuration, Duration.ofMillis(f ? 20_000 : 2500));
        sseRampFactor = or(sseRampFactor, f ? 2 : 4);
        sseRampStart = or(sseRampStart, f ? 64 : 128);
        drainTimeout = or(drainTimeout, Duration.ofSeconds(f ? 10 : 5));
        sseMaxStreams = or(sseMaxStreams, f ? 8192 : 512);
        sseLevel = or(sseLevel, Duration.ofSeconds(f ? 6 : 2));
        audioSeconds = or(audioSeconds, f ? 3000 : 300);
        audioDownloads = or(audioDownloads, f ? 6 : 2);
        soak = or(soak, f ? Duration.ofMinutes(3) : Duration.ofSeconds(20));
        slowStreams = or(slowStreams, f ? 9000 : 1000);
        slowStreamLength = or(slowStreamLength, Duration.ofSeconds(f ? 30 : 20));
        soakRate = or(soakRate, f ? 500.0 : 300.0);
        rssEvery = or(rssEvery, Duration.ofSeconds(f ? 10 : 4));
        nginxWorkers = or(nginxWorkers, Runtime.getRuntime().availableProcessors());
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /** {@code 500ms}, {@code 5s}, {@code 3m}, or a plain number of seconds. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(java.util.Locale.ROOT);
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60_000));
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        }
    }
}
