package dev.llmproxy.bench.load;

import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.TreeMap;

/**
 * What one load run measured. Histograms hold microseconds.
 *
 * <p>{@code latency} is from each request's intended send time to its last byte (open mode; closed mode: from the
 * actual send), {@code serviceTime} from the actual send, so the two differ by the time requests waited for a free
 * connection. {@code ttft} is from the intended time to the first content event, {@code gaps} between consecutive
 * content events of one stream.
 *
 * <p>Threading: filled by one client event loop, merged after the run, then read-only.
 */
public final class LoadResult {
    static final long HIGHEST_MICROS = 600_000_000L;

    public final Histogram latency = newHistogram();
    public final Histogram serviceTime = newHistogram();
    public final Histogram ttft = newHistogram();
    public final Histogram gaps = newHistogram();
    /** Requests whose intended time came (open) or that were issued (closed). */
    public long issued;
    /** Requests actually written to a connection. */
    public long sent;
    /** Completed with 200 and, for streams, exactly the expected content events. */
    public long ok;
    /** Non-200 answers, by status. */
    public final Map<Integer, Long> statuses = new TreeMap<>();
    /** Connection closed or reset with the request in flight, or a connect failure. */
    public long resets;
    /** Given up after the stall timeout with no byte. */
    public long stalled;
    /** Of {@link #stalled}: those that had not even received the response head. */
    public long stalledBeforeHead;
    /** Never finished: still waiting or in flight when the drain timeout ended the run. */
    public long unfinished;
    /** Content events seen, expected, and the shortfall / excess over complete streams. */
    public long contentEvents;
    public long lostFrames;
    public long extraFrames;
    /** Streams that ended with a frame count other than the expected one (200 or not). */
    public long badStreams;
    public long bodyBytes;
    /** From t0 to the end of the schedule, and to the last completion. */
    public long scheduleNanos;
    public long elapsedNanos;
    public int connectionsOpened;

    static Histogram newHistogram() {
        return new Histogram(HIGHEST_MICROS, 3);
    }

    static void record(Histogram h, long nanos) {
        long micros = Math.max(0, nanos / 1_000);
        h.recordValue(Math.min(micros, HIGHEST_MICROS));
    }

    public long errors() {
        long statusErrors = 0;
        for (long n : statuses.values()) {
            statusErrors += n;
        }
        return statusErrors + resets + stalled + unfinished + badStreams;
    }

    /** Completed requests per second over the schedule. */
    public double achievedRate() {
        return elapsedNanos == 0 ? 0 : ok * 1e9 / elapsedNanos;
    }

    void add(LoadResult other) {
        latency.add(other.latency);
        serviceTime.add(other.serviceTime);
        ttft.add(other.ttft);
        gaps.add(other.gaps);
        issued += other.issued;
        sent += other.sent;
        ok += other.ok;
        other.statuses.forEach((k, v) -> statuses.merge(k, v, Long::sum));
        resets += other.resets;
        stalled += other.stalled;
        stalledBeforeHead += other.stalledBeforeHead;
        unfinished += other.unfinished;
        contentEvents += other.contentEvents;
        lostFrames += other.lostFrames;
        extraFrames += other.extraFrames;
        badStreams += other.badStreams;
        bodyBytes += other.bodyBytes;
        scheduleNanos = Math.max(scheduleNanos, other.scheduleNanos);
        elapsedNanos = Math.max(elapsedNanos, other.elapsedNanos);
        connectionsOpened += other.connectionsOpened;
    }

    /** A value of a histogram at a percentile, in milliseconds. */
    public static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }

    @Override
    public String toString() {
        return String.format("ok=%d errors=%d (statuses=%s resets=%d stalled=%d unfinished=%d bad streams=%d lost=%d"
                        + " extra=%d) p50=%.2fms p99=%.2fms max=%.2fms",
                ok, errors(), statuses, resets, stalled, unfinished, badStreams, lostFrames, extraFrames,
                ms(latency, 50), ms(latency, 99), latency.getMaxValue() / 1000.0);
    }
}
