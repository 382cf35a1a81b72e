package dev.llmproxy.bench.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.bench.load.LoadGenerator;
import dev.llmproxy.bench.load.LoadPlan;
import dev.llmproxy.bench.load.LoadResult;
import dev.llmproxy.bench.load.RequestSpec;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Many slow streams held open at once through the proxy — one event a second each, as a model that thinks between
 * tokens — and what one open stream costs it: the proxy's RSS and its heap after the last collection, read while
 * every stream is open, less the same before, divided by the number of streams; then whether every frame of every
 * stream arrived.
 *
 * <p>Threading: the bench's main thread; the streams run on a generator of their own.
 */
final class SlowStreams {
    static final Duration RAMP = Duration.ofSeconds(10);
    /** After the ramp, how long the streams run before the reading: every stream is open and has sent some events. */
    static final Duration SETTLE = Duration.ofSeconds(8);

    private final BenchOptions o;
    private final Target proxy;
    private final Report report;
    private final long proxyPid;

    SlowStreams(BenchOptions o, Target proxy, Report report, long proxyPid) {
        this.o = o;
        this.proxy = proxy;
        this.report = report;
        this.proxyPid = proxyPid;
    }

    void run() throws Exception {
        int streams = o.slowStreams;
        int events = (int) o.slowStreamLength.toSeconds();
        String json = "{\"model\":\"" + Scenarios.MODEL + "\",\"stream\":true,\"max_tokens\":" + events
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"A slow stream.\"}]}";
        RequestSpec spec = RequestSpec.post("127.0.0.1", proxy.port(), proxy.chatPath(),
                Map.of("X-Demo-Token-Delay-Ms", "1000", "X-Demo-Tokens", Integer.toString(events)), json)
                .streamingWith(events);
        // closed loop that starts each stream once: the run ends right after the ramp, the streams drain to their end
        LoadPlan plan = LoadPlan.closed(streams, RAMP.plusSeconds(1), RAMP).withThreads(Math.max(1, o.clientThreads))
                .withTimeouts(Duration.ofSeconds(10), o.slowStreamLength.plus(Duration.ofSeconds(30)));
        long start = System.nanoTime();
        ProxyGauges before = ProxyGauges.read(0, proxyPid, proxy.port());
        CompletableFuture<LoadResult> run = CompletableFuture.supplyAsync(() -> {
            try (LoadGenerator own = new LoadGenerator(Math.max(1, o.clientThreads), null)) {
                return own.run("slow streams", spec, plan);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(RAMP.plus(SETTLE).toMillis());
        ProxyGauges open = ProxyGauges.read((System.nanoTime() - start) / 1e9, proxyPid, proxy.port());
        System.err.printf(Locale.ROOT, "  [slow streams] %.0f client connections open, RSS %.0f MB (was %.0f),"
                        + " heap after GC %.0f MB (was %.0f)%n", open.clientConnections(), open.rssMb(),
                before.rssMb(), open.heapAfterGcMb(), before.heapAfterGcMb());
        LoadResult result = run.get();
        double held = Math.max(1, open.clientConnections());
        double rssPerStreamKb = (open.rssKb() - before.rssKb()) / held;
        double heapPerStreamKb = (open.heapAfterGcBytes() - before.heapAfterGcBytes()) / 1024.0 / held;

        ObjectNode json2 = report.scenariosJson.putObject("slow-streams");
        json2.put("streams", streams).put("events_per_stream", events);
        Report.put(json2, "open_at_reading", open.clientConnections());
        Report.put(json2, "rss_before_mb", before.rssMb());
        Report.put(json2, "rss_open_mb", open.rssMb());
        Report.put(json2, "rss_per_stream_kb", rssPerStreamKb);
        Report.put(json2, "heap_after_gc_per_stream_kb", heapPerStreamKb);
        Scenarios.resultJson(json2.putObject("result"), result, result.gaps);
        report.section(String.format(Locale.ROOT, "### Slow streams: %d at once, one event a second%n%n"
                        + "Each stream sends %d events a second apart (the demo upstream paced by"
                        + " `X-Demo-Token-Delay-Ms: 1000`); all start within %d s. Read %d s after the ramp, with %.0f"
                        + " streams open: the proxy's RSS and its heap after the last collection, less the same before"
                        + " the streams, per open stream.%n%n", streams, events, RAMP.toSeconds(), SETTLE.toSeconds(),
                open.clientConnections())
                + Markdown.table(List.of("Streams", "RSS before", "RSS open", "RSS per stream", "Heap after GC per"
                                + " stream", "OK", "Lost frames", "Stalled", "Errors", "Gap p99"),
                        List.of(List.of(Integer.toString(streams), Markdown.num(before.rssMb(), 0) + " MB",
                                Markdown.num(open.rssMb(), 0) + " MB", Markdown.num(rssPerStreamKb, 1) + " KiB",
                                Markdown.num(heapPerStreamKb, 1) + " KiB", Long.toString(result.ok),
                                Long.toString(result.lostFrames), Long.toString(result.stalled),
                                Long.toString(result.errors()), Markdown.ms(LoadResult.ms(result.gaps, 99)) + " ms"))));
        report.capacityRow("Slow streams (1 event/s)", streams + " at once: proxy RSS per open stream", "KiB",
                Double.NaN, rssPerStreamKb, Double.NaN, 1);
        if (result.errors() > 0 || result.lostFrames > 0) {
            report.note("slow streams: " + result);
        }
    }
}
