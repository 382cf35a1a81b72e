package dev.llmproxy.metrics;

import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Where the gauges that mirror live state read their values: {@link ProxyMetrics} calls these suppliers on the scrape
 * thread, at scrape time, so they must be safe to call from any thread and cheap (a volatile or atomic read, a
 * snapshot copy) — never blocking.
 *
 * @param upstreamActive      upstream calls holding a concurrency slot ({@code upstream_active_current})
 * @param upstreamQueueLength requests waiting for a slot ({@code upstream_queue_length})
 * @param ready               the readiness verdict, as {@code /ready} answers it ({@code ready_up})
 * @param openConnections     open client connections ({@code http_open_connections})
 * @param rateLimitGuesses    the adaptive per-minute guess of each model ({@code model_rate_limit_guess}), keyed by
 *                            label-safe model id (catalog ids only, a bounded set); empty when adaptive limits are off
 */
public record LiveGauges(
        IntSupplier upstreamActive,
        IntSupplier upstreamQueueLength,
        BooleanSupplier ready,
        IntSupplier openConnections,
        Supplier<Map<String, GuessSample>> rateLimitGuesses) {

    public LiveGauges {
        Objects.requireNonNull(upstreamActive, "upstreamActive");
        Objects.requireNonNull(upstreamQueueLength, "upstreamQueueLength");
        Objects.requireNonNull(ready, "ready");
        Objects.requireNonNull(openConnections, "openConnections");
        Objects.requireNonNull(rateLimitGuesses, "rateLimitGuesses");
    }

    /** Zeros, ready, no guesses: for tests and tools that have no live state to show. */
    public static LiveGauges idle() {
        return new LiveGauges(() -> 0, () -> 0, () -> true, () -> 0, Map::of);
    }

    /**
     * One model's adaptive rate-limit guess.
     *
     * @param requestsPerMinute the guess
     * @param hardCap           the guess is pinned and will not rise again (exported as {@code hard_cap="1"})
     */
    public record GuessSample(int requestsPerMinute, boolean hardCap) {
    }
}
