package dev.llmproxy.cluster;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class UsagePeriodTest {

    @Test
    void namesTheUtcDayAndMonthAndWhenEachEnds() {
        UsagePeriod p = UsagePeriod.of(Instant.parse("2026-12-02T23:59:59.999Z"));

        assertThat(p.dayId()).isEqualTo("d:2026-12-02");
        assertThat(p.monthId()).isEqualTo("m:2026-12");
        assertThat(Instant.ofEpochMilli(p.dayEndMillis())).isEqualTo(Instant.parse("2026-12-03T00:00:00Z"));
        assertThat(Instant.ofEpochMilli(p.monthEndMillis())).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
    }

    @Test
    void midnightUtcBelongsToTheNewDayWhateverTheLocalZone() {
        UsagePeriod p = UsagePeriod.of(Instant.parse("2028-03-01T00:00:00Z"));

        assertThat(p.dayId()).isEqualTo("d:2028-03-01");
        assertThat(p.monthId()).isEqualTo("m:2028-03");
        assertThat(UsagePeriod.of(Instant.parse("2028-02-29T12:00:00Z")).monthEndMillis())
                .isEqualTo(Instant.parse("2028-03-01T00:00:00Z").toEpochMilli());
    }
}
