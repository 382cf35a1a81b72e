package dev.llmproxy.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.ProxyServer;
import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.demo.DemoUpstream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Audio throughput through the proxy's {@code /tts} versus straight from the TTS engine, in the same run: downloads
 * one large generated file N times from each, one at a time and several at once, and prints MB/s (10^6 bytes per
 * second) per leg and the ratio proxy/direct, as a Markdown table and as JSON. By default everything runs in this
 * process: the demo upstream plays the engine and the proxy fronts it with {@code TTS_PROXY_TARGET} pointing at it.
 *
 * <p>The downloader is a Netty client that counts body bytes and drops them, one connection per download. Every
 * download must answer 200 with the same length as the direct one; anything else is reported, not averaged.
 * Because client, proxy and engine share the machine, the process CPU time per GB moved is printed too: on a
 * CPU-bound host it, not MB/s, shows what the proxy costs.
 *
 * <p>Threading: the main thread orchestrates and waits; downloads run on the client's event loop(s).
 */
@Command(name = "audio-throughput", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Downloads the same large TTS file directly from the engine and through the proxy's /tts,"
                + " with 1 and with N concurrent downloads, and prints MB/s for each and the ratio proxy/direct"
                + " (Markdown table on stdout, then JSON). The defaults start a demo upstream and the proxy in this"
                + " process and finish in well under a minute.",
        footer = {"", "Exit status: 0 all legs measured; 1 a leg failed (e.g. the proxy answered 404); 2 the direct"
                + " download failed, nothing measured."})
public final class AudioThroughput implements Callable<Integer> {
    private static final int EXIT_FAILED_LEG = 1;
    private static final int EXIT_NO_BASELINE = 2;

    @Option(names = "--upstream", paramLabel = "URL",
            description = "Base URL of a running TTS engine (GET /?text=…). Default: start the demo upstream in"
                    + " process.")
    URI upstream;

    @Option(names = "--proxy", paramLabel = "URL",
            description = "Base URL of a running proxy (GET /tts?text=…). Default: start the proxy in process with"
                    + " TTS_PROXY_TARGET set to the upstream.")
    URI proxy;

    @Option(names = "--text", defaultValue = "Привіт! Це перевірка пропускної здатності аудіо.",
            description = "Text to speak (default: ${DEFAULT-VALUE}).")
    String text;

    @Option(names = "--text-chars", defaultValue = "0", paramLabel = "N",
            description = "Repeat --text to exactly N characters (0: as given). With --seconds 0 this sizes the file"
                    + " by the text alone: 100 ms, 3.2 KB, per character. Keep the text ASCII so that the URL stays"
                    + " short.")
    int textChars;

    @Option(names = "--voice", defaultValue = "anatol", description = "Voice (default: ${DEFAULT-VALUE}).")
    String voice;

    @Option(names = "--seconds", defaultValue = "3000",
            description = "Audio duration, a demo-only parameter: 3000 s is 96 MB of 16 kHz 16-bit WAV. 0 leaves it"
                    + " out (use 0 against a real engine). Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--downloads", defaultValue = "8",
            description = "Downloads per leg (default: ${DEFAULT-VALUE}).")
    int downloads;

    @Option(names = "--concurrency", split = ",", splitSynopsisLabel = ",", defaultValue = "1,8", paramLabel = "N",
            description = "Concurrent downloads per leg; one direct and one proxy leg for each (default:"
                    + " ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Downloads from each target before measuring, the first one checking its status"
                    + " (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--client-threads", defaultValue = "1",
            description = "Event-loop threads of the downloading client (default: ${DEFAULT-VALUE}).")
    int clientThreads;

    @Option(names = "--proxy-setting", paramLabel = "KEY=VALUE",
            description = "A setting for the in-process proxy, by env name (e.g. IO_THREADS=2); repeatable.")
    Map<String, String> proxySettings = new LinkedHashMap<>();

    @Option(names = "--json-out", paramLabel = "FILE", description = "Also write the JSON report to this file.")
    Path jsonOut;

