package dev.llmproxy.bench.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bench.AudioDownloader;
import dev.llmproxy.bench.load.LoadGenerator;
import dev.llmproxy.bench.load.LoadPlan;
import dev.llmproxy.bench.load.LoadResult;
import dev.llmproxy.bench.load.RequestSpec;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end scenarios. Each one measures every target — the upstream itself ({@code direct}), the proxy, nginx —
 * one after the other in the same run, against the same upstream, and reports "added" = target − direct per
 * percentile.
 *
 * <p>Threading: the bench's main thread; the load generator runs on its own event loops.
 */
final class Scenarios {
    /**
     * One of the demo upstream's own ids, and one no catalog rewrites on the way (a GitHub-style short name such as
     * {@code gpt-4o-mini} would be), so direct and proxied requests name the same model.
     */
    static final String MODEL = "llama3.2:3b";
    static final int SSE_TOKENS = 64;
    static final int SSE_TOKEN_DELAY_MS = 20;
    static final double[] PERCENTILES = {50, 90, 99, 99.9};
    static final int[] FRONTIER_BOUNDS_MS = {1, 5, 10, 50};

    private final BenchOptions o;
    private final List<Target> targets;
    private final LoadGenerator generator;
    private final Report report;
    private final long proxyPid;

    Scenarios(BenchOptions o, List<Target> targets, LoadGenerator generator, Report report, long proxyPid) {
        this.o = o;
        this.targets = targets;
        this.generator = generator;
        this.report = report;
        this.proxyPid = proxyPid;
    }

