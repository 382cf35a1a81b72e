package dev.llmproxy.bench.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bench.load.LoadGenerator;
import dev.llmproxy.bench.load.LoadPlan;
import dev.llmproxy.bench.load.LoadResult;
import dev.llmproxy.bench.load.RequestSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The soak: the proxy held under a mixed load for a long time — unary requests, streams, upstream errors on a model of
 * their own, streams the upstream drops midway, streams clients abandon (reset or close) and slow readers that keep
 * long streams under backpressure — with its RSS, heap, client connections, slots and upstream connections read every
 * {@code --rss-every}. It reports the plateau and the growth per minute, then waits for the proxy to go quiet and
 * reports whether every gauge came back to zero.
 *
 * <p>Threading: the bench's main thread; each load runs on a generator of its own, the chaos clients on their threads.
 */
final class Soak {
    /**
     * Upstream errors go to a model of their own: its circuit breaker opens and closes without touching
     * {@link Scenarios#MODEL}'s.
     */
    static final String ERROR_MODEL = "gpt-4o-mini";
    static final int SLOW_READERS = 8;
    static final Duration QUIET_WAIT = Duration.ofSeconds(90);

    private final BenchOptions o;
    private final Target proxy;
    private final LoadGenerator generator;
    private final Report report;
    private final long proxyPid;

    Soak(BenchOptions o, Target proxy, LoadGenerator generator, Report report, long proxyPid) {
        this.o = o;
        this.proxy = proxy;
        this.generator = generator;
        this.report = report;
        this.proxyPid = proxyPid;
    }

    private RequestSpec chat(String model, boolean stream, Map<String, String> headers) {
        String json = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Say hello to the bench.\"}],\"max_tokens\":" + Scenarios.SSE_TOKENS
                + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
        RequestSpec spec = RequestSpec.post("127.0.0.1", proxy.port(), proxy.chatPath(), headers, json);
        return stream ? spec.streamingWith(Scenarios.SSE_TOKENS) : spec;
    }

    private LoadPlan plan(double rate) {
        return LoadPlan.open(rate, o.soak, o.connections).withTimeouts(o.stallTimeout, o.drainTimeout);
    }

    /** Runs {@code spec} at {@code rate} on a generator of its own, beside the others. */
    private static CompletableFuture<LoadResult> beside(String label, RequestSpec spec, LoadPlan plan) {
        return CompletableFuture.supplyAsync(() -> {
            try (LoadGenerator own = new LoadGenerator(1, null)) {
                return own.run(label, spec, plan);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    void run() throws Exception {
        double rate = o.soakRate;
        double sseRate = Math.max(1, rate / 10);
        double faultRate = Math.max(1, rate / 50);
        double abortRate = Math.max(1, rate / 50);
        List<ProxyGauges> samples = new ArrayList<>();
        long start = System.nanoTime();
        Thread sampler = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    ProxyGauges g = ProxyGauges.read((System.nanoTime() - start) / 1e9, proxyPid, proxy.port());
                    synchronized (samples) {
                        samples.add(g);
                    }
                    System.err.printf(Locale.ROOT, "  [soak %4.0fs] RSS %.0f MB, heap %.0f MB (%.0f after GC), client"
                                    + " connections %.0f, slots %.0f (+%.0f waiting), upstream connections %.0f (%.0f"
                                    + " idle)%n",
                            g.seconds(), g.rssMb(), g.heapMb(), g.heapAfterGcMb(), g.clientConnections(), g.upstreamActive(),
                            g.upstreamQueue(), g.upstreamOpen(), g.upstreamIdle());
                    Thread.sleep(o.rssEvery.toMillis());
                }
            } catch (InterruptedException e) {
                // stop sampling
            } catch (Exception e) {
                System.err.println("soak: cannot read the proxy's gauges: " + e);
            }
        }, "bench-soak-gauges");
        sampler.setDaemon(true);
        sampler.start();

        LoadResult unary;
        LoadResult sse;
        LoadResult errors;
        LoadResult dropped;
        try (SoakChaos chaos = new SoakChaos(proxy.port(), proxy.chatPath(), Scenarios.MODEL)) {
            chaos.start(abortRate, SLOW_READERS);
            CompletableFuture<LoadResult> streams = beside("soak SSE", chat(Scenarios.MODEL, true,
                    Map.of("X-Demo-Token-Delay-Ms", Integer.toString(Scenarios.SSE_TOKEN_DELAY_MS))), plan(sseRate));
            CompletableFuture<LoadResult> failing = beside("soak upstream 500s", chat(ERROR_MODEL, false,
                    Map.of("X-Demo-Status", "500")), plan(faultRate));
            CompletableFuture<LoadResult> drops = beside("soak streams dropped by the upstream",
                    chat(Scenarios.MODEL, true, Map.of("X-Demo-Token-Delay-Ms", "20", "X-Demo-Close-After", "5")),
                    plan(faultRate));
            unary = generator.run("soak unary", chat(Scenarios.MODEL, false, Map.of()), plan(rate));
            sse = streams.get();
            errors = failing.get();
            dropped = drops.get();
            chaos.stop();
            sampler.interrupt();
            sampler.join(5000);
            ObjectNode json = report.scenariosJson.putObject("soak");
            ProxyGauges end = awaitQuiet(start);
            report(json, samples, end, unary, sse, errors, dropped, chaos, rate, sseRate, faultRate, abortRate);
        }
    }

