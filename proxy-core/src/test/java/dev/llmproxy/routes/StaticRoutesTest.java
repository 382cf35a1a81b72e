package dev.llmproxy.routes;

import dev.llmproxy.openai.Json;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class StaticRoutesTest {
    private static final Executor DIRECT = Runnable::run;

    /** Serves {@code app.js} under the pages root and counts every lookup. */
    private static final class CountingLoader extends ClassLoader {
        final AtomicInteger lookups = new AtomicInteger();

        CountingLoader() {
            super(null);
        }

        @Override
        public InputStream getResourceAsStream(String name) {
            lookups.incrementAndGet();
            return name.equals(StaticRoutes.PAGES_ROOT + "app.js")
                    ? new ByteArrayInputStream("console.log(1)".getBytes()) : null;
        }
    }

    @Test
    void keepsNoMemoryOfNamesThatNameNoFile() {
        StaticRoutes routes = new StaticRoutes(new CountingLoader(), DIRECT);
        LocalRoute assets = routes.uiAssets();

        for (int i = 0; i < 10_000; i++) {
            FullHttpResponse response = get(assets, "missing-" + i + ".js");
            assertThat(response.status().code()).isEqualTo(404);
            response.release();
        }

        assertThat(routes.cachedFiles()).isZero();
    }

    @Test
    void readsAFileThatExistsOnceAndServesItFromMemory() {
        CountingLoader loader = new CountingLoader();
        StaticRoutes routes = new StaticRoutes(loader, DIRECT);
        LocalRoute assets = routes.uiAssets();

        for (int i = 0; i < 3; i++) {
            FullHttpResponse response = get(assets, "app.js");
            assertThat(response.status().code()).isEqualTo(200);
            response.release();
        }

        assertThat(loader.lookups).hasValue(1);
        assertThat(routes.cachedFiles()).isEqualTo(1);
    }

    @Test
    void answers503WithRetryAfterWhenTheWorkQueueIsFull() throws Exception {
        Executor full = task -> {
            throw new RejectedExecutionException("queue full");
        };
        LocalRoute assets = new StaticRoutes(new CountingLoader(), full).uiAssets();

        FullHttpResponse response = get(assets, "app.js");
        try {
            assertThat(response.status().code()).isEqualTo(503);
            assertThat(response.headers().get("Retry-After")).isEqualTo("1");
            assertThat(Json.MAPPER.readTree(response.content().toString(java.nio.charset.StandardCharsets.UTF_8))
                    .path("error").path("code").asText()).isEqualTo("server_busy");
        } finally {
            response.release();
        }
    }

    private static FullHttpResponse get(LocalRoute route, String path) {
        LocalRequest request = new LocalRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/static/" + path), path, new byte[0], "test");
        return route.respondAsync(request).toCompletableFuture().join();
    }
}
