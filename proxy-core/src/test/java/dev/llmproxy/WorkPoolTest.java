package dev.llmproxy;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkPoolTest {

    @Test
    void refusesTasksBeyondItsQueueInsteadOfHoldingThem() throws Exception {
        ThreadPoolExecutor pool = WorkPool.create(1, 2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        try {
            pool.execute(() -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            pool.execute(() -> { });
            pool.execute(() -> { });

            assertThatThrownBy(() -> pool.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
            assertThat(pool.getQueue()).hasSize(2);
        } finally {
            release.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void runsOnDaemonThreadsNamedForThePool() throws Exception {
        ThreadPoolExecutor pool = WorkPool.create(2);
        try {
            Thread thread = pool.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
            assertThat(thread.isDaemon()).isTrue();
            assertThat(thread.getName()).startsWith("llm-proxy-work");
            assertThat(pool.getQueue().remainingCapacity()).isEqualTo(WorkPool.QUEUE_CAPACITY);
        } finally {
            pool.shutdownNow();
        }
    }
}
