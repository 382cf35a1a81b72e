package dev.llmproxy.demo;

import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.CatalogRefresher;
import dev.llmproxy.openai.LiveCatalog;
import dev.llmproxy.openai.ModelCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog refresh end to end against the demo upstream's {@code /catalog/models} (GitHub's shape): a good answer
 * replaces the catalog with the same data the bundled file has; every kind of bad answer keeps the catalog in force,
 * logs one warning, and never names the token.
 */
class DemoCatalogRefreshTest {
    private static final String TOKEN = "ghp_secret-token-0123456789";
    private static DemoUpstream demo;

    @BeforeAll
    static void startDemo() throws InterruptedException {
        Set<String> ids = ModelCatalog.bundled().models().stream().map(CatalogModel::id).collect(Collectors.toSet());
        demo = DemoUpstream.start(new DemoConfig(Duration.ZERO), ids);
    }

    @AfterAll
    static void stopDemo() {
        demo.close();
    }

    private static ModelCatalog oneModel() {
        return ModelCatalog.parse(("[{\"id\":\"x/only\",\"name\":\"Only\",\"publisher\":\"X\",\"rate_limit_tier\":\"low\","
                + "\"supported_input_modalities\":[\"text\"],\"supported_output_modalities\":[\"text\"],"
                + "\"capabilities\":[],\"tags\":[],\"limits\":{\"max_input_tokens\":10,\"max_output_tokens\":10}}]")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static CatalogRefresher refresher(String query, LiveCatalog live) {
        URI url = demo.baseUrl().resolve("/catalog/models" + query);
        return new CatalogRefresher(url, TOKEN, HttpClient.newHttpClient(), live, Clock.systemUTC());
    }

    @Test
    void aGoodAnswerReplacesTheCatalogWithTheBundledData() {
        LiveCatalog live = new LiveCatalog(oneModel(), Instant.EPOCH);
        CatalogRefresher.Result result = refresher("", live).refreshNow();

        assertThat(result.ok()).as(String.valueOf(result.failure())).isTrue();
        assertThat(result.modelCount()).isEqualTo(58);
        assertThat(live.snapshot().loadedAt()).isAfter(Instant.EPOCH);
        ModelCatalog bundled = ModelCatalog.bundled();
        assertThat(live.current().size()).isEqualTo(bundled.size());
        for (CatalogModel model : bundled.models()) {
            CatalogModel fetched = live.current().find(model.id()).orElseThrow();
            assertThat(fetched.maxInputTokens()).as(model.id()).isEqualTo(model.maxInputTokens());
            assertThat(fetched.maxOutputTokens()).as(model.id()).isEqualTo(model.maxOutputTokens());
            assertThat(fetched.rateLimitTier()).as(model.id()).isEqualTo(model.rateLimitTier());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"?fail=500", "?fail=malformed", "?fail=empty", "?fail=wrapped", "/../nothing-here"})
    void aBadAnswerKeepsTheCatalogAndLogsWithoutTheToken(String query) throws Exception {
        ModelCatalog before = oneModel();
        LiveCatalog live = new LiveCatalog(before, Instant.EPOCH);
        try (LogCapture log = LogCapture.install()) {
            CatalogRefresher.Result result = refresher(query, live).refreshNow();

            assertThat(result.ok()).isFalse();
            assertThat(result.failure()).isNotBlank().doesNotContain(TOKEN);
            assertThat(result.modelCount()).isEqualTo(1);
            assertThat(live.current()).isSameAs(before);
            assertThat(live.snapshot().loadedAt()).isEqualTo(Instant.EPOCH);
            assertThat(log.problems()).anySatisfy(line -> assertThat(line).contains("refresh").contains("keeping"));
            assertThat(log.problems()).noneSatisfy(line -> assertThat(line).contains(TOKEN));
        }
    }

    @Test
    void anUnreachableHostIsAFailedRefreshNotAnException() {
        LiveCatalog live = new LiveCatalog(oneModel(), Instant.EPOCH);
        CatalogRefresher refresher = new CatalogRefresher(URI.create("http://127.0.0.1:1/catalog/models"), TOKEN,
                HttpClient.newHttpClient(), live, Clock.systemUTC());
        CatalogRefresher.Result result = refresher.refreshNow();
        assertThat(result.ok()).isFalse();
        assertThat(result.failure()).contains("cannot fetch");
        assertThat(refresher.lastResult()).isEqualTo(result);
    }
}
