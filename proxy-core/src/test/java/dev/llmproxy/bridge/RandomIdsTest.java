package dev.llmproxy.bridge;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RandomIdsTest {

    @Test
    void idsCarryTheirPrefixAndDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = RandomIds.INSTANCE.next("resp");
            assertThat(id).matches("resp_[0-9A-Za-z]{24}");
            assertThat(seen.add(id)).as("unique: %s", id).isTrue();
        }
    }
}