    @Option(names = "--timeout-seconds", defaultValue = "300",
            description = "Longest a leg may take (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    /** The totals of one leg: {@code downloads} downloads of one URL, {@code concurrency} at a time. */
    record Leg(String target, int concurrency, int downloads, long bytes, long nanos, long cpuNanos, String error) {
        double megabytesPerSecond() {
            return bytes / 1e6 / (nanos / 1e9);
        }

        double cpuSecondsPerGigabyte() {
            return (cpuNanos / 1e9) / (bytes / 1e9);
        }

        boolean ok() {
            return error == null;
        }
    }

    public static void main(String[] args) {
        // The in-process proxy and demo log their start at INFO on stdout; keep stdout for the report.
        if (System.getProperty("logback.level") == null && System.getenv("LOG_LEVEL") == null) {
            System.setProperty("logback.level", "WARN");
        }
        System.exit(new CommandLine(new AudioThroughput()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        validate();
        DemoUpstream demo = null;
        ProxyServer server = null;
        try (AudioDownloader downloader = new AudioDownloader(clientThreads)) {
            URI upstreamBase = upstream;
            if (upstreamBase == null) {
                demo = DemoUpstream.start(new DemoConfig(Duration.ZERO), Set.of());
                upstreamBase = demo.baseUrl();
            }
            URI proxyBase = proxy;
            if (proxyBase == null) {
                server = ProxyServer.start(ConfigLoader.load(proxySettings(upstreamBase), Map.of(), Map.of()));
                proxyBase = URI.create("http://127.0.0.1:" + server.address().getPort());
            }
            String query = query();
            URI direct = URI.create(strip(upstreamBase) + "/?" + query);
            URI viaProxy = URI.create(strip(proxyBase) + "/tts?" + query);
            return run(downloader, direct, viaProxy, demo != null, server != null);
        } finally {
            if (server != null) {
                server.stop(Duration.ZERO);
            }
            if (demo != null) {
                demo.close();
            }
        }
    }

    private Integer run(AudioDownloader downloader, URI direct, URI viaProxy, boolean demoInProcess,
                        boolean proxyInProcess) throws InterruptedException {
        System.err.printf(Locale.ROOT, "direct: GET %s%nproxy:  GET %s%n", direct, viaProxy);
        Probe directProbe = probe(downloader, direct, -1);
        if (directProbe.error != null) {
            System.err.println("direct: " + directProbe.error);
            System.err.println("No baseline: nothing measured.");
            return EXIT_NO_BASELINE;
        }
        long length = directProbe.length;
        Probe proxyProbe = probe(downloader, viaProxy, length);
        if (proxyProbe.error != null) {
            System.err.println("proxy: " + proxyProbe.error);
            System.err.println("The proxy legs are skipped; the direct legs still run.");
        }
        for (int i = 1; i < warmup; i++) {
            runLeg(downloader, "direct", direct, 1, 1, length);
            if (proxyProbe.error == null) {
                runLeg(downloader, "proxy", viaProxy, 1, 1, length);
            }
        }

        List<Leg[]> rows = new ArrayList<>();
        for (int c : concurrency) {
            Leg directLeg = runLeg(downloader, "direct", direct, c, downloads, length);
            Leg proxyLeg = proxyProbe.error != null
                    ? new Leg("proxy", c, 0, 0, 0, 0, proxyProbe.error)
                    : runLeg(downloader, "proxy", viaProxy, c, downloads, length);
            rows.add(new Leg[]{directLeg, proxyLeg});
            System.err.printf(Locale.ROOT, "concurrency %d: direct %s, proxy %s%n", c, brief(directLeg),
                    brief(proxyLeg));
        }

        System.out.println(markdown(rows, length, demoInProcess, proxyInProcess));
        String json = json(rows, direct, viaProxy, length, demoInProcess, proxyInProcess);
        System.out.println(json);
        if (jsonOut != null) {
            try {
                Files.writeString(jsonOut, json + System.lineSeparator());
            } catch (IOException e) {
                System.err.println("--json-out: " + jsonOut + ": " + e.getMessage());
                return EXIT_FAILED_LEG;
            }
        }
        boolean allOk = rows.stream().allMatch(r -> r[0].ok() && r[1].ok());
        return allOk ? 0 : EXIT_FAILED_LEG;
    }

    /** The first download from a target: it must answer 200 with a body, of {@code expectedLength} if known. */
    private record Probe(long length, String error) {
    }

    private Probe probe(AudioDownloader downloader, URI url, long expectedLength) throws InterruptedException {
        try {
            AudioDownloader.Download d = downloader.download(url).get(timeoutSeconds, TimeUnit.SECONDS);
            String problem = problem(d, expectedLength);
            if (problem != null) {
                return new Probe(-1, problem);
            }
            return new Probe(d.bytes(), null);
        } catch (ExecutionException e) {
            return new Probe(-1, "the download failed: " + e.getCause());
        } catch (TimeoutException e) {
            return new Probe(-1, "the download did not finish in " + timeoutSeconds + " s");
        }
    }

    /** Null when the download is a complete 200 of the expected length (-1: any length); else what is wrong. */
    private static String problem(AudioDownloader.Download d, long expectedLength) {
        if (d.status() != 200) {
            String hint = d.status() == 404 ? " (is /tts in this build, and ENABLE_TTS_PROXY on?)" : "";
            return "answered " + d.status() + hint + (d.errorBody().isEmpty() ? "" : ": " + d.errorBody().strip());
        }
        if (d.contentLength() >= 0 && d.bytes() != d.contentLength()) {
            return "sent " + d.bytes() + " body bytes for Content-Length " + d.contentLength();
        }
        if (d.bytes() == 0) {
            return "answered 200 with an empty body";
        }
        if (expectedLength >= 0 && d.bytes() != expectedLength) {
            return "sent " + d.bytes() + " bytes; the direct download has " + expectedLength + ". A proxy that"
                    + " forwards only text, voice, scale and name drops the demo's seconds=: make it forward seconds,"
                    + " or run with --seconds 0 and a long text (e.g. --text-chars 2000)";
        }
        return null;
    }

    /** {@code count} downloads of {@code url}, {@code concurrency} in flight at a time, each started when one ends. */
    private Leg runLeg(AudioDownloader downloader, String target, URI url, int concurrency, int count,
                       long length) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(count);
        AtomicInteger started = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            if (failure.get() != null || started.getAndIncrement() >= count) {
                return;
            }
            downloader.download(url).whenComplete((d, error) -> {
                String problem = error != null ? "a download failed: " + error : problem(d, length);
                if (problem != null) {
                    failure.compareAndSet(null, problem);
                } else {
                    bytes.addAndGet(d.bytes());
                }
                done.countDown();
                next[0].run();
            });
        };
        for (int i = 0; i < Math.min(concurrency, count); i++) {
            next[0].run();
        }
        long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!done.await(50, TimeUnit.MILLISECONDS)) {
            if (failure.get() != null) {
                break;
            }
            if (System.nanoTime() > deadline) {
                failure.compareAndSet(null, "the leg did not finish in " + timeoutSeconds + " s");
                break;
            }
        }
        long nanos = System.nanoTime() - start;
        long cpu = processCpuNanos() - cpuStart;
        return new Leg(target, concurrency, count, bytes.get(), nanos, cpu, failure.get());
    }