    /** Reads the gauges each second until the proxy is quiet or {@link #QUIET_WAIT} passed; the last reading. */
    private ProxyGauges awaitQuiet(long start) throws Exception {
        long deadline = System.nanoTime() + QUIET_WAIT.toNanos();
        ProxyGauges g;
        do {
            g = ProxyGauges.read((System.nanoTime() - start) / 1e9, proxyPid, proxy.port());
            if (g.quiet()) {
                return g;
            }
            Thread.sleep(1000);
        } while (System.nanoTime() < deadline);
        return g;
    }

    private void report(ObjectNode json, List<ProxyGauges> samples, ProxyGauges end, LoadResult unary,
                        LoadResult sse, LoadResult errors, LoadResult dropped, SoakChaos chaos, double rate,
                        double sseRate, double faultRate, double abortRate) {
        double soakEnd = samples.isEmpty() ? 0 : samples.get(samples.size() - 1).seconds();
        List<ProxyGauges> secondHalf = samples.stream().filter(g -> g.seconds() >= soakEnd / 2).toList();
        double rssPlateau = secondHalf.stream().mapToDouble(ProxyGauges::rssMb).max().orElse(Double.NaN);
        double rssGrowth = slope(secondHalf, ProxyGauges::rssMb);
        double heapPlateau = secondHalf.stream().mapToDouble(ProxyGauges::heapMb).max().orElse(Double.NaN);
        double heapGrowth = slope(secondHalf, ProxyGauges::heapMb);
        double liveMax = secondHalf.stream().mapToDouble(ProxyGauges::heapAfterGcMb).max().orElse(Double.NaN);
        double liveGrowth = slope(secondHalf, ProxyGauges::heapAfterGcMb);
        double maxConnections = samples.stream().mapToDouble(ProxyGauges::clientConnections).max().orElse(0);
        double maxSlots = samples.stream().mapToDouble(ProxyGauges::upstreamActive).max().orElse(0);
        double maxUpstream = samples.stream().mapToDouble(ProxyGauges::upstreamOpen).max().orElse(0);

        json.put("seconds", o.soak.toSeconds());
        Report.put(json, "unary_rps", rate);
        Report.put(json, "sse_streams_per_s", sseRate);
        Report.put(json, "upstream_errors_per_s", faultRate);
        Report.put(json, "upstream_drops_per_s", faultRate);
        Report.put(json, "aborts_per_s", abortRate);
        json.put("slow_readers", SLOW_READERS);
        Scenarios.resultJson(json.putObject("unary"), unary, unary.latency);
        Scenarios.resultJson(json.putObject("sse"), sse, sse.ttft);
        Scenarios.resultJson(json.putObject("upstream_errors"), errors, errors.latency);
        Scenarios.resultJson(json.putObject("upstream_drops"), dropped, dropped.ttft);
        json.putObject("chaos").put("aborted", chaos.aborted.get()).put("abort_failures", chaos.abortFailures.get())
                .put("slow_completed", chaos.slowCompleted.get()).put("slow_failures", chaos.slowFailures.get())
                .put("slow_bytes", chaos.slowBytes.get());
        ArrayNode series = json.putArray("samples");
        for (ProxyGauges g : samples) {
            series.add(sampleJson(json.objectNode(), g));
        }
        sampleJson(json.putObject("end"), end).put("quiet", end.quiet());
        Report.put(json, "rss_plateau_mb", rssPlateau);
        Report.put(json, "rss_growth_mb_per_min", rssGrowth);
        Report.put(json, "heap_plateau_mb", heapPlateau);
        Report.put(json, "heap_growth_mb_per_min", heapGrowth);
        Report.put(json, "heap_after_gc_max_mb", liveMax);
        Report.put(json, "heap_after_gc_growth_mb_per_min", liveGrowth);

        StringBuilder md = new StringBuilder("### Soak: mixed load, gauges every ").append(o.rssEvery.toSeconds())
                .append(" s\n\n");
        md.append(String.format(Locale.ROOT, "%s through the proxy: %.0f unary rps (0 ms upstream), %.0f streams/s"
                        + " (64 × 20 ms), %.0f/s upstream 500s (model %s), %.0f/s streams the upstream drops after 5"
                        + " events, %.0f/s streams abandoned by their client after the first event (half reset, half"
                        + " closed), %d slow readers (4 KiB receive window, 4 KiB every 50 ms, %d-token streams of"
                        + " about 4.5 MB).%n%n",
                Scenarios.human(o.soak), rate, sseRate, faultRate, ERROR_MODEL, faultRate, abortRate, SLOW_READERS,
                SoakChaos.SLOW_STREAM_TOKENS));
        md.append(Markdown.table(List.of("Gauge", "Plateau (max, second half)", "Growth (least squares, second"
                        + " half)", "Max during the run", "After the run"),
                List.of(List.of("RSS", Markdown.num(rssPlateau, 0) + " MB", signed(rssGrowth) + " MB/min",
                                Markdown.num(samples.stream().mapToDouble(ProxyGauges::rssMb).max().orElse(0), 0)
                                        + " MB", Markdown.num(end.rssMb(), 0) + " MB"),
                        List.of("Heap in use", Markdown.num(heapPlateau, 0) + " MB", signed(heapGrowth) + " MB/min",
                                Markdown.num(samples.stream().mapToDouble(ProxyGauges::heapMb).max().orElse(0), 0)
                                        + " MB", Markdown.num(end.heapMb(), 0) + " MB"),
                        List.of("Heap after the last GC", Markdown.num(liveMax, 0) + " MB", signed(liveGrowth)
                                        + " MB/min", Markdown.num(samples.stream()
                                        .mapToDouble(ProxyGauges::heapAfterGcMb).max().orElse(0), 0) + " MB",
                                Markdown.num(end.heapAfterGcMb(), 0) + " MB"),
                        List.of("Client connections", "", "", Markdown.num(maxConnections, 0),
                                Markdown.num(end.clientConnections(), 0)),
                        List.of("Upstream slots in use / waiting", "", "", Markdown.num(maxSlots, 0),
                                Markdown.num(end.upstreamActive(), 0) + " / " + Markdown.num(end.upstreamQueue(), 0)),
                        List.of("Upstream connections open / in use", "", "", Markdown.num(maxUpstream, 0),
                                Markdown.num(end.upstreamOpen(), 0) + " / "
                                        + Markdown.num(end.upstreamOpen() - end.upstreamIdle(), 0)))));
        md.append('\n').append(end.quiet() ? "After the load stopped every gauge came back to zero (no client"
                + " connection, no slot held or awaited, every upstream connection idle in its pool).\n\n"
                : "**After " + QUIET_WAIT.toSeconds() + " s without load the gauges had not all come back to zero.**"
                + "\n\n");
        md.append(Markdown.table(List.of("Load", "Requests", "OK", "Errors", "Statuses", "p99 ms"), List.of(
                loadRow("unary", unary, unary.latency),
                loadRow("streams (TTFT)", sse, sse.ttft),
                loadRow("upstream 500s", errors, errors.latency),
                loadRow("dropped by the upstream (TTFT)", dropped, dropped.ttft),
                List.of("abandoned by the client", Long.toString(chaos.aborted.get() + chaos.abortFailures.get()),
                        Long.toString(chaos.aborted.get()), Long.toString(chaos.abortFailures.get()), "", ""),
                List.of("slow readers", Long.toString(chaos.slowCompleted.get() + chaos.slowFailures.get()),
                        Long.toString(chaos.slowCompleted.get()), Long.toString(chaos.slowFailures.get()),
                        Markdown.num(chaos.slowBytes.get() / 1e6, 1) + " MB read", ""))));
        md.append("\nUpstream 500s and dropped streams are errors by design (the client gets the upstream's error, or"
                + " the stream's error event); they count here to show that they stay errors and do not spread.\n\n");
        List<List<String>> rows = new ArrayList<>();
        double every = Math.max(60, o.rssEvery.toSeconds());
        double nextRow = 0;
        for (ProxyGauges g : samples) {
            if (g.seconds() + 1e-6 >= nextRow) {
                rows.add(row(g));
                nextRow = g.seconds() + every - o.rssEvery.toSeconds() / 2.0;
            }
        }
        rows.add(row(end));
        md.append(Markdown.table(List.of("t (s)", "RSS MB", "Heap MB", "After GC MB", "Client connections", "Slots", "Waiting",
                "Upstream open", "Upstream idle"), rows));
        report.section(md.toString());
        report.capacityRow("Soak " + Scenarios.human(o.soak), "proxy RSS plateau (mixed load)", "MB", Double.NaN,
                rssPlateau, Double.NaN, 0);
        report.capacityRow("Soak " + Scenarios.human(o.soak), "proxy RSS growth, second half", "MB/min", Double.NaN,
                rssGrowth, Double.NaN, 2);
        if (!end.quiet()) {
            report.note("soak: gauges not back to zero after the run: " + end);
        }
        if (unary.errors() > 0 || sse.errors() > 0) {
            report.note("soak: errors on the healthy loads: unary " + unary + "; SSE " + sse);
        }
    }

