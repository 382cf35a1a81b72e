package dev.llmproxy.metrics;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.hotspot.DefaultExports;

/**
 * The proxy's Prometheus metrics: turns each finished request ({@link RequestSample}) into counter, histogram and
 * summary updates, and renders every family in {@link MetricNames} plus the JVM and process families in text format
 * 0.0.4. Owns its {@link CollectorRegistry}; nothing is registered in simpleclient's global default registry.
 *
 * <p><b>Threading.</b> {@link #onRequest} and {@link #recordInterChunkGap} run on event loops and take no lock:
 * simpleclient counters and histograms are adders, latencies go to per-thread HdrHistogram writers (see
 * {@link LatencyRecorder}). The only lock on that path is {@link java.util.concurrent.ConcurrentHashMap}'s bin lock
 * when a label tuple is seen for the first time. {@link #scrape()} may run on any thread, concurrently with
 * recording and with other scrapes; it collects the JVM families too (thread and memory MXBeans), so call it off
 * the event loops.
 *
 * <p><b>Counting rules</b> (where the reference was wrong, REFERENCE §5 and §12.15/§12.18):
 * <ul>
 *   <li>every request counts once in {@code http_requests_total}, rejected ones included;</li>
 *   <li>{@code rate_limit_exceeded_total} counts each 429 the proxy answered itself, once; upstream 429s go only to
 *       {@code model_rate_limit_429_total} and {@code upstream_rate_limit_429_total};</li>
 *   <li>{@code queue_wait_duration_seconds} observes the admission wait of requests that waited, nothing else;</li>
 *   <li>token counters add what the sample knows, labelled {@code source="usage"} (upstream's count) or
 *       {@code "estimate"} (the proxy's tokenizer).</li>
 * </ul>
 * Labels come only from closed sets: the sample's route template and label-safe model ({@code none} when the request
 * named no model), a known HTTP method or {@code other}, the status code, {@link Stage} labels, GitHub's
 * {@code x-ratelimit-type} values or {@code other}.
 *
 * <p>Create one per process, at start-up ({@code process_uptime_seconds} counts from construction): simpleclient_hotspot
 * attaches a GC notification listener for {@code jvm_memory_pool_allocated_bytes_total} that lives as long as the JVM.
 */
public final class ProxyMetrics implements RequestObserver {
    /** Content type of {@link #scrape()}. */
    public static final String CONTENT_TYPE = TextFormat.CONTENT_TYPE_004;

