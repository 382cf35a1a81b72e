package dev.llmproxy.bench.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bench.load.LoadGenerator;
import dev.llmproxy.openai.Json;
import io.netty.buffer.ByteBufAllocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The end-to-end bench: starts the demo upstream and the proxy each in its own JVM and nginx as a peer, runs the
 * scenarios against all of them with the load generator in this JVM, and writes report.md, report.json, the
 * {@code .hgrm} distributions and SVG plots into the results directory. Everything it started is stopped on exit.
 */
@Command(name = "llm-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"End-to-end bench of llm-proxy: direct to the demo upstream, through the proxy and through"
                + " nginx, in the same run.", "Progress goes to stderr; the headline table to stdout."})
public final class BenchMain implements Callable<Integer> {
    private static final Pattern UPSTREAM_READY = Pattern.compile("demo upstream listening on http://[^:]+:(\\d+)");
    private static final Pattern PROXY_READY = Pattern.compile("llm-proxy listening on http://[^:]+:(\\d+)");

    @Mixin
    BenchOptions o = new BenchOptions();

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        o.resolve();
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path out = o.out != null ? o.out : Path.of("bench/target/bench-results", stamp);
        Files.createDirectories(out);
        if (!Files.isReadable(o.jar)) {
            System.err.println("--jar: " + o.jar + " (expected: proxy-core's -all.jar; build it with mvn package)");
            return 2;
        }
        String java = o.javaBinary != null ? o.javaBinary : ProcessHandle.current().info().command().orElse("java");
        Report report = new Report(out);
        long began = System.nanoTime();
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        List<AutoCloseable> started = new ArrayList<>();
        Map<String, String> proxyEnv = new LinkedHashMap<>();
        List<String> proxyCommand = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        int exit = 0;
        try {
            List<String> upstreamCommand = new ArrayList<>(List.of(java));
            upstreamCommand.addAll(split(o.upstreamJvmArgs));
            upstreamCommand.addAll(List.of("-cp", o.jar.toString(), "dev.llmproxy.Main", "demo-upstream", "--port",
                    "0"));
            if (o.upstreamEventLoops != 1) { // a jar from before the option still runs with the default
                upstreamCommand.addAll(List.of("--event-loops", Integer.toString(o.upstreamEventLoops)));
            }
            ChildProcess upstream = ChildProcess.start("upstream", upstreamCommand, Map.of(),
                    out.resolve("upstream.log"), UPSTREAM_READY);
            started.add(upstream);
            int upstreamPort = Integer.parseInt(upstream.awaitLine(60).group(1));
            targets.add(Target.direct(upstreamPort, upstream.pid()));

            proxyEnv.put("PORT", "0");
            proxyEnv.put("HOST", "127.0.0.1");
            proxyEnv.put("OPENAI_BASE_URL", "http://127.0.0.1:" + upstreamPort);
            proxyEnv.put("TTS_PROXY_TARGET", "http://127.0.0.1:" + upstreamPort);
            proxyEnv.put("GITHUB_TOKEN", "bench-token");
            proxyEnv.put("RATE_LIMIT_ENABLED", "false");
            proxyEnv.put("IP_RATE_LIMIT_PER_MINUTE", "0");
            proxyEnv.put("UPSTREAM_CONCURRENCY_ENABLED", "false");
            proxyEnv.put("RETRY_ATTEMPTS", "0");
            proxyEnv.put("ACCESS_LOG", "false");
            proxyEnv.put("CATALOG_REFRESH_HOURS", "0");
            proxyEnv.put("UPSTREAM_QUOTA_PACING", "false");
            proxyEnv.put("ADAPTIVE_RATE_LIMITS", "false");
            // like nginx, which opens as many upstream connections as it has streams: the SSE ramp holds thousands
            proxyEnv.put("UPSTREAM_POOL_MAX_CONNECTIONS", "8192");
            proxyEnv.put("UPSTREAM_POOL_MAX_PENDING", "8192");
            proxyEnv.putAll(o.proxySettings);
            proxyCommand.add(java);
            proxyCommand.addAll(split(o.proxyJvmArgs));
            proxyCommand.addAll(List.of("-jar", o.jar.toString(), "serve"));
            ChildProcess proxy = ChildProcess.start("proxy", proxyCommand, proxyEnv, out.resolve("proxy.log"),
                    PROXY_READY);
            started.add(proxy);
            int proxyPort = Integer.parseInt(proxy.awaitLine(60).group(1));
            targets.add(Target.proxied(Target.PROXY, proxyPort, proxy.pid()));

            if (o.noNginx) {
                report.note("nginx peer skipped (--no-nginx)");
            } else {
                int port = freePort();
                ChildProcess nginx = NginxPeer.start(o.nginx, out.resolve("nginx").toAbsolutePath(), port,
                        upstreamPort, o.nginxWorkers, out.resolve("nginx.log"));
                if (nginx == null) {
                    report.note("nginx peer skipped: no executable at " + o.nginx);
                } else {
                    started.add(nginx);
                    targets.add(Target.proxied(Target.NGINX, port, nginx.pid()));
                }
            }
            for (Target t : targets) {
                check(t);
            }
            System.err.println("targets: " + targets);

            try (LoadGenerator generator = new LoadGenerator(o.clientThreads, System.err)) {
                Scenarios s = new Scenarios(o, targets, generator, report, proxy.pid());
                if (!o.jitWarmup.isZero()) {
                    System.err.println("== JIT warm-up of the proxy");
                    s.jitWarmUp();
                }
                for (String name : o.scenarios) {
                    long t0 = System.nanoTime();
                    System.err.println("== scenario " + name);
                    try {
                        switch (name) {
                            case "unary" -> s.unaryZeroDelay();
                            case "frontier" -> s.frontier();
                            case "sse" -> s.sse();
                            case "sse-ramp" -> s.sseRamp();
                            case "audio" -> s.audio();
                            case "soak" -> s.soak();
                            case "slow" -> s.slowStreams();
                            case "redis" -> s.redis();
                            default -> throw new IllegalArgumentException("--scenarios: " + name
                                    + " (expected: unary, frontier, sse, sse-ramp, slow, audio, soak,"
                                    + " redis)");
                        }
                    } catch (IllegalArgumentException e) {
                        throw e;
                    } catch (Exception e) {
                        exit = 1;
                        report.note("scenario " + name + " failed: " + e);
                        e.printStackTrace();
                    }
                    System.err.printf(Locale.ROOT, "== scenario %s took %.1f s%n", name,
                            (System.nanoTime() - t0) / 1e9);
                    if (!proxy.alive()) {
                        report.note("the proxy exited during scenario " + name + " (see proxy.log)");
                        exit = 1;
                        break;
                    }
                }
            }
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                started.get(i).close();
            }
        }
        double minutes = (System.nanoTime() - began) / 60e9;
        String md = markdown(report, java, proxyCommand, proxyEnv, loadBefore, minutes);
        Files.writeString(out.resolve("report.md"), md);
        report.json.set("machine", machineJson(java, loadBefore, minutes));
        Files.write(out.resolve("report.json"), Json.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(report.json));
        System.out.println();
        System.out.println(report.headlineTable());
        report.notes.forEach(n -> System.out.println("- " + n));
        System.out.println();
        System.out.println("results: " + out.toAbsolutePath());
        return exit;
    }

    /** One request per target before the run, so a misconfiguration fails fast with its answer. */
    private static void check(Target t) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + t.port() + t.chatPath()))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + Scenarios.MODEL
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}")).build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(t.name() + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static List<String> split(String args) {
        return args.isBlank() ? List.of() : Arrays.asList(args.trim().split("\\s+"));
    }

    private String markdown(Report report, String java, List<String> proxyCommand, Map<String, String> proxyEnv,
                            String loadBefore, double minutes) throws Exception {
        StringBuilder b = new StringBuilder();
        b.append("# llm-proxy bench: ").append(o.mode).append(" run\n\n");
        b.append("Headline: each metric direct to the demo upstream, through the proxy and through nginx (a plain"
                + " reverse proxy), same upstream, same run. Latencies in ms from each request's intended send time;"
                + " \"added\" = target − direct; \"proxy / nginx\" compares the added latency (lower is better for"
                + " the proxy below 1) or, for rates, streams and MB/s, the values (higher is better above 1).\n\n");
        b.append(report.headlineTable()).append('\n');
        if (!report.notes.isEmpty()) {
            b.append("Notes:\n\n");
            report.notes.forEach(n -> b.append("- ").append(n).append('\n'));
            b.append('\n');
        }
        b.append("## Machine and setup\n\n");
        for (String[] kv : machine(java, proxyCommand, proxyEnv, loadBefore, minutes)) {
            b.append("- **").append(kv[0]).append("**: ").append(kv[1]).append('\n');
        }
        b.append("\n## Scenarios\n\n").append(report.sections);
        b.append("\nFiles beside this report: `*.hgrm` (HdrHistogram percentile distributions, ms), `*.svg`"
                + " (latency by percentile), `report.json` (every number above), `*.log` (server output).\n");
        return b.toString();
    }

    private List<String[]> machine(String java, List<String> proxyCommand, Map<String, String> proxyEnv,
                                   String loadBefore, double minutes) throws Exception {
        List<String[]> m = new ArrayList<>();
        m.add(new String[] {"Command", "`" + (o.invokedAs != null ? o.invokedAs : "llm-bench " + o.mode) + "`"});
        m.add(new String[] {"CPU", Runtime.getRuntime().availableProcessors() + " cores, " + cpuModel()});
        m.add(new String[] {"Kernel", "Linux " + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim()});
        m.add(new String[] {"Memory", memTotal()});
        m.add(new String[] {"Load average", "before " + loadBefore + "; after "
                + Files.readString(Path.of("/proc/loadavg")).trim()});
        m.add(new String[] {"JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + java + ")"});
        String ergonomics = ergonomicFlags(java, o.proxyJvmArgs);
        Matcher gc = Pattern.compile("-XX:\\+Use(\\w+GC)").matcher(ergonomics);
        Matcher heap = Pattern.compile("-XX:MaxHeapSize=(\\d+)").matcher(ergonomics);
        m.add(new String[] {"Proxy JVM flags", "`" + (o.proxyJvmArgs.isBlank() ? "(none)" : o.proxyJvmArgs)
                + "`; GC " + (gc.find() ? gc.group(1) : "unknown") + ", max heap "
                + (heap.find() ? Long.parseLong(heap.group(1)) / (1 << 20) + " MiB" : "unknown")
                + "; ergonomics: `" + ergonomics + "`"});
        m.add(new String[] {"Proxy command", "`" + String.join(" ", proxyCommand) + "`"});
        m.add(new String[] {"Proxy settings", "`" + proxyEnv.entrySet().stream()
                .filter(e -> !e.getKey().equals("GITHUB_TOKEN")).map(e -> e.getKey() + "=" + e.getValue())
                .reduce((a, c) -> a + " " + c).orElse("") + "`"});
        m.add(new String[] {"Netty allocator", "io.netty.allocator.type="
                + System.getProperty("io.netty.allocator.type", "(unset)") + "; default in this Netty: "
                + ByteBufAllocator.DEFAULT.getClass().getSimpleName()});
        m.add(new String[] {"Processes", "demo upstream (" + o.upstreamEventLoops + " serving event loop(s)),"
                + " proxy and the load generator each in its own JVM, nginx ("
                + (o.noNginx ? "off" : o.nginxWorkers + " workers") + "); all on this machine, sharing its cores"});
        m.add(new String[] {"Load generator", o.clientThreads + " event loop(s), open loop with a bound of "
                + o.connections + " keep-alive connections; latency from intended send time (HdrHistogram)"});
        m.add(new String[] {"Duration", String.format(Locale.ROOT, "%.1f min", minutes)});
        return m;
    }

    private ObjectNode machineJson(String java, String loadBefore, double minutes) throws Exception {
        ObjectNode n = Json.object();
        n.put("mode", o.mode).put("command", o.invokedAs != null ? o.invokedAs : "llm-bench " + o.mode)
                .put("cores", Runtime.getRuntime().availableProcessors()).put("cpu", cpuModel())
                .put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim())
                .put("jvm", System.getProperty("java.runtime.version"))
                .put("upstream_event_loops", o.upstreamEventLoops)
                .put("proxy_jvm_args", o.proxyJvmArgs).put("proxy_jvm_ergonomics", ergonomicFlags(java, o.proxyJvmArgs))
                .put("netty_default_allocator", ByteBufAllocator.DEFAULT.getClass().getSimpleName())
                .put("load_before", loadBefore).put("minutes", Math.round(minutes * 10) / 10.0);
        return n;
    }

    private static String cpuModel() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
    }

    private static String memTotal() throws IOException {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 / 1024.0)
                .map(g -> String.format(Locale.ROOT, "%.1f GiB", g)).findFirst().orElse("unknown");
    }

    /** What the JVM picks with these flags (heap, GC): {@code -XX:+PrintCommandLineFlags}. */
    private static String ergonomicFlags(String java, String args) {
        try {
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(split(args));
            cmd.addAll(List.of("-XX:+PrintCommandLineFlags", "-version"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            Matcher m = Pattern.compile("^-XX:.*$", Pattern.MULTILINE).matcher(text);
            return m.find() ? m.group().trim() : "unknown";
        } catch (Exception e) {
            return "unknown (" + e + ")";
        }
    }
}
