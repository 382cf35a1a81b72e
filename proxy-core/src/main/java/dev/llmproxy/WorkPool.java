package dev.llmproxy;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The {@code work} pool: CPU work that must not hold an event loop (decoding a large compressed body, counting a long
 * prompt's tokens, the context check, building {@code /v1/stats}, a first read of a UI file). Its queue is bounded,
 * because each queued task holds a request's parsed body: when {@link #QUEUE_CAPACITY} tasks wait, {@code execute}
 * throws {@link java.util.concurrent.RejectedExecutionException} and the submitter answers 503
 * {@code server_busy} with {@code Retry-After} instead of letting memory grow with the backlog.
 */
final class WorkPool {
    /** Tasks waiting beyond the running ones; a few hundred bodies of at most the body cap each. */
    static final int QUEUE_CAPACITY = 256;

    private WorkPool() {
    }

    /** A daemon pool of {@code threads} threads named {@code llm-proxy-work-*} with a bounded queue. */
    static ThreadPoolExecutor create(int threads) {
        return create(threads, QUEUE_CAPACITY);
    }

    static ThreadPoolExecutor create(int threads, int queueCapacity) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity), new DefaultThreadFactory("llm-proxy-work", true),
                new ThreadPoolExecutor.AbortPolicy());
    }
}
