package dev.llmproxy.stats;

import dev.llmproxy.admission.NanoClock;
import dev.llmproxy.metrics.RequestObserver;
import dev.llmproxy.metrics.RequestSample;
import dev.llmproxy.stats.ModelUsage.Outcome;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * Per-model usage for {@code GET /v1/stats}: every finished request that named a model (streams, errors, rejections
 * and client aborts included, unlike the reference, which counted non-stream chat only) adds to its model and to the
 * totals, since start and in a rolling window of the last five minutes.
 *
 * <p><b>Outcome of a request</b>, first match wins: the proxy's error kind ({@code errorKind}, lower-cased) when the
 * proxy answered or cut the response; {@code upstream_<status>} for an upstream 4xx/5xx passed through;
 * {@code client_abort} when the client left first; otherwise a success. An upstream 429 is counted apart as well,
 * whatever the outcome, from the sample's {@code upstream429Kind}; local 429s never count as upstream ones.
 *
 * <p><b>Bounds.</b> At most {@code maxModels} models: the sample's label-safe id, or {@value #OTHER} for an id that
 * is not label-safe or arrives when the table is full. Error kinds and 429 kinds are bounded the same way. Memory per
 * model is bounded: the counters, {@value #SLOT_COUNT} window slots of counters, and two HdrHistogram recorders.
 *
 * <p><b>Percentiles.</b> Latency of successes and TTFT per model come from {@code proxy-metrics}'
 * {@link dev.llmproxy.metrics.LatencyRecorder} (3 significant digits): since start over every request, and for the
 * window over the last {@value #WINDOW_MINUTES} whole minutes in which values were aggregated.
 *
 * <p><b>Window.</b> Ten-second slots; the window is the current slot and the 29 before it, so it never holds a
 * request older than five minutes and always holds every request younger than 4 min 50 s.
 *
 * <p>Threading: {@link #onRequest} runs on event loops and takes no lock (atomic cell updates; a new model or a new
 * slot is published by CAS). {@link #snapshot()} may run on any thread at the same time.
 */
public final class UsageStats implements RequestObserver {
    public static final String OTHER = "other";
    public static final Duration WINDOW = Duration.ofMinutes(5);
    public static final Duration SLOT = Duration.ofSeconds(10);

    static final int WINDOW_MINUTES = 5;
    /** More cells than the window's 30 slots, so the slot a recorder replaces is never one a report still reads. */
    static final int SLOT_COUNT = 32;
    static final int MAX_ERROR_KINDS = 64;
    static final int MAX_UPSTREAM_429_KINDS = 16;
    public static final int DEFAULT_MAX_MODELS = 256;

    private static final long SLOT_NANOS = SLOT.toNanos();
    private static final int WINDOW_SLOTS = (int) (WINDOW.toNanos() / SLOT_NANOS);
    private static final Pattern LABEL_SAFE_MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,127}");
    private static final Pattern LABEL_SAFE_KIND = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /**
     * Usage at one moment.
     *
     * @param sinceStartNanos  time since the stats started
     * @param windowNanos      the span the window covers at this moment (at most five minutes)
     * @param sinceStart       per model since start, sorted by id
     * @param window           per model in the window, sorted by id; models without requests in it are absent
     * @param totalSinceStart  all models since start
     * @param totalWindow      all models in the window
     */
    public record Snapshot(long sinceStartNanos, long windowNanos, Map<String, Usage> sinceStart,
                           Map<String, Usage> window, Usage totalSinceStart, Usage totalWindow) {
    }

    private final NanoClock clock;
    private final long originNanos;
    private final int maxModels;
    private final KeyIndex errorKinds = new KeyIndex(MAX_ERROR_KINDS, OTHER);
    private final KeyIndex upstream429Kinds = new KeyIndex(MAX_UPSTREAM_429_KINDS, OTHER);
    private final ModelUsage totals;
    private final AtomicReference<Map<String, ModelUsage>> models = new AtomicReference<>(Map.of());

    public UsageStats(NanoClock clock) {
        this(clock, DEFAULT_MAX_MODELS);
    }

    /** @param maxModels models tracked apart, {@value #OTHER} included (the catalog has 58) */
    public UsageStats(NanoClock clock, int maxModels) {
        if (maxModels < 2) {
            throw new IllegalArgumentException("maxModels: " + maxModels + " (expected: >= 2)");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.originNanos = clock.nanoTime();
        this.maxModels = maxModels;
        this.totals = newModelUsage();
    }

    @Override
    public void onRequest(RequestSample sample) {
        if (sample.model() == null) {
            return;
        }
        Outcome outcome = new Outcome(errorKindIndex(sample), upstream429KindIndex(sample), sample.durationNanos(),
                sample.ttftNanos(), sample.promptTokens(), sample.completionTokens(), sample.tokensEstimated(),
                sample.upstreamNanos());
        long epoch = epoch(clock.nanoTime());
        model(sample.model()).record(outcome, epoch);
        totals.record(outcome, epoch);
    }

    private int errorKindIndex(RequestSample sample) {
        String kind;
        if (sample.errorKind() != null) {
            kind = sample.errorKind().toLowerCase(Locale.ROOT);
        } else if (sample.status() >= 400 && !(sample.clientAborted() && sample.status() == 499)) {
            kind = "upstream_" + sample.status();
        } else if (sample.clientAborted()) {
            kind = "client_abort";
        } else {
            return Outcome.NONE;
        }
        return errorKinds.indexOf(LABEL_SAFE_KIND.matcher(kind).matches() ? kind : OTHER);
    }

    private int upstream429KindIndex(RequestSample sample) {
        String kind = sample.upstream429Kind();
        if (kind == null) {
            return Outcome.NONE;
        }
        return upstream429Kinds.indexOf(LABEL_SAFE_KIND.matcher(kind).matches() ? kind : OTHER);
    }

    private long epoch(long nowNanos) {
        return Math.max(0, nowNanos - originNanos) / SLOT_NANOS;
    }

    private ModelUsage model(String id) {
        for (;;) {
            Map<String, ModelUsage> current = models.get();
            ModelUsage usage = current.get(id);
            if (usage != null) {
                return usage;
            }
            // The table keeps one place for OTHER, so a full table still has somewhere to count.
            String key = LABEL_SAFE_MODEL.matcher(id).matches()
                    && (current.size() < maxModels - 1 || id.equals(OTHER)) ? id : OTHER;
            if (!key.equals(id) && (usage = current.get(key)) != null) {
                return usage;
            }
            Map<String, ModelUsage> next = new HashMap<>(current);
            next.put(key, newModelUsage());
            if (models.compareAndSet(current, Map.copyOf(next))) {
                return next.get(key);
            }
        }
    }

    private ModelUsage newModelUsage() {
        return new ModelUsage(errorKinds, upstream429Kinds, SLOT_COUNT, WINDOW_MINUTES, clock::nanoTime);
    }

    /**
     * Moves what event loops recorded into the percentile windows. A latency lands in the minute in which it was
     * aggregated, so the server calls this every second; {@link #snapshot()} calls it too.
     */
    public void aggregate() {
        totals.aggregate();
        for (ModelUsage usage : models.get().values()) {
            usage.aggregate();
        }
    }

    /** Builds the current usage: cost grows with the models that have requests, not with traffic. */
    public Snapshot snapshot() {
        long elapsed = Math.max(0, clock.nanoTime() - originNanos);
        long current = elapsed / SLOT_NANOS;
        long first = Math.max(0, current - WINDOW_SLOTS + 1);
        Map<String, Usage> sinceStart = new TreeMap<>();
        Map<String, Usage> window = new TreeMap<>();
        for (Map.Entry<String, ModelUsage> entry : models.get().entrySet()) {
            sinceStart.put(entry.getKey(), entry.getValue().sinceStart());
            Usage recent = entry.getValue().window(first, current);
            if (recent.requests() > 0) {
                window.put(entry.getKey(), recent);
            }
        }
        return new Snapshot(elapsed, elapsed - first * SLOT_NANOS, sinceStart, window,
                totals.sinceStart(), totals.window(first, current));
    }
}
