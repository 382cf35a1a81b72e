package dev.llmproxy.upstream;

import dev.llmproxy.admission.MinuteAllowance;
import dev.llmproxy.config.UpstreamLimits;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.concurrent.TimeUnit;

/**
 * Keeps requests to one upstream (or one model of it, per the limits' scope) within what it accepts, so the proxy
 * causes no upstream 429 for a load that fits: the declared {@code rpm} and {@code tpm} as token buckets refilled
 * continuously, the declared {@code concurrency}, and what the upstream says about itself — a pause until
 * {@code x-ratelimit-reset-requests} once {@code x-ratelimit-remaining-requests} reaches 0 (the same for tokens),
 * and {@code retry-after-ms} / {@code retry-after} on a 429 or 503. A request takes a pass with {@link #tryEnter} and
 * gives it back with {@link #leave}, charging the tokens it used (its estimate was taken on entry).
 *
 * <p>Threading: any event loop; each method holds this object's lock for a few arithmetic steps.
 */
public final class UpstreamGate {
    private final UpstreamLimits limits;
    private final MinuteAllowance requests;
    private final MinuteAllowance tokens;
    private long updatedNanos;
    private int inFlight;
    private long pausedUntilNanos;
    /** Until when a 429's or 503's retry-after asks for a pause: a route skips the upstream meanwhile. */
    private long retryAfterUntilNanos;

    /** The same limits kept across replicas in Redis, or null when this gate alone keeps them. */
    private final SharedUpstreamGate shared;

    public UpstreamGate(UpstreamLimits limits, long nowNanos) {
        this(limits, nowNanos, null);
    }

    /** @param shared the replicas' gate for the same scope ({@code REDIS_URL}), which then decides; or null */
    public UpstreamGate(UpstreamLimits limits, long nowNanos, SharedUpstreamGate shared) {
        this.shared = shared;
        this.limits = limits;
        this.requests = new MinuteAllowance(limits.rpm());
        this.tokens = new MinuteAllowance(limits.tpm());
        this.updatedNanos = nowNanos;
    }

    /**
     * The gate every replica shares for this scope: when present, requests enter through it ({@link
     * SharedUpstreamGate#enter}) and this gate's own numbers are not consulted. Null without {@code REDIS_URL}.
     */
    public SharedUpstreamGate shared() {
        return shared;
    }

    /**
     * Takes a pass for a request estimated at {@code tokens}: 0 when granted, else how long until one may be
     * (never 0 then; at least a millisecond).
     */
    public long tryEnter(long tokens, long nowNanos) {
        return tryEnter(tokens, nowNanos, true);
    }

    /**
     * @param honourRetryAfter whether a 429's retry-after pause holds this request (true when another upstream can
     *                         take it; a lone upstream's 429s are admission's to handle, as the upstream worded them)
     */
    public synchronized long tryEnter(long estimate, long nowNanos, boolean honourRetryAfter) {
        refill(nowNanos);
        long wait = 0;
        if (honourRetryAfter && retryAfterUntilNanos - nowNanos > 0) {
            wait = retryAfterUntilNanos - nowNanos;
        } else if (pausedUntilNanos - nowNanos > 0) {
            wait = pausedUntilNanos - nowNanos;
        } else if (limits.concurrency() > 0 && inFlight >= limits.concurrency()) {
            wait = TimeUnit.MILLISECONDS.toNanos(50);
        } else if (requests.limited() && requests.left() < 1) {
            wait = requests.waitFor(1);
        } else if (tokens.limited() && tokens.left() < Math.min(estimate, tokens.limit())) {
            wait = tokens.waitFor(Math.min(estimate, tokens.limit()));
        }
        if (wait > 0) {
            return Math.max(wait, TimeUnit.MILLISECONDS.toNanos(1));
        }
        requests.take(1);
        tokens.take(estimate);
        inFlight++;
        return 0;
    }

    /** The request that entered ended, having used {@code usedTokens} where it was estimated at {@code estimated}. */
    public synchronized void leave(long estimated, long usedTokens, long nowNanos) {
        refill(nowNanos);
        inFlight = Math.max(0, inFlight - 1);
        if (usedTokens > 0) {
            tokens.take(usedTokens - estimated); // settle the estimate to what was used
        }
    }

    /** Learns from an upstream response head: remaining-at-zero and retry-after pause every request until then. */
    public synchronized void learn(int status, HttpHeaders headers, long nowNanos) {
        long pause = 0;
        if ("0".equals(headers.get("x-ratelimit-remaining-requests"))) {
            pause = Math.max(pause, duration(headers.get("x-ratelimit-reset-requests")));
        }
        if ("0".equals(headers.get("x-ratelimit-remaining-tokens"))) {
            pause = Math.max(pause, duration(headers.get("x-ratelimit-reset-tokens")));
        }
        long max = TimeUnit.MINUTES.toNanos(10);
        if (pause > 0) {
            pausedUntilNanos = Math.max(pausedUntilNanos, nowNanos + Math.min(pause, max));
        }
        if (status == 429 || status == 503) {
            long after = retryAfter(headers);
            if (after > 0) {
                retryAfterUntilNanos = Math.max(retryAfterUntilNanos, nowNanos + Math.min(after, max));
            }
        }
    }

    public synchronized int inFlight() {
        return inFlight;
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - updatedNanos;
        if (elapsed > 0) {
            updatedNanos = nowNanos;
            requests.refill(elapsed);
            tokens.refill(elapsed);
        }
    }

    /** {@code retry-after-ms}, else {@code retry-after} in seconds; 0 when absent or not a number. */
    static long retryAfter(HttpHeaders headers) {
        try {
            String ms = headers.get("retry-after-ms");
            if (ms != null) {
                return TimeUnit.MICROSECONDS.toNanos((long) (Double.parseDouble(ms.trim()) * 1000));
            }
            String seconds = headers.get("retry-after");
            if (seconds != null) {
                return TimeUnit.MILLISECONDS.toNanos((long) (Double.parseDouble(seconds.trim()) * 1000));
            }
        } catch (NumberFormatException e) {
            return 0; // an HTTP date or garbage: the adaptive limits handle those
        }
        return 0;
    }

    /** OpenAI's reset durations ({@code 1s}, {@code 6m0s}, {@code 250ms}, {@code 1.5s}, {@code 1h2m}); 0 if unreadable. */
    static long duration(String text) {
        if (text == null || text.isBlank()) {
            return 0;
        }
        long total = 0;
        int i = 0;
        String s = text.trim();
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            if (start == i) {
                return 0;
            }
            double value;
            try {
                value = Double.parseDouble(s.substring(start, i));
            } catch (NumberFormatException e) {
                return 0;
            }
            int unitStart = i;
            while (i < s.length() && Character.isLetter(s.charAt(i))) {
                i++;
            }
            String unit = s.substring(unitStart, i);
            double nanos = switch (unit) {
                case "h" -> value * 3600e9;
                case "m" -> value * 60e9;
                case "s", "" -> value * 1e9;
                case "ms" -> value * 1e6;
                default -> -1;
            };
            if (nanos < 0) {
                return 0;
            }
            total += (long) nanos;
        }
        return total;
    }
}
