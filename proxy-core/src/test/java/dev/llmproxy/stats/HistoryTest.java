package dev.llmproxy.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HistoryTest {
    private final History history = new History();

    private static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode json(String json) throws Exception {
        return Json.MAPPER.readTree(json);
    }

    /** A JSON string entry whose compact serialization is exactly {@code bytes} long. */
    private static JsonNode entryOfSize(int bytes, char fill) {
        return Json.MAPPER.getNodeFactory().textNode(String.valueOf(fill).repeat(bytes - 2));
    }

    @Test
    void keepsEachIdentitysEntriesApartNewestFirst() throws Exception {
        history.add("alice", utf8("{\"prompt\":\"a1\"}"));
        history.add("bob", utf8("{\"prompt\":\"b1\"}"));
        List<JsonNode> alice = history.add("alice", utf8("{\"prompt\":\"a2\"}"));

        assertThat(alice).containsExactly(json("{\"prompt\":\"a2\"}"), json("{\"prompt\":\"a1\"}"));
        assertThat(history.get("alice")).isEqualTo(alice);
        assertThat(history.get("bob")).containsExactly(json("{\"prompt\":\"b1\"}"));
        assertThat(history.get("carol")).isEmpty();
    }

    @Test
    void acceptsAnyJsonValueAsTheReferenceDid() throws Exception {
        history.add("alice", utf8("[1,2,3]"));
        history.add("alice", utf8("\"just text\""));
        history.add("alice", utf8("null"));
        history.add("alice", utf8(" 42 "));

        assertThat(history.get("alice")).containsExactly(json("42"), json("null"), json("\"just text\""),
                json("[1,2,3]"));
    }

    @Test
    void rejectsBodiesThatAreNotExactlyOneJsonValueWithoutQuotingThem() {
        for (String body : new String[] {"", "   ", "{\"a\":", "not json <script>", "1 2", "{}{}"}) {
            assertThatThrownBy(() -> history.add("alice", utf8(body)))
                    .as(body)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("history entry: not valid JSON (expected: exactly one JSON value)");
        }
        assertThat(history.get("alice")).isEmpty();
    }

    @Test
    void keepsAtMostTwoHundredEntriesPerIdentityDroppingTheOldest() {
        for (int i = 0; i < 205; i++) {
            history.add("alice", Json.MAPPER.getNodeFactory().numberNode(i));
        }

        List<JsonNode> entries = history.get("alice");
        assertThat(entries).hasSize(History.DEFAULT_MAX_ENTRIES);
        assertThat(entries.get(0).asInt()).isEqualTo(204);
        assertThat(entries.get(199).asInt()).isEqualTo(5);
    }

    @Test
    void keepsAtMostOneMebibytePerIdentityDroppingTheOldest() {
        int size = 100 * 1024;
        for (char c = 'a'; c <= 'k'; c++) { // 11 entries of 100 KiB: the 11th does not fit beside the other 10
            history.add("alice", entryOfSize(size, c));
        }

        List<JsonNode> entries = history.get("alice");
        assertThat(entries).hasSize(10);
        assertThat(entries.get(0).asText()).startsWith("k");
        assertThat(entries.get(9).asText()).startsWith("b");
        assertThat(history.totalBytes()).isEqualTo(10L * size).isLessThanOrEqualTo(History.DEFAULT_MAX_BYTES_PER_IDENTITY);

        history.add("alice", entryOfSize((int) History.DEFAULT_MAX_BYTES_PER_IDENTITY, 'z'));
        assertThat(history.get("alice")).as("an entry of the whole budget leaves room for nothing else").hasSize(1);
        assertThat(history.totalBytes()).isEqualTo(History.DEFAULT_MAX_BYTES_PER_IDENTITY);
    }

    @Test
    void rejectsAnEntryLargerThanAnIdentitysBudget() {
        history.add("alice", entryOfSize(10, 'a'));

        assertThatThrownBy(() -> history.add("alice", entryOfSize((int) History.DEFAULT_MAX_BYTES_PER_IDENTITY + 1, 'x')))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("history entry: 1048577 bytes (expected: at most 1048576)");
        assertThat(history.get("alice")).hasSize(1);
    }

    @Test
    void keepsAtMostMaxIdentitiesEvictingTheLeastRecentlyUsed() {
        History small = new History(200, 1024, 3, 1 << 20);
        small.add("a", entryOfSize(10, 'a'));
        small.add("b", entryOfSize(10, 'b'));
        small.add("c", entryOfSize(10, 'c'));
        small.get("a"); // reading is use: b is now the least recently used

        small.add("d", entryOfSize(10, 'd'));

        assertThat(small.identities()).isEqualTo(3);
        assertThat(small.get("b")).isEmpty();
        assertThat(small.get("a")).hasSize(1);
        assertThat(small.get("c")).hasSize(1);
        assertThat(small.get("d")).hasSize(1);
        assertThat(small.totalBytes()).isEqualTo(30);
    }

    @Test
    void keepsAtMostMaxTotalBytesEvictingTheLeastRecentlyUsed() {
        History small = new History(200, 100, 1000, 250);
        small.add("a", entryOfSize(100, 'a'));
        small.add("b", entryOfSize(100, 'b'));
        small.add("c", entryOfSize(60, 'c'));
        assertThat(small.identities()).isEqualTo(2);
        assertThat(small.get("a")).isEmpty();

        small.add("c", entryOfSize(40, 'c'));
        assertThat(small.totalBytes()).isEqualTo(200);
        small.add("d", entryOfSize(51, 'd'));
        assertThat(small.get("b")).isEmpty();
        assertThat(small.totalBytes()).isEqualTo(151).isLessThanOrEqualTo(250);
    }

    @Test
    void storesACopyAndHandsOutImmutableLists() throws Exception {
        ObjectNode entry = (ObjectNode) json("{\"prompt\":\"hi\"}");
        List<JsonNode> returned = history.add("alice", entry);
        entry.put("prompt", "changed after the POST");

        assertThat(history.get("alice")).containsExactly(json("{\"prompt\":\"hi\"}"));
        assertThatThrownBy(() -> returned.add(entry)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void concurrentPostsToOneIdentityKeepTheBoundsAndTheByteCount() throws Exception {
        int threads = 4;
        int perThread = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        List<JsonNode> list = history.add(i % 2 == 0 ? "shared" : "id-" + thread + "-" + (i / 2) % 50,
                                utf8("{\"t\":" + thread + ",\"i\":" + i + "}"));
                        assertThat(list.size()).isBetween(1, History.DEFAULT_MAX_ENTRIES);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(history.get("shared")).hasSize(History.DEFAULT_MAX_ENTRIES);
        assertThat(history.identities()).isEqualTo(1 + threads * 50);
        long bytes = 0;
        for (String identity : identities(threads)) {
            for (JsonNode entry : history.get(identity)) {
                bytes += Json.bytes(entry).length;
            }
        }
        assertThat(history.totalBytes()).isEqualTo(bytes);
    }

    private static List<String> identities(int threads) {
        List<String> identities = new ArrayList<>(List.of("shared"));
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < 50; i++) {
                identities.add("id-" + t + "-" + i);
            }
        }
        return identities;
    }

    @Test
    void validatesItsBounds() {
        assertThatThrownBy(() -> new History(0, 1, 1, 1)).hasMessage("maxEntries: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new History(1, 100, 1, 99))
                .hasMessage("maxTotalBytes: 99 (expected: >= maxBytesPerIdentity 100)");
    }
}
