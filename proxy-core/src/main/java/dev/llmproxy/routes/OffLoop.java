package dev.llmproxy.routes;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.FullHttpResponse;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Runs a local route's answer on the {@code work} pool, whose queue is bounded: when it is full the answer is a 503
 * {@code server_busy} with {@code Retry-After: 1} at once, never work queued without bound. Stateless.
 */
public final class OffLoop {
    /** Seconds a client is told to wait when the work queue is full: a queue drains in well under that. */
    static final String RETRY_AFTER_SECONDS = "1";

    private OffLoop() {
    }

    /** The 503 for a full work queue. */
    public static ProxyError busy() {
        return ProxyError.of(ErrorKind.WORK_QUEUE_FULL).withHeader("Retry-After", RETRY_AFTER_SECONDS);
    }

    static CompletionStage<FullHttpResponse> answer(LocalRequest request, Supplier<FullHttpResponse> answer,
                                                    Executor work) {
        try {
            return CompletableFuture.supplyAsync(answer, work);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(Responses.error(request.version(), busy()));
        }
    }
}
