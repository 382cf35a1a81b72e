package dev.llmproxy.bridge.responses;

import dev.llmproxy.bridge.Ids;
import dev.llmproxy.bridge.RandomIds;

/** The production ids, where a test does not care which ids come out. */
final class RandomIdsForTest {
    static final Ids IDS = RandomIds.INSTANCE;

    private RandomIdsForTest() {
    }
}
