package dev.llmproxy.routes;

import dev.llmproxy.admission.NanoClock;
import dev.llmproxy.client.ClientQuotas;
import dev.llmproxy.openai.Json;
import dev.llmproxy.stats.History;
import dev.llmproxy.stats.StatsReport;
import dev.llmproxy.stats.UsageStats;
import dev.llmproxy.upstream.ModelRouter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

class StatsRoutesTest {
    private static final LocalRequest STATS = new LocalRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1,
            HttpMethod.GET, "/v1/stats"), null, new byte[0], "test");

    private static StatsRoutes routes(Executor work) {
        return new StatsRoutes(new StatsReport(new UsageStats(NanoClock.system()), Clock.systemUTC()), new History(),
                new ClientQuotas(List.of(), System.nanoTime()), new ModelRouter(List.of(), List.of(),
                Optional.empty()), work, null);
    }

    @Test
    void buildsTheReportOnTheWorkPoolNotOnTheCallingLoop() throws Exception {
        Queue<Runnable> work = new ArrayDeque<>();
        CompletableFuture<FullHttpResponse> answer = routes(work::add).stats().respondAsync(STATS)
                .toCompletableFuture();

        assertThat(answer).as("nothing is built on the caller's thread").isNotDone();
        assertThat(work).hasSize(1);
        work.poll().run();

        FullHttpResponse response = answer.join();
        try {
            assertThat(response.status().code()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(response.content().toString(StandardCharsets.UTF_8)).has("upstreams"))
                    .isTrue();
        } finally {
            response.release();
        }
    }

    @Test
    void answers503WhenTheWorkQueueIsFull() {
        FullHttpResponse response = routes(task -> {
            throw new RejectedExecutionException("queue full");
        }).stats().respondAsync(STATS).toCompletableFuture().join();
        try {
            assertThat(response.status().code()).isEqualTo(503);
            assertThat(response.headers().get("Retry-After")).isEqualTo("1");
        } finally {
            response.release();
        }
    }
}