    private static ObjectNode sampleJson(ObjectNode n, ProxyGauges g) {
        Report.put(n, "t_s", g.seconds());
        Report.put(n, "rss_mb", g.rssMb());
        Report.put(n, "heap_mb", g.heapMb());
        Report.put(n, "heap_after_gc_mb", g.heapAfterGcMb());
        Report.put(n, "client_connections", g.clientConnections());
        Report.put(n, "upstream_active", g.upstreamActive());
        Report.put(n, "upstream_queue", g.upstreamQueue());
        Report.put(n, "upstream_open", g.upstreamOpen());
        Report.put(n, "upstream_idle", g.upstreamIdle());
        return n;
    }

    private static List<String> row(ProxyGauges g) {
        return List.of(Markdown.num(g.seconds(), 0), Markdown.num(g.rssMb(), 0), Markdown.num(g.heapMb(), 0),
                Markdown.num(g.heapAfterGcMb(), 0),
                Markdown.num(g.clientConnections(), 0), Markdown.num(g.upstreamActive(), 0),
                Markdown.num(g.upstreamQueue(), 0), Markdown.num(g.upstreamOpen(), 0),
                Markdown.num(g.upstreamIdle(), 0));
    }

    private static List<String> loadRow(String name, LoadResult r, org.HdrHistogram.Histogram h) {
        return List.of(name, Long.toString(r.issued), Long.toString(r.ok), Long.toString(r.errors()),
                r.statuses.toString(), Markdown.ms(LoadResult.ms(h, 99)));
    }

    private static String signed(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%+.2f", v);
    }

    /** Per minute: the least-squares slope of {@code value} over the samples' times. */
    static double slope(List<ProxyGauges> samples, java.util.function.ToDoubleFunction<ProxyGauges> value) {
        if (samples.size() < 2) {
            return Double.NaN;
        }
        double n = samples.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (ProxyGauges g : samples) {
            double x = g.seconds() / 60.0;
            double y = value.applyAsDouble(g);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double den = n * sxx - sx * sx;
        return den == 0 ? Double.NaN : (n * sxy - sx * sy) / den;
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }
}