    private Map<String, String> proxySettings(URI upstreamBase) {
        int maxConcurrency = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
        Map<String, String> settings = new HashMap<>();
        settings.put("PORT", "0");
        settings.put("HOST", "127.0.0.1");
        // One engine for everything: /tts and the OpenAI routes both go to the upstream given or started here.
        settings.put("OPENAI_BASE_URL", strip(upstreamBase));
        settings.put("TTS_PROXY_TARGET", strip(upstreamBase));
        // Measure streaming, not admission: no client rate limits, enough slots for every concurrent download.
        settings.put("RATE_LIMIT_ENABLED", "false");
        settings.put("IP_RATE_LIMIT_PER_MINUTE", "0");
        settings.put("UPSTREAM_MAX_CONCURRENT", Integer.toString(Math.max(8, maxConcurrency)));
        settings.put("ACCESS_LOG", "false");
        settings.putAll(proxySettings);
        return settings;
    }

    private String query() {
        String spoken = text;
        if (textChars > 0) {
            spoken = text.repeat(textChars / text.length() + 1).substring(0, textChars);
        }
        StringBuilder q = new StringBuilder("text=").append(URLEncoder.encode(spoken, StandardCharsets.UTF_8))
                .append("&voice=").append(URLEncoder.encode(voice, StandardCharsets.UTF_8));
        if (seconds > 0) {
            q.append("&seconds=").append(plainDecimal(seconds));
        }
        return q.toString();
    }