    private static String chatJson(boolean stream, int maxTokens) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the bench.\"}],"
                + "\"max_tokens\":" + maxTokens
                + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
    }

    private static RequestSpec unary(Target t, int delayMs) {
        Map<String, String> headers = delayMs > 0 ? Map.of("X-Demo-Delay-Ms", Integer.toString(delayMs)) : Map.of();
        return RequestSpec.post("127.0.0.1", t.port(), t.chatPath(), headers, chatJson(false, 16));
    }

    private static RequestSpec sse(Target t) {
        return RequestSpec.post("127.0.0.1", t.port(), t.chatPath(),
                Map.of("X-Demo-Token-Delay-Ms", Integer.toString(SSE_TOKEN_DELAY_MS)), chatJson(true, SSE_TOKENS))
                .streamingWith(SSE_TOKENS);
    }

    private LoadPlan open(double rate, Duration duration) {
        return LoadPlan.open(rate, duration, o.connections).withThreads(o.clientThreads)
                .withPreconnect(Math.min(o.connections, 32)).withTimeouts(o.stallTimeout, o.drainTimeout);
    }

    private Target target(String name) {
        return targets.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    private static double p(Map<String, LoadResult> results, String target, double percentile,
                            java.util.function.Function<LoadResult, Histogram> which) {
        LoadResult r = results.get(target);
        return r == null ? Double.NaN : LoadResult.ms(which.apply(r), percentile);
    }

    /**
     * Drives the proxy (and through it the upstream) before anything is measured, so that the JIT has compiled the
     * unary and streaming paths: a cold proxy serves a fraction of the rate for its first seconds.
     */
    void jitWarmUp() throws Exception {
        Target proxy = target(Target.PROXY);
        // Closed loop: a cold proxy cannot keep up with the rate, and an open-loop backlog would stretch the warm-up.
        LoadResult u = generator.run("JIT warm-up unary", unary(proxy, 0),
                LoadPlan.closed(16, o.jitWarmup, Duration.ZERO).withThreads(o.clientThreads));
        LoadResult s = generator.run("JIT warm-up SSE", sse(proxy),
                LoadPlan.closed(32, o.jitWarmup.dividedBy(2), Duration.ofMillis(200)).withThreads(o.clientThreads)
                        .withTimeouts(o.stallTimeout, Duration.ofSeconds(10)));
        ObjectNode json = report.scenariosJson.putObject("jit-warmup");
        resultJson(json.putObject("unary"), u, u.latency);
        resultJson(json.putObject("sse"), s, s.ttft);
    }

    // ---------------------------------------------------------------- unary, zero-delay upstream

    void unaryZeroDelay() throws Exception {
        String title = String.format(Locale.ROOT, "Unary chat, 0 ms upstream, %.0f rps open loop", o.rate);
        Map<String, LoadResult> open = new LinkedHashMap<>();
        Map<String, LoadResult> one = new LinkedHashMap<>();
        Map<String, Double> cpuMsPerThousand = new LinkedHashMap<>();
        Map<String, Double> jitMsPerThousand = new LinkedHashMap<>();
        for (Target t : targets) {
            generator.run(t.name() + " warm-up", unary(t, 0), open(o.rate, o.warmup));
            double cpuBefore = ProcessCpu.seconds(t.pid());
            double jitBefore = ProcessCpu.compilerSeconds(t.pid());
            LoadResult r = generator.run(t.name() + " unary " + o.rate.intValue() + " rps", unary(t, 0),
                    open(o.rate, o.duration));
            double jit = ProcessCpu.compilerSeconds(t.pid()) - jitBefore;
            cpuMsPerThousand.put(t.name(), (ProcessCpu.seconds(t.pid()) - cpuBefore) * 1e6 / Math.max(1, r.ok));
            jitMsPerThousand.put(t.name(), jit * 1e6 / Math.max(1, r.ok));
            open.put(t.name(), r);
            one.put(t.name(), generator.run(t.name() + " unary concurrency 1", unary(t, 0),
                    LoadPlan.closed(1, o.concurrencyOneDuration, Duration.ZERO).withThreads(1)
                            .withTimeouts(o.stallTimeout, o.drainTimeout)));
        }
        latencySection("unary0", title, open, r -> r.latency, true);
        latencySection("unary0-c1", "Unary chat, 0 ms upstream, concurrency 1 (closed loop)", one, r -> r.latency,
                false);
        for (double pc : new double[] {50, 99, 99.9}) {
            report.latencyRow("Unary 0 ms, " + o.rate.intValue() + " rps", "p" + fmtPct(pc) + " ms",
                    p(open, Target.DIRECT, pc, r -> r.latency), p(open, Target.PROXY, pc, r -> r.latency),
                    p(open, Target.NGINX, pc, r -> r.latency));
        }
        for (double pc : new double[] {50, 99}) {
            report.latencyRow("Unary 0 ms, concurrency 1", "p" + fmtPct(pc) + " ms",
                    p(one, Target.DIRECT, pc, r -> r.latency), p(one, Target.PROXY, pc, r -> r.latency),
                    p(one, Target.NGINX, pc, r -> r.latency));
        }
        // The relay's own CPU (proxy JVM; nginx master and workers); for direct, the upstream's.
        double directCpu = cpuMsPerThousand.getOrDefault(Target.DIRECT, Double.NaN);
        double proxyCpu = cpuMsPerThousand.getOrDefault(Target.PROXY, Double.NaN);
        double nginxCpu = cpuMsPerThousand.getOrDefault(Target.NGINX, Double.NaN);
        double directApp = directCpu - jitMsPerThousand.getOrDefault(Target.DIRECT, 0.0);
        double proxyApp = proxyCpu - jitMsPerThousand.getOrDefault(Target.PROXY, 0.0);
        report.headline.add(List.of("Unary 0 ms, " + o.rate.intValue() + " rps",
                "CPU ms per 1000 requests, JIT compiler threads excluded (upstream for direct; the relay for proxy,"
                        + " nginx)",
                Markdown.num(directApp, 0), Markdown.num(proxyApp, 0), Markdown.num(nginxCpu, 0), "", "",
                Markdown.ratio(proxyApp, nginxCpu)));
        ObjectNode cpu = report.scenariosJson.with("unary0").putObject("cpu_ms_per_1000_requests");
        cpuMsPerThousand.forEach((k, v) -> Report.put(cpu, k, v));
        ObjectNode jitJson = report.scenariosJson.with("unary0").putObject("jit_compiler_cpu_ms_per_1000_requests");
        jitMsPerThousand.forEach((k, v) -> Report.put(jitJson, k, v));
        report.section(String.format(Locale.ROOT, "CPU time (user + system, all threads, from /proc) per 1000"
                        + " requests during the open-loop run: upstream (direct) %s ms, proxy JVM %s ms (of which JIT"
                        + " compiler threads %s ms), nginx (master + workers) %s ms; proxy / nginx %s. At a low rate"
                        + " each request pays whole event-loop wake-ups, and JIT work still going on shows here: a"
                        + " large compiler share means the warm-up was too short.%n",
                Markdown.num(directCpu, 0), Markdown.num(proxyCpu, 0),
                Markdown.num(jitMsPerThousand.getOrDefault(Target.PROXY, Double.NaN), 0), Markdown.num(nginxCpu, 0),
                Markdown.ratio(proxyCpu, nginxCpu)));
        Map<String, Histogram> plot = new LinkedHashMap<>();
        open.forEach((name, r) -> plot.put(name, r.latency));
        report.plot("unary0-latency", title + ": latency from intended send time", plot);
    }

    /** One table: per percentile, each target's latency and its added latency over direct; .hgrm files too. */
    private void latencySection(String key, String title, Map<String, LoadResult> results,
                                java.util.function.Function<LoadResult, Histogram> which, boolean openLoop)
            throws Exception {
        List<String> header = new ArrayList<>(List.of("Percentile"));
        for (String name : results.keySet()) {
            header.add(name + " ms");
        }
        for (String name : results.keySet()) {
            if (!name.equals(Target.DIRECT)) {
                header.add(name + " added");
            }
        }
        if (results.containsKey(Target.PROXY) && results.containsKey(Target.NGINX)) {
            header.add("proxy / nginx added");
        }
        List<List<String>> rows = new ArrayList<>();
        ObjectNode json = report.scenariosJson.putObject(key).put("title", title);
        List<Double> levels = new ArrayList<>();
        for (double pc : PERCENTILES) {
            levels.add(pc);
        }
        levels.add(100.0);
        for (double pc : levels) {
            List<String> row = new ArrayList<>(List.of(pc == 100.0 ? "max" : "p" + fmtPct(pc)));
            double direct = p(results, Target.DIRECT, pc, which);
            for (String name : results.keySet()) {
                row.add(Markdown.ms(p(results, name, pc, which)));
            }
            for (String name : results.keySet()) {
                if (!name.equals(Target.DIRECT)) {
                    row.add(Markdown.signedMs(p(results, name, pc, which) - direct));
                }
            }
            if (results.containsKey(Target.PROXY) && results.containsKey(Target.NGINX)) {
                row.add(Markdown.ratio(p(results, Target.PROXY, pc, which) - direct,
                        p(results, Target.NGINX, pc, which) - direct));
            }
            rows.add(row);
        }
        ObjectNode targetsJson = json.putObject("targets");
        List<List<String>> counts = new ArrayList<>();
        for (Map.Entry<String, LoadResult> e : results.entrySet()) {
            LoadResult r = e.getValue();
            ObjectNode t = targetsJson.putObject(e.getKey());
            resultJson(t, r, which.apply(r));
            report.hgrm(key + "-" + e.getKey(), which.apply(r));
            counts.add(List.of(e.getKey(), Long.toString(r.issued), Long.toString(r.ok), Long.toString(r.errors()),
                    Markdown.num(r.achievedRate(), 0), Integer.toString(r.connectionsOpened)));
        }
        StringBuilder md = new StringBuilder("### ").append(title).append("\n\n");
        md.append(openLoop ? "Latency from each request's intended send time (open loop, coordinated omission"
                + " corrected), milliseconds; added = target − direct.\n\n"
                : "One request at a time on one keep-alive connection; latency from the actual send, milliseconds;"
                + " added = target − direct.\n\n");
        md.append(Markdown.table(header, rows)).append('\n');
        md.append(Markdown.table(List.of("Target", "Requests", "OK", "Errors", "Completed / s", "Connections"),
                counts));
        report.section(md.toString());
        for (Map.Entry<String, LoadResult> e : results.entrySet()) {
            if (e.getValue().errors() > 0) {
                report.note(title + ": " + e.getKey() + " had errors: " + e.getValue());
            }
        }
    }

    static void resultJson(ObjectNode t, LoadResult r, Histogram h) {
        t.put("issued", r.issued).put("ok", r.ok).put("errors", r.errors()).put("resets", r.resets)
                .put("stalled", r.stalled).put("stalled_before_head", r.stalledBeforeHead).put("unfinished", r.unfinished).put("bad_streams", r.badStreams)
                .put("lost_frames", r.lostFrames).put("extra_frames", r.extraFrames)
                .put("connections", r.connectionsOpened);
        Report.put(t, "achieved_rps", r.achievedRate());
        ObjectNode statuses = t.putObject("statuses");
        r.statuses.forEach((k, v) -> statuses.put(Integer.toString(k), v));
        ObjectNode pct = t.putObject("latency_ms");
        for (double pc : PERCENTILES) {
            Report.put(pct, "p" + fmtPct(pc), LoadResult.ms(h, pc));
        }
        Report.put(pct, "max", h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1000.0);
    }

    static String fmtPct(double pc) {
        return pc == Math.rint(pc) ? Integer.toString((int) pc) : Double.toString(pc);
    }

    // ---------------------------------------------------------------- unary, 20 ms upstream: RPS frontier

    void frontier() throws Exception {
        int delay = 20;
        String title = "Unary chat, 20 ms upstream: RPS frontier";
        List<List<String>> rows = new ArrayList<>();
        ObjectNode json = report.scenariosJson.putObject("frontier").put("title", title)
                .put("upstream_delay_ms", delay);
        ArrayNode steps = json.putArray("steps");
        Map<String, double[]> frontier = new LinkedHashMap<>(); // per target: highest passing rate per bound
        Map<String, boolean[]> stillPassing = new LinkedHashMap<>();
        for (Target t : targets) {
            frontier.put(t.name(), new double[FRONTIER_BOUNDS_MS.length]);
            stillPassing.put(t.name(), filled(FRONTIER_BOUNDS_MS.length));
        }
        if (o.full()) {
            for (Target t : targets) {
                generator.run(t.name() + " warm-up 20 ms", unary(t, delay), open(o.frontierStart, o.warmup));
            }
        }
        double rate = o.frontierStart;
        for (int step = 0; step < o.frontierMaxSteps; step++) {
            Map<String, LoadResult> results = new LinkedHashMap<>();
            for (Target t : targets) {
                results.put(t.name(), generator.run(String.format(Locale.ROOT, "%s 20 ms %.0f rps", t.name(), rate),
                        unary(t, delay), open(rate, o.frontierStep)));
            }
            LoadResult direct = results.get(Target.DIRECT);
            double directP99 = LoadResult.ms(direct.latency, 99);
            ObjectNode s = steps.addObject();
            Report.put(s, "rate", rate);
            List<String> row = new ArrayList<>(List.of(Markdown.num(rate, 0)));
            boolean anyPassing = false;
            for (Map.Entry<String, LoadResult> e : results.entrySet()) {
                LoadResult r = e.getValue();
                double p99 = LoadResult.ms(r.latency, 99);
                double added = p99 - directP99;
                boolean clean = r.errors() == 0 && r.ok == r.issued;
                ObjectNode tj = s.putObject(e.getKey());
                resultJson(tj, r, r.latency);
                Report.put(tj, "added_p99_ms", added);
                row.add(Markdown.ms(p99) + (e.getKey().equals(Target.DIRECT) ? "" : " (" + Markdown.signedMs(added)
                        + ")") + (clean ? "" : " ✗" + r.errors()));
                if (e.getKey().equals(Target.DIRECT)) {
                    continue;
                }
                boolean[] passing = stillPassing.get(e.getKey());
                for (int b = 0; b < FRONTIER_BOUNDS_MS.length; b++) {
                    if (passing[b] && clean && added <= FRONTIER_BOUNDS_MS[b]) {
                        frontier.get(e.getKey())[b] = rate;
                    } else {
                        passing[b] = false;
                    }
                    anyPassing |= passing[b];
                }
            }
            rows.add(row);
            boolean directClean = direct.errors() == 0 && direct.ok == direct.issued;
            if (!directClean || directP99 > delay + 50) {
                report.note(String.format(Locale.ROOT, "frontier: the upstream itself saturates at %.0f rps (direct"
                        + " p99 %.1f ms, %d errors): the frontier above is bounded by this machine", rate,
                        directP99, direct.errors()));
                break;
            }
            if (!anyPassing) {
                break;
            }
            rate *= o.frontierFactor;
        }
        List<String> header = new ArrayList<>(List.of("Rate (rps)"));
        targets.forEach(t -> header.add(t.name() + " p99 ms" + (t.name().equals(Target.DIRECT) ? "" : " (added)")));
        StringBuilder md = new StringBuilder("### ").append(title).append("\n\n")
                .append("Each step runs every target at the same open-loop rate for ").append(o.frontierStep.toMillis()
                        / 1000.0).append(" s; the rate grows ×").append(o.frontierFactor)
                .append(" per step. p99 from intended send time; ✗N = N errors.\n\n")
                .append(Markdown.table(header, rows)).append('\n');
        List<List<String>> fr = new ArrayList<>();
        ObjectNode fj = json.putObject("frontier_rps");
        for (int b = 0; b < FRONTIER_BOUNDS_MS.length; b++) {
            List<String> r = new ArrayList<>(List.of("added p99 ≤ " + FRONTIER_BOUNDS_MS[b] + " ms"));
            for (Target t : targets) {
                if (!t.name().equals(Target.DIRECT)) {
                    double v = frontier.get(t.name())[b];
                    r.add(v == 0 ? "< " + Markdown.num(o.frontierStart, 0) : Markdown.num(v, 0));
                    Report.put(fj.with(t.name()), "p99_le_" + FRONTIER_BOUNDS_MS[b] + "ms", v);
                }
            }
            fr.add(r);
            double proxy = frontier.getOrDefault(Target.PROXY, new double[4])[b];
            double nginx = target(Target.NGINX) == null ? Double.NaN : frontier.get(Target.NGINX)[b];
            report.capacityRowWithFloor("Unary 20 ms", "highest rate with added p99 ≤ " + FRONTIER_BOUNDS_MS[b]
                    + " ms", "rps", proxy, nginx, o.frontierStart);
        }
        List<String> fh = new ArrayList<>(List.of("Bound"));
        targets.stream().filter(t -> !t.name().equals(Target.DIRECT)).forEach(t -> fh.add(t.name() + " rps"));
        md.append("Highest rate at which every step so far had no error and added p99 within the bound"
                + " (\"< start\" = not even the first step; the top step tried is a lower bound when all passed):"
                + "\n\n").append(Markdown.table(fh, fr));
        report.section(md.toString());
    }

    private static boolean[] filled(int n) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, true);
        return b;
    }

    // ---------------------------------------------------------------- SSE

    void sse() throws Exception {
        String title = String.format(Locale.ROOT, "SSE, %d chunks every %d ms, %.0f streams/s open loop",
                SSE_TOKENS, SSE_TOKEN_DELAY_MS, o.sseRate);
        Map<String, LoadResult> results = new LinkedHashMap<>();
        Duration stall = o.stallTimeout;
        for (Target t : targets) {
            if (o.full()) {
                generator.run(t.name() + " SSE warm-up", sse(t), open(o.sseRate, o.warmup));
            }
            results.put(t.name(), generator.run(t.name() + " SSE", sse(t), open(o.sseRate, o.sseDuration)));
        }
        latencySection("sse-ttft", title + ": time to first token", results, r -> r.ttft, true);
        latencySection("sse-gap", title + ": gap between chunks (20 ms by design)", results, r -> r.gaps, true);
        List<List<String>> frames = new ArrayList<>();
        for (Map.Entry<String, LoadResult> e : results.entrySet()) {
            LoadResult r = e.getValue();
            frames.add(List.of(e.getKey(), Long.toString(r.issued), Long.toString(r.ok),
                    Long.toString(r.contentEvents), Long.toString(r.lostFrames), Long.toString(r.extraFrames),
                    Long.toString(r.badStreams), Long.toString(r.stalled)));
        }
        report.section("Frame accounting (" + SSE_TOKENS + " content events expected per stream):\n\n"
                + Markdown.table(List.of("Target", "Streams", "Complete", "Content events", "Lost", "Extra",
                "Bad streams", "Stalled"), frames));
        report.latencyRow("SSE 64×20 ms", "TTFT p50 ms", p(results, Target.DIRECT, 50, r -> r.ttft),
                p(results, Target.PROXY, 50, r -> r.ttft), p(results, Target.NGINX, 50, r -> r.ttft));
        report.latencyRow("SSE 64×20 ms", "TTFT p99 ms", p(results, Target.DIRECT, 99, r -> r.ttft),
                p(results, Target.PROXY, 99, r -> r.ttft), p(results, Target.NGINX, 99, r -> r.ttft));
        report.latencyRow("SSE 64×20 ms", "inter-chunk gap p99 ms", p(results, Target.DIRECT, 99, r -> r.gaps),
                p(results, Target.PROXY, 99, r -> r.gaps), p(results, Target.NGINX, 99, r -> r.gaps));
        Map<String, Histogram> plot = new LinkedHashMap<>();
        results.forEach((name, r) -> plot.put(name, r.ttft));
        report.plot("sse-ttft", title + ": TTFT from intended start", plot);
        sseRamp();
    }

    /**
     * Concurrent streams held open, doubling from 64, each target until its first level with a failure (the
     * {@code sse-ramp} scenario alone, or the end of {@code sse}).
     */
    void sseRamp() throws Exception {
        Duration stall = o.stallTimeout;
        List<Integer> levels = new ArrayList<>();
        for (int n = o.sseRampStart; n < o.sseMaxStreams; n *= o.sseRampFactor) {
            levels.add(n);
        }
        levels.add(o.sseMaxStreams);
        Map<String, Integer> sustained = new LinkedHashMap<>();
        Map<String, String> failure = new LinkedHashMap<>();
        Map<String, Integer> failedAt = new LinkedHashMap<>();
        List<List<String>> rows = new ArrayList<>();
        ObjectNode json = report.scenariosJson.putObject("sse-ramp");
        ArrayNode jl = json.putArray("levels");
        for (int n : levels) {
            List<String> row = new ArrayList<>(List.of(Integer.toString(n)));
            ObjectNode lj = jl.addObject().put("streams", n);
            boolean anyRan = false;
            for (Target t : targets) {
                if (failure.containsKey(t.name())) {
                    row.add("–");
                    continue;
                }
                anyRan = true;
                Duration ramp = Duration.ofMillis(Math.min(1000, o.sseLevel.toMillis() / 3));
                LoadResult r = generator.run(t.name() + " " + n + " streams", sse(t),
                        LoadPlan.closed(n, o.sseLevel, ramp).withThreads(o.clientThreads)
                                .withTimeouts(stall, o.drainTimeout));
                resultJson(lj.putObject(t.name()), r, r.gaps);
                boolean clean = r.errors() == 0 && r.lostFrames == 0 && r.extraFrames == 0 && r.stalled == 0;
                if (clean) {
                    sustained.put(t.name(), n);
                    row.add(String.format(Locale.ROOT, "ok: %d streams, gap p99 %s ms", r.ok,
                            Markdown.ms(LoadResult.ms(r.gaps, 99))));
                } else {
                    String why = String.format(Locale.ROOT, "%d lost frames, %d stalled (%d before the response"
                                    + " head), %d bad streams, %d resets, %d unfinished, statuses %s", r.lostFrames,
                            r.stalled, r.stalledBeforeHead, r.badStreams, r.resets, r.unfinished, r.statuses);
                    failure.put(t.name(), n + " streams: " + why);
                    failedAt.put(t.name(), n);
                    row.add("✗ " + why);
                }
            }
            rows.add(row);
            if (!anyRan) {
                break;
            }
        }
        List<String> header = new ArrayList<>(List.of("Concurrent streams"));
        targets.forEach(t -> header.add(t.name()));
        StringBuilder md = new StringBuilder("### SSE: concurrent streams sustained\n\n")
                .append("Each level keeps N streams of ").append(SSE_TOKENS).append(" chunks × ")
                .append(SSE_TOKEN_DELAY_MS).append(" ms open for ").append(o.sseLevel.toMillis() / 1000.0)
                .append(" s (closed loop: a finished stream is replaced at once, the first starts spread over up"
                        + " to a second); a level fails on any lost, extra or stalled (no byte for ")
                .append(stall.toSeconds()).append(" s) frame or any error. A target stops at its first failure.\n\n")
                .append(Markdown.table(header, rows));
        report.section(md.toString());
        List<String> relays = targets.stream().map(Target::name).filter(n -> !n.equals(Target.DIRECT)).toList();
        SseRampVerdict verdict = SseRampVerdict.of(failedAt, relays);
        if (!verdict.upstreamBound().isEmpty()) {
            report.note("SSE ramp: the figures of " + String.join(" and ", verdict.upstreamBound()) + " are the"
                    + " upstream's, not the relay's: the upstream itself, measured directly, failed at "
                    + failure.get(Target.DIRECT) + " — at or below the level where they failed — so this machine ("
                    + "the demo upstream on " + o.upstreamEventLoops + " event loop(s), the load generator on "
                    + o.clientThreads + ", the relay, all on shared cores) set the limit, and a relay may hold more"
                    + " against an upstream that does");
        } else if (failure.containsKey(Target.DIRECT)) {
            report.note("SSE ramp: the upstream itself, measured directly, failed at " + failure.get(Target.DIRECT)
                    + ", above the level where every relay that failed did: the relays' figures are their own");
        }
        json.put("direct_failed_at", verdict.directFailedAt());
        json.set("upstream_bound", Report.strings(verdict.upstreamBound()));
        json.set("own_limit", Report.strings(verdict.ownLimit()));
        ObjectNode sj = json.putObject("sustained");
        for (Target t : targets) {
            sj.put(t.name(), sustained.getOrDefault(t.name(), 0));
            if (failure.containsKey(t.name())) {
                json.with("first_failure").put(t.name(), failure.get(t.name()));
            }
        }
        List<String> passedAll = targets.stream().map(Target::name).filter(n -> !failure.containsKey(n)).toList();
        String topPassed = failure.isEmpty() ? " (all passed up to the top level)"
                : passedAll.isEmpty() ? ""
                : "; " + String.join(", ", passedAll) + ": passed every level up to " + o.sseMaxStreams
                + " (a lower bound)";
        report.capacityRow("SSE 64×20 ms", "concurrent streams with no lost/stalled frame" + topPassed
                        + verdict.headlineSuffix(), "streams",
                sustained.getOrDefault(Target.DIRECT, 0), sustained.getOrDefault(Target.PROXY, 0),
                target(Target.NGINX) == null ? Double.NaN : sustained.getOrDefault(Target.NGINX, 0), 0);
    }

    // ---------------------------------------------------------------- audio

    void audio() throws Exception {
        String query = "?text=" + java.net.URLEncoder.encode("Audio throughput of the bench.",
                java.nio.charset.StandardCharsets.UTF_8) + "&voice=anatol&seconds=" + o.audioSeconds;
        int[] concurrencies = {1, o.audioConcurrency};
        Map<String, double[]> mbps = new LinkedHashMap<>();
        List<List<String>> rows = new ArrayList<>();
        ObjectNode json = report.scenariosJson.putObject("audio").put("audio_seconds", o.audioSeconds);
        long expected = -1;
        try (AudioDownloader downloader = new AudioDownloader(Math.max(1, o.clientThreads))) {
            for (Target t : targets) {
                URI url = URI.create("http://127.0.0.1:" + t.port() + t.ttsPath() + query);
                double[] values = new double[concurrencies.length];
                downloader.download(url).get(120, TimeUnit.SECONDS); // warm-up
                for (int c = 0; c < concurrencies.length; c++) {
                    int at = concurrencies[c];
                    long bytes = 0;
                    String problem = null;
                    long start = System.nanoTime();
                    for (int round = 0; round < o.audioDownloads; round++) {
                        List<CompletableFuture<AudioDownloader.Download>> batch = new ArrayList<>();
                        for (int k = 0; k < at; k++) {
                            batch.add(downloader.download(url));
                        }
                        for (CompletableFuture<AudioDownloader.Download> f : batch) {
                            try {
                                AudioDownloader.Download d = f.get(300, TimeUnit.SECONDS);
                                bytes += d.bytes();
                                if (d.status() != 200) {
                                    problem = "status " + d.status() + ": " + d.errorBody();
                                } else if (expected >= 0 && d.bytes() != expected) {
                                    problem = d.bytes() + " bytes, direct gave " + expected;
                                } else if (expected < 0) {
                                    expected = d.bytes();
                                }
                            } catch (Exception e) {
                                problem = String.valueOf(e.getCause() != null ? e.getCause() : e);
                            }
                        }
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    values[c] = problem == null ? bytes / seconds / 1e6 : Double.NaN;
                    ObjectNode leg = json.with(t.name()).putObject("concurrency_" + at);
                    leg.put("bytes", bytes);
                    Report.put(leg, "seconds", seconds);
                    Report.put(leg, "mb_per_s", values[c]);
                    if (problem != null) {
                        leg.put("problem", problem);
                        report.note("audio " + t.name() + " at " + at + ": " + problem);
                    }
                    System.err.printf(Locale.ROOT, "  [%s audio x%d] %.1f MB/s%n", t.name(), at, values[c]);
                }
                mbps.put(t.name(), values);
            }
        }
        for (int c = 0; c < concurrencies.length; c++) {
            List<String> row = new ArrayList<>(List.of(Integer.toString(concurrencies[c])));
            for (Target t : targets) {
                row.add(Markdown.num(mbps.get(t.name())[c], 0));
            }
            double direct = mbps.get(Target.DIRECT)[c];
            row.add(Markdown.ratio(mbps.get(Target.PROXY)[c], direct));
            if (target(Target.NGINX) != null) {
                row.add(Markdown.ratio(mbps.get(Target.NGINX)[c], direct));
                row.add(Markdown.ratio(mbps.get(Target.PROXY)[c], mbps.get(Target.NGINX)[c]));
            }
            rows.add(row);
            report.capacityRow("Audio /tts", "throughput, " + concurrencies[c] + " download(s) at once", "MB/s",
                    direct, mbps.get(Target.PROXY)[c],
                    target(Target.NGINX) == null ? Double.NaN : mbps.get(Target.NGINX)[c], 0);
        }
        List<String> header = new ArrayList<>(List.of("Downloads at once"));
        targets.forEach(t -> header.add(t.name() + " MB/s"));
        header.add("proxy / direct");
        if (target(Target.NGINX) != null) {
            header.add("nginx / direct");
            header.add("proxy / nginx");
        }
        report.section(String.format(Locale.ROOT, "### Audio through /tts\n\n%d downloads per leg of a %d s WAV"
                        + " (%.1f MB), each on a fresh connection, bytes counted and dropped; MB/s = 10^6 bytes/s of"
                        + " wall time.\n\n", o.audioDownloads, o.audioSeconds, expected / 1e6)
                + Markdown.table(header, rows));
    }

    // ---------------------------------------------------------------- soak

    void slowStreams() throws Exception {
        new SlowStreams(o, target(Target.PROXY), report, proxyPid).run();
    }

    void soak() throws Exception {
        new Soak(o, target(Target.PROXY), generator, report, proxyPid).run();
    }

    static String human(Duration d) {
        return d.toSeconds() % 60 == 0 && d.toSeconds() >= 60 ? d.toMinutes() + " min" : d.toSeconds() + " s";
    }

    // ---------------------------------------------------------------- redis: a client key's limits shared in Redis

    /** {@link RedisScenario}: two more proxies (limits in-process, limits in Redis) against the same upstream. */
    void redis() throws Exception {
        new RedisScenario(o, generator, report, target(Target.DIRECT).port()).run();
    }
}
