package dev.llmproxy.cluster;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PendingUsageTest {

    private static final UsagePeriod DAY_1 = UsagePeriod.of(LocalDate.parse("2026-12-01"));
    private static final UsagePeriod DAY_2 = UsagePeriod.of(LocalDate.parse("2026-12-02"));

    @Test
    void addsUpPerCounterAndDayAndDrainsEachOnce() {
        PendingUsage pending = new PendingUsage();
        pending.add("a", DAY_1, 5);
        pending.add("a", DAY_1, 7);
        pending.add("a", DAY_2, 1);
        pending.add("b", DAY_1, 3);
        assertThat(pending.pending()).isEqualTo(16);

        Map<PendingUsage.Entry, Long> drained = new HashMap<>();
        pending.drain(drained::put);

        assertThat(drained).containsOnly(
                Map.entry(new PendingUsage.Entry("a", DAY_1), 12L),
                Map.entry(new PendingUsage.Entry("a", DAY_2), 1L),
                Map.entry(new PendingUsage.Entry("b", DAY_1), 3L));
        assertThat(pending.pending()).isZero();
        Map<PendingUsage.Entry, Long> again = new HashMap<>();
        pending.drain(again::put);
        assertThat(again).isEmpty();
    }

    @Test
    void holdsABoundedNumberOfCounterDaysAndCountsWhatItDrops() {
        PendingUsage pending = new PendingUsage();
        for (int i = 0; i < PendingUsage.MAX_ENTRIES; i++) {
            pending.add("client-" + i, DAY_1, 1);
        }

        pending.add("one-too-many", DAY_1, 40);
        pending.add("client-7", DAY_1, 2);

        assertThat(pending.dropped()).isEqualTo(40);
        assertThat(pending.pending()).isEqualTo(PendingUsage.MAX_ENTRIES + 2);
    }
}