    private void validate() {
        CommandLine cli = new CommandLine(this);
        if (downloads < 1) {
            throw new CommandLine.ParameterException(cli, "--downloads: " + downloads + " (expected: >= 1)");
        }
        if (warmup < 1) {
            throw new CommandLine.ParameterException(cli, "--warmup: " + warmup + " (expected: >= 1; the first"
                    + " download checks the status)");
        }
        if (concurrency.isEmpty() || concurrency.stream().anyMatch(c -> c < 1)) {
            throw new CommandLine.ParameterException(cli, "--concurrency: " + concurrency + " (expected: numbers >= 1)");
        }
        if (clientThreads < 1) {
            throw new CommandLine.ParameterException(cli, "--client-threads: " + clientThreads + " (expected: >= 1)");
        }
        if (textChars < 0 || text.isEmpty()) {
            throw new CommandLine.ParameterException(cli, "--text-chars: " + textChars + " (expected: >= 0, and a"
                    + " non-empty --text)");
        }
        if (seconds < 0) {
            throw new CommandLine.ParameterException(cli, "--seconds: " + seconds + " (expected: >= 0)");
        }
    }

    private String markdown(List<Leg[]> rows, long length, boolean demoInProcess, boolean proxyInProcess) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "File: %s bytes (%.1f MB); %d downloads per leg; %d CPUs; %s, %s.%n%n",
                length, length / 1e6, downloads, Runtime.getRuntime().availableProcessors(),
                demoInProcess ? "demo upstream in process" : "external upstream",
                proxyInProcess ? "proxy in process" : "external proxy"));
        md.append("| Concurrent downloads | Direct MB/s | Proxy MB/s | Proxy / direct | Direct CPU s/GB | Proxy CPU s/GB |\n");
        md.append("|---:|---:|---:|---:|---:|---:|\n");
        for (Leg[] row : rows) {
            Leg d = row[0];
            Leg p = row[1];
            md.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |%n", d.concurrency(),
                    d.ok() ? fmt(d.megabytesPerSecond(), 0) : "failed",
                    p.ok() ? fmt(p.megabytesPerSecond(), 0) : "failed",
                    d.ok() && p.ok() ? fmt(p.megabytesPerSecond() / d.megabytesPerSecond(), 2) : "–",
                    d.ok() ? fmt(d.cpuSecondsPerGigabyte(), 2) : "–",
                    p.ok() ? fmt(p.cpuSecondsPerGigabyte(), 2) : "–"));
        }
        for (Leg[] row : rows) {
            for (Leg leg : row) {
                if (!leg.ok()) {
                    md.append(String.format(Locale.ROOT, "%n%s, %d concurrent: %s", leg.target(), leg.concurrency(),
                            leg.error()));
                }
            }
        }
        return md.toString();
    }

    private String json(List<Leg[]> rows, URI direct, URI viaProxy, long length, boolean demoInProcess,
                        boolean proxyInProcess) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("benchmark", "audio-throughput");
        root.put("unit", "MB/s (10^6 bytes per second)");
        root.put("direct_url", direct.toString());
        root.put("proxy_url", viaProxy.toString());
        root.put("file_bytes", length);
        root.put("downloads_per_leg", downloads);
        root.put("demo_upstream_in_process", demoInProcess);
        root.put("proxy_in_process", proxyInProcess);
        root.put("available_processors", Runtime.getRuntime().availableProcessors());
        root.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        ArrayNode results = root.putArray("results");
        for (Leg[] row : rows) {
            ObjectNode r = results.addObject();
            r.put("concurrency", row[0].concurrency());
            for (Leg leg : row) {
                ObjectNode l = r.putObject(leg.target());
                if (leg.ok()) {
                    l.put("mb_per_s", round(leg.megabytesPerSecond(), 1));
                    l.put("bytes", leg.bytes());
                    l.put("seconds", round(leg.nanos() / 1e9, 3));
                    l.put("cpu_seconds_per_gb", round(leg.cpuSecondsPerGigabyte(), 3));
                } else {
                    l.put("error", leg.error());
                }
            }
            if (row[0].ok() && row[1].ok()) {
                r.put("ratio_proxy_to_direct", round(row[1].megabytesPerSecond() / row[0].megabytesPerSecond(), 3));
            } else {
                r.putNull("ratio_proxy_to_direct");
            }
        }
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String brief(Leg leg) {
        return leg.ok() ? fmt(leg.megabytesPerSecond(), 0) + " MB/s" : "failed";
    }

    private static String fmt(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    private static String strip(URI base) {
        String s = base.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** CPU time of this whole process (client, proxy and demo alike); -1 where the JVM does not report it. */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** A double as the shortest plain decimal ({@code 3000}, not {@code 3000.0} or {@code 3E3}). */
    private static String plainDecimal(double value) {
        return new BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
    }
}