    /** The reference's buckets for {@code http_request_duration_seconds}. */
    static final double[] HTTP_DURATION_BUCKETS = {0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    /** The reference's buckets for {@code queue_wait_duration_seconds}. */
    static final double[] QUEUE_WAIT_BUCKETS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
    /** First tokens: from a fast small model's 100 ms to a large reasoning model's minute. */
    static final double[] TTFT_BUCKETS = {0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 60};
    /** Whole upstream calls: an embedding in 100 ms to a long completion in minutes. */
    static final double[] UPSTREAM_DURATION_BUCKETS = {0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300};
    /** Gaps between streamed chunks: token pacing is 10–100 ms; seconds mean a stall. */
    static final double[] INTER_CHUNK_GAP_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

    /** Model label of a request that named no model. */
    public static final String NO_MODEL = "none";
    /** Label value for anything outside a closed set. */
    public static final String OTHER = "other";

    private static final Set<String> METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT");
    private static final List<String> UPSTREAM_429_KINDS = List.of(
            "UserByModelByMinute", "UserByMinute", "UserByModelByDay", "UserConcurrentRequests", OTHER);
    /** "100" to "599", so that counting a request does not format its status. */
    private static final List<String> STATUS_LABELS =
            IntStream.range(0, 600).mapToObj(Integer::toString).collect(Collectors.toUnmodifiableList());

    private static final double NANOS_PER_SECOND = 1e9;

    private final CollectorRegistry registry = new CollectorRegistry(true);

    private final Counter requests;
    private final Counter errors;
    private final Counter rateLimitExceeded;
    private final Counter model429;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Counter tokens;
    private final Counter upstream429;
    private final Counter upstreamCancelled;
    private final Counter responseBytes;

    private final Histogram.Child httpDuration;
    private final Histogram.Child queueWait;
    private final Histogram ttft;
    private final Histogram upstreamDuration;
    private final Histogram upstreamFirstByte;
    private final Histogram.Child interChunkGap;

    private final LatencyFamily httpDurationQuantiles;
    private final LatencyFamily modelDurationQuantiles;
    private final LatencyFamily queueWaitQuantiles;
    private final LatencyFamily ttftQuantiles;
    private final LatencyFamily upstreamQuantiles;
    private final LatencyRecorder httpDurationRecorder;
    private final LatencyRecorder queueWaitRecorder;

    /**
     * Places for model series by the sample's {@link RequestSample#modelSlot}: proxy-core's {@code ModelIndex} capacity
     * (16 384) and its shared slot 0. A slot beyond them is looked up by label.
     */
    public static final int DEFAULT_MODEL_SLOTS = 16_385;

    /**
     * Children by model handle (a resolved request's model: one array read) and, for a sample without one, by label
     * and by route, so a request resolves each label once (see {@link ModelSeries}).
     */
    private final AtomicReferenceArray<ModelSeries> modelsBySlot = new AtomicReferenceArray<>(DEFAULT_MODEL_SLOTS);
    private final ConcurrentMap<String, ModelSeries> models = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, RouteSeries> routes = new ConcurrentHashMap<>();

    /** Metrics on {@link System#nanoTime()} with {@value LatencyRecorder#DEFAULT_WINDOW_MINUTES}-minute quantiles. */
    public ProxyMetrics(LiveGauges gauges) {
        this(gauges, System::nanoTime);
    }

    /**
     * @param gauges    where the live-state gauges read their values at scrape time
     * @param nanoClock monotonic clock for uptime and the quantile windows (tests inject one)
     */
    public ProxyMetrics(LiveGauges gauges, LongSupplier nanoClock) {
        requests = counter(MetricNames.HTTP_REQUESTS,
                "HTTP requests by method, route template and status, rejected ones included.",
                "method", "route", "status");
        errors = counter(MetricNames.HTTP_ERRORS, "HTTP responses with status 500 or above.");
        rateLimitExceeded = counter(MetricNames.RATE_LIMIT_EXCEEDED,
                "Requests the proxy itself refused with 429 (rate limits, flood guard, pacing, known quota), once each.");
        model429 = counter(MetricNames.MODEL_RATE_LIMIT_429, "Upstream 429 responses by model.", "model");
        promptTokens = counter(MetricNames.TOKENS_PROMPT, "Prompt tokens, from upstream usage or the proxy's estimate.");
        completionTokens = counter(MetricNames.TOKENS_COMPLETION,
                "Completion tokens, from upstream usage or the proxy's estimate.");
        tokens = counter(MetricNames.TOKENS,
                "Tokens by model, kind (prompt, completion) and source (usage from upstream, estimate by the proxy).",
                "model", "kind", "source");
        upstream429 = counter(MetricNames.UPSTREAM_429,
                "Upstream 429 responses by GitHub x-ratelimit-type (other when absent or unknown).", "kind");
        upstreamCancelled = counter(MetricNames.UPSTREAM_CANCELLED,
                "Requests the client abandoned, by the stage the exchange had reached.", "stage");
        responseBytes = counter(MetricNames.RESPONSE_BYTES, "Response body bytes written to clients, by route.",
                "route");

        httpDuration = histogram(MetricNames.HTTP_DURATION,
                "Request duration from request head to last response byte.", HTTP_DURATION_BUCKETS).labels();
        queueWait = histogram(MetricNames.QUEUE_WAIT,
                "Time requests spent waiting for admission, for those that waited.", QUEUE_WAIT_BUCKETS).labels();
        ttft = histogram(MetricNames.TTFT, "Request head to first generated token forwarded, by model.",
                TTFT_BUCKETS, "model");
        upstreamDuration = histogram(MetricNames.UPSTREAM_DURATION,
                "Admission to upstream response complete (or failed), by model.", UPSTREAM_DURATION_BUCKETS, "model");
        upstreamFirstByte = histogram(MetricNames.UPSTREAM_FIRST_BYTE,
                "Request written upstream to the upstream's response head (retries included), by route.",
                new double[]{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}, "route");
        interChunkGap = histogram(MetricNames.INTER_CHUNK_GAP, "Gap between consecutive upstream response chunks.",
                INTER_CHUNK_GAP_BUCKETS).labels();

        int window = LatencyRecorder.DEFAULT_WINDOW_MINUTES;
        String quantileNote = " Quantiles over the last " + window + " minutes; _sum and _count since start.";
        httpDurationQuantiles = latency(MetricNames.HTTP_DURATION_QUANTILES,
                "Request duration, exact per-instance quantiles." + quantileNote, List.of(), window, nanoClock);
        modelDurationQuantiles = latency(MetricNames.MODEL_REQUEST_DURATION_QUANTILES,
                "Request duration of requests naming a model, exact per-instance quantiles by model." + quantileNote,
                List.of("model"), window, nanoClock);
        queueWaitQuantiles = latency(MetricNames.QUEUE_WAIT_QUANTILES,
                "Admission wait of requests that waited, exact per-instance quantiles." + quantileNote,
                List.of(), window, nanoClock);
        ttftQuantiles = latency(MetricNames.TTFT_QUANTILES,
                "Time to first token, exact per-instance quantiles by model." + quantileNote,
                List.of("model"), window, nanoClock);
        upstreamQuantiles = latency(MetricNames.UPSTREAM_DURATION_QUANTILES,
                "Upstream call duration, exact per-instance quantiles by model." + quantileNote,
                List.of("model"), window, nanoClock);
        httpDurationRecorder = httpDurationQuantiles.labels();
        queueWaitRecorder = queueWaitQuantiles.labels();

        // Closed label sets start at zero, so rate() sees the first increment.
        for (Stage stage : Stage.values()) {
            upstreamCancelled.labels(stage.label());
        }
        UPSTREAM_429_KINDS.forEach(upstream429::labels);

        registry.register(new LiveGaugesCollector(gauges, nanoClock));
        DefaultExports.register(registry);
    }

    @Override
    public void onRequest(RequestSample s) {
        String route = s.route() == null ? OTHER : s.route();
        ModelSeries model = modelSeries(s.modelSlot(), s.model() == null ? NO_MODEL : s.model());
        RouteSeries routeSeries = routeSeries(route);

        requests.labels(methodLabel(s.method()), route, statusLabel(s.status())).inc();
        if (s.status() >= 500) {
            errors.inc();
        }
        if (s.upstream429Kind() != null) {
            model.rateLimited().inc();
            upstream429.labels(upstream429KindLabel(s.upstream429Kind())).inc();
        } else if (s.status() == 429) {
            rateLimitExceeded.inc();
        }

        if (s.durationNanos() >= 0) {
            httpDuration.observe(s.durationNanos() / NANOS_PER_SECOND);
            httpDurationRecorder.record(s.durationNanos());
            if (s.model() != null) {
                model.durationRecorder().record(s.durationNanos());
            }
        }
        if (s.queueWaitNanos() >= 0) {
            queueWait.observe(s.queueWaitNanos() / NANOS_PER_SECOND);
            queueWaitRecorder.record(s.queueWaitNanos());
        }
        if (s.ttftNanos() >= 0) {
            model.ttft().observe(s.ttftNanos() / NANOS_PER_SECOND);
            model.ttftRecorder().record(s.ttftNanos());
        }
        if (s.upstreamFirstByteNanos() >= 0) {
            routeSeries.upstreamFirstByte().observe(s.upstreamFirstByteNanos() / NANOS_PER_SECOND);
        }
        if (s.upstreamNanos() >= 0) {
            model.upstreamDuration().observe(s.upstreamNanos() / NANOS_PER_SECOND);
            model.upstreamRecorder().record(s.upstreamNanos());
        }

        if (s.promptTokens() >= 0) {
            promptTokens.inc(s.promptTokens());
            model.promptTokens(s.tokensEstimated()).inc(s.promptTokens());
        }
        if (s.completionTokens() >= 0) {
            completionTokens.inc(s.completionTokens());
            model.completionTokens(s.tokensEstimated()).inc(s.completionTokens());
        }

        if (s.abortedAt() != null) {
            upstreamCancelled.labels(s.abortedAt().label()).inc();
        }
        if (s.bytesOut() > 0) {
            routeSeries.responseBytes().inc(s.bytesOut());
        }
    }

    /**
     * The model's children, kept for the next request; beyond {@link LatencyFamily#MAX_CHILDREN} models (labels are
     * label-safe, so only a misconfigured catalog gets there) resolved again each time, as before they were kept.
     */
    private ModelSeries modelSeries(int slot, String model) {
        if (slot <= 0 || slot >= modelsBySlot.length()) {
            return modelSeries(model);
        }
        ModelSeries series = modelsBySlot.get(slot);
        // a slot's label changes when a refreshed catalog lists its model (other → id) or no longer does
        if (series == null || !series.model().equals(model)) {
            series = modelSeries(model);
            modelsBySlot.set(slot, series);
        }
        return series;
    }

    private ModelSeries modelSeries(String model) {
        ModelSeries series = models.get(model);
        if (series != null) {
            return series;
        }
        series = new ModelSeries(model, tokens, model429, ttft, upstreamDuration, modelDurationQuantiles,
                ttftQuantiles, upstreamQuantiles);
        if (models.size() >= LatencyFamily.MAX_CHILDREN) {
            return series;
        }
        ModelSeries raced = models.putIfAbsent(model, series);
        return raced != null ? raced : series;
    }

    private RouteSeries routeSeries(String route) {
        RouteSeries series = routes.get(route);
        if (series != null) {
            return series;
        }
        series = new RouteSeries(route, responseBytes, upstreamFirstByte);
        if (routes.size() >= LatencyFamily.MAX_CHILDREN) {
            return series;
        }
        RouteSeries raced = routes.putIfAbsent(route, series);
        return raced != null ? raced : series;
    }

    /** One gap between consecutive upstream body chunks of a response; called per chunk on the event loop. */
    public void recordInterChunkGap(long nanos) {
        if (nanos >= 0) {
            interChunkGap.observe(nanos / NANOS_PER_SECOND);
        }
    }

    /** Every family in text format 0.0.4 ({@link #CONTENT_TYPE}), without an OpenMetrics {@code # EOF}. */
    public String scrape() {
        StringWriter out = new StringWriter(32 * 1024);
        try {
            scrape(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not throw
        }
        return out.toString();
    }

    /** Writes every family in text format 0.0.4 ({@link #CONTENT_TYPE}). */
    public void scrape(Writer out) throws IOException {
        // simpleclient adds an OpenMetrics "_created" gauge beside every counter and histogram; text format 0.0.4 has
        // no such notion and Prometheus would store each as one more series, so they are left out.
        List<Collector.MetricFamilySamples> families =
                Collections.list(registry.filteredMetricFamilySamples(name -> !name.endsWith("_created")));
        // The registry keeps collectors in a hash set; sorting makes successive scrapes diffable.
        families.sort(Comparator.comparing(ProxyMetrics::exposedName));
        TextFormat.write004(out, Collections.enumeration(families));
    }

    /** The registry behind {@link #scrape()}, for callers that export more families. */
    public CollectorRegistry registry() {
        return registry;
    }

    /** Drains every latency recorder now; see {@link LatencyRecorder#aggregate()}. Scrapes do it anyway. */
    public void aggregate() {
        for (LatencyFamily f : List.of(httpDurationQuantiles, modelDurationQuantiles, queueWaitQuantiles,
                ttftQuantiles, upstreamQuantiles)) {
            f.aggregate();
        }
    }

    /** Duration of every request (no labels), for {@code /v1/stats} totals. */
    public LatencyFamily requestDuration() {
        return httpDurationQuantiles;
    }

    /** Duration of requests that named a model, by {@code model}, for {@code /v1/stats}. */
    public LatencyFamily requestDurationByModel() {
        return modelDurationQuantiles;
    }

    /** Admission wait of requests that waited (no labels). */
    public LatencyFamily queueWait() {
        return queueWaitQuantiles;
    }

    /** Time to first token by {@code model}. */
    public LatencyFamily timeToFirstToken() {
        return ttftQuantiles;
    }

    /** Upstream call duration by {@code model}. */
    public LatencyFamily upstreamDuration() {
        return upstreamQuantiles;
    }

    private Counter counter(String name, String help, String... labelNames) {
        return Counter.build().name(name).help(help).labelNames(labelNames).withoutExemplars().register(registry);
    }

    private Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
        return Histogram.build().name(name).help(help).buckets(buckets).labelNames(labelNames).withoutExemplars()
                .register(registry);
    }

    private LatencyFamily latency(String name, String help, List<String> labelNames, int window,
                                  LongSupplier nanoClock) {
        LatencyFamily family = new LatencyFamily(name, help, labelNames, window, nanoClock);
        registry.register(family);
        return family;
    }

    /** The name text format 0.0.4 prints for a family: simpleclient keeps counters and infos without suffix. */
    private static String exposedName(Collector.MetricFamilySamples family) {
        switch (family.type) {
            case COUNTER:
                return family.name + "_total";
            case INFO:
                return family.name + "_info";
            default:
                return family.name;
        }
    }

    static String methodLabel(String method) {
        return method != null && METHODS.contains(method) ? method : OTHER;
    }

    static String statusLabel(int status) {
        return status >= 100 && status < STATUS_LABELS.size() ? STATUS_LABELS.get(status) : OTHER;
    }

    static String upstream429KindLabel(String kind) {
        return UPSTREAM_429_KINDS.contains(kind) ? kind : OTHER;
    }
}
