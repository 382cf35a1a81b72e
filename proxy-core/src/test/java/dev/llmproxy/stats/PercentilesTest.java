package dev.llmproxy.stats;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PercentilesTest {

    @Test
    void selectionAgreesWithSortingForAnyLengthAndAnyDuplicates() {
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            int n = 1 + random.nextInt(round < 200 ? 5 : 3000);
            int distinct = 1 + random.nextInt(round % 3 == 0 ? 3 : 1_000_000);
            long[] values = new long[n];
            for (int i = 0; i < n; i++) {
                values[i] = random.nextInt(distinct);
            }
            long[] sorted = values.clone();
            Arrays.sort(sorted);

            Percentiles percentiles = Percentiles.of(values, n);

            assertThat(percentiles.count()).isEqualTo(n);
            assertThat(percentiles.p50()).isEqualTo(sorted[(int) Math.ceil(0.50 * n) - 1]);
            assertThat(percentiles.p95()).isEqualTo(sorted[(int) Math.ceil(0.95 * n - 1e-9) - 1]);
            assertThat(percentiles.p99()).isEqualTo(sorted[(int) Math.ceil(0.99 * n - 1e-9) - 1]);
        }
    }

    @Test
    void usesOnlyTheFirstNValues() {
        long[] values = {5, 1, 3, 1000, 1000};

        assertThat(Percentiles.of(values, 3)).isEqualTo(new Percentiles(3, 3, 5, 5));
    }

    @Test
    void noValuesGiveNone() {
        assertThat(Percentiles.of(new long[4], 0)).isEqualTo(Percentiles.NONE);
        assertThat(Percentiles.NONE.isEmpty()).isTrue();
    }

    @Test
    void nearestRankOfOneHundredValues() {
        long[] values = new long[100];
        for (int i = 0; i < 100; i++) {
            values[i] = 100 - i;
        }

        assertThat(Percentiles.of(values, 100)).isEqualTo(new Percentiles(100, 50, 95, 99));
    }
}
