package dev.llmproxy.cluster;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * The UTC day and month a moment falls in, named for Redis keys ({@code d:2026-12-02}, {@code m:2026-12}) with the
 * moment each ends: daily quotas and monthly budgets reset at 00:00 UTC, as the upstreams' own do. Immutable.
 *
 * @param day          the UTC date
 * @param dayEndMillis the next 00:00 UTC, in milliseconds since the epoch
 * @param monthEndMillis 00:00 UTC on the first of the next month
 */
record UsagePeriod(LocalDate day, long dayEndMillis, long monthEndMillis) {

    static UsagePeriod of(Instant instant) {
        return of(LocalDate.ofInstant(instant, ZoneOffset.UTC));
    }

    static UsagePeriod of(LocalDate day) {
        long dayEnd = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long monthEnd = day.withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        return new UsagePeriod(day, dayEnd, monthEnd);
    }

    /** {@code d:2026-12-02}. */
    String dayId() {
        return "d:" + day;
    }

    /** {@code m:2026-12}. */
    String monthId() {
        return "m:" + day.toString().substring(0, 7);
    }
}
