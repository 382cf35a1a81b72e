package dev.llmproxy.upstream;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ModelIndex}: one dense index per model id, ignoring case, bounded. */
class ModelIndexTest {

    @Test
    void theSameIdInAnyCaseGetsTheSameHandle() {
        ModelIndex index = new ModelIndex();
        ModelHandle first = index.intern("Org/Fine-Tune");

        assertThat(index.intern("org/fine-tune")).isSameAs(first);
        assertThat(index.internRequested("ORG/FINE-TUNE")).isSameAs(first);
        assertThat(index.find("oRg/FiNe-TuNe")).isSameAs(first);
        assertThat(first.id()).as("named by the first spelling").isEqualTo("Org/Fine-Tune");
        assertThat(first.index()).isEqualTo(1);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void distinctIdsGetDistinctDenseIndexesAndFindNeverInterns() {
        ModelIndex index = new ModelIndex();
        assertThat(index.find("gpt-4.1")).isNull();

        int a = index.intern("gpt-4.1").index();
        int b = index.internRequested("llama3.2:3b").index();
        int c = index.intern("gpt-4.1-mini").index();

        assertThat(List.of(a, b, c)).containsExactly(1, 2, 3);
        assertThat(index.find("unknown")).isNull();
        assertThat(index.size()).isEqualTo(3);
        assertThat(index.intern(null)).isSameAs(ModelHandle.OTHER);
    }

    @Test
    void idsBeyondTheCapacityShareTheOtherSlotAndRequestsLeaveRoomForCatalogs() {
        ModelIndex index = new ModelIndex(4, 2);
        ModelHandle listed = index.intern("listed");
        ModelHandle sent = index.internRequested("sent-by-a-client");

        assertThat(index.internRequested("made-up")).as("requests may take indexes up to 2 only")
                .isSameAs(ModelHandle.OTHER);
        assertThat(index.internRequested("LISTED")).as("an id already interned keeps its own").isSameAs(listed);
        assertThat(index.find("made-up")).as("nothing stored for an id without room").isNull();

        ModelHandle third = index.intern("listed-later");
        ModelHandle fourth = index.intern("listed-later-still");
        assertThat(List.of(listed.index(), sent.index(), third.index(), fourth.index())).containsExactly(1, 2, 3, 4);
        assertThat(index.intern("one-too-many")).isSameAs(ModelHandle.OTHER);
        assertThat(ModelHandle.OTHER.isOther()).isTrue();
        assertThat(index.size()).isEqualTo(4);
    }

    @Test
    void rejectsABoundForRequestsAboveTheCapacity() {
        assertThatThrownBy(() -> new ModelIndex(2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity: 2");
    }

    @Test
    void concurrentInterningGivesOneIndexPerId() throws Exception {
        ModelIndex index = new ModelIndex(1_000, 1_000);
        int threads = 4;
        int ids = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        Set<ModelHandle> seen = ConcurrentHashMap.newKeySet();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                boolean upper = t % 2 == 0;
                boolean requested = t >= 2;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < ids; i++) {
                        String id = (upper ? "Model-" : "model-") + i;
                        seen.add(requested ? index.internRequested(id) : index.intern(id));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(seen).as("one handle per id, whichever thread and case came first").hasSize(ids);
        Set<Integer> indexes = new HashSet<>();
        for (ModelHandle h : seen) {
            indexes.add(h.index());
        }
        assertThat(indexes).hasSize(ids).allMatch(i -> i >= 1 && i <= ids);
        assertThat(index.size()).isEqualTo(ids);
    }
}
