package dev.llmproxy.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.Function;

/**
 * Renders the bodies of {@code GET /v1/rate-limits/observed} and {@code GET /v1/rate-limits/daily} (REFERENCE §2.13)
 * from snapshots. Stateless; pure functions of their arguments, safe on any thread.
 *
 * <p>The reference's keys and shapes are kept as they were (including its mixed {@code hardCap} / {@code updated_at}
 * spelling, which clients of the reference read); everything added here is in new keys: the quota state learned
 * from upstream 429s in {@code observed}, each model's published daily limit in {@code daily}.
 */
public final class RateLimitReports {
    private RateLimitReports() {
    }

    /**
     * The {@code observed} body with adaptive limits on:
     * {@code {adaptive:true, window_seconds:60, [paused_until], data:{<model>:{guess, hardCap, last429At, updated_at,
     * [paused_until], [daily_exhausted_until], [concurrency_limit, concurrency_limit_until]}}}}. A model with quota
     * state but no adaptive state yet gets only the quota keys. The top-level {@code paused_until} is the all-models
     * pause ({@code UserByMinute}).
     */
    public static ObjectNode observed(Map<String, AdaptiveLimits.Observed> adaptive, QuotaTracker.Snapshot quota) {
        ObjectNode root = Json.object();
        root.put("adaptive", true);
        root.put("window_seconds", AdaptiveLimits.WINDOW_SECONDS);
        putInstant(root, "paused_until", quota.globalPausedUntil());
        ObjectNode data = root.putObject("data");
        adaptive.forEach((model, observed) -> {
            ObjectNode entry = data.putObject(model);
            entry.put("guess", observed.guess());
            entry.put("hardCap", observed.hardCap());
            entry.put("last429At", observed.last429AtEpochMillis());
            entry.put("updated_at", observed.updatedAtEpochMillis());
        });
        putQuota(data, quota);
        return root;
    }

    /**
     * The {@code observed} body with adaptive limits off: the reference's {@code {adaptive:false}}, plus the quota
     * state ({@code paused_until}, {@code data}) only when there is any, since quota tracking works either way.
     */
    public static ObjectNode observedWithoutAdaptive(QuotaTracker.Snapshot quota) {
        ObjectNode root = Json.object();
        root.put("adaptive", false);
        putInstant(root, "paused_until", quota.globalPausedUntil());
        if (!quota.models().isEmpty()) {
            putQuota(root.putObject("data"), quota);
        }
        return root;
    }

    /**
     * The {@code daily} body: {@code {date:"YYYY-MM-DD", hours_until_reset:<hours, 2 decimals>, models:{<model>:
     * {count, errors, [per_day]}}}}, today's models only.
     *
     * @param dailyLimitFor the published requests per day of a model under the configured plan, or null when
     *                      unknown (as {@code rate_limit.per_day} of {@code /v1/models})
     */
    public static ObjectNode daily(DailyUsage.Snapshot usage, Function<String, Integer> dailyLimitFor) {
        ObjectNode root = Json.object();
        root.put("date", usage.date().toString());
        root.put("hours_until_reset", Math.round(usage.hoursUntilReset() * 100) / 100.0);
        ObjectNode models = root.putObject("models");
        usage.models().forEach((model, counts) -> {
            ObjectNode entry = models.putObject(model);
            entry.put("count", counts.count());
            entry.put("errors", counts.errors());
            Integer perDay = dailyLimitFor.apply(model);
            if (perDay != null) {
                entry.put("per_day", perDay);
            }
        });
        return root;
    }

    private static void putQuota(ObjectNode data, QuotaTracker.Snapshot quota) {
        quota.models().forEach((model, state) -> {
            ObjectNode entry = data.has(model) ? (ObjectNode) data.get(model) : data.putObject(model);
            putInstant(entry, "paused_until", state.pausedUntil());
            putInstant(entry, "daily_exhausted_until", state.dailyExhaustedUntil());
            if (state.concurrencyLimit() != null) {
                entry.put("concurrency_limit", state.concurrencyLimit());
                putInstant(entry, "concurrency_limit_until", state.concurrencyLimitUntil());
            }
        });
    }

    /**
     * ISO-8601 UTC, rounded up to the second: a client that waits until the printed time must not be refused
     * for the fraction that was cut off.
     */
    private static void putInstant(ObjectNode node, String key, Instant instant) {
        if (instant == null) {
            return;
        }
        Instant whole = instant.truncatedTo(ChronoUnit.SECONDS);
        node.put(key, (whole.equals(instant) ? whole : whole.plusSeconds(1)).toString());
    }
}
