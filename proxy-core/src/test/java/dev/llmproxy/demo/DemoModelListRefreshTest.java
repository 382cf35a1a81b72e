package dev.llmproxy.demo;

import dev.llmproxy.config.DemoConfig;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.CatalogRefresher;
import dev.llmproxy.openai.CredentialHeader;
import dev.llmproxy.openai.KnownModels;
import dev.llmproxy.openai.LimitSource;
import dev.llmproxy.openai.LiveCatalog;
import dev.llmproxy.openai.ModelCatalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model-list refresh end to end against the demo upstream's {@code /v1/models} (OpenAI's shape): a good answer
 * installs the demo's models with the known table's limits; every kind of bad answer keeps the list in force, logs one
 * warning, and never names the key.
 */
class DemoModelListRefreshTest {
    private static final String KEY = "sk-demo-secret-0123456789";
    private static DemoUpstream demo;

    @BeforeAll
    static void startDemo() throws InterruptedException {
        demo = DemoUpstream.start(new DemoConfig(Duration.ZERO));
    }

    @AfterAll
    static void stopDemo() {
        demo.close();
    }

    private static ModelCatalog oneModel() {
        return ModelCatalog.of(List.of(CatalogModel.listed("only", "demo")));
    }

    private static CatalogRefresher refresher(String query, LiveCatalog live) {
        URI base = demo.baseUrl().resolve("/v1");
        URI list = query.isEmpty() ? null : demo.baseUrl().resolve("/v1/models" + query);
        return CatalogRefresher.listing("demo", base, list, CredentialHeader.bearer(KEY),
                CatalogRefresher.httpClient(Duration.ofSeconds(5)), KnownModels.bundled(), live, Clock.systemUTC());
    }

    @Test
    void aGoodAnswerInstallsTheDemosModelsWithTheKnownTablesLimits() {
        LiveCatalog live = new LiveCatalog(oneModel(), Instant.EPOCH);
        CatalogRefresher.Result result = refresher("", live).refreshNow();

        assertThat(result.ok()).as(String.valueOf(result.failure())).isTrue();
        assertThat(live.current().models()).extracting(CatalogModel::id)
                .containsExactlyElementsOf(DemoUpstream.modelIds());
        assertThat(live.snapshot().loadedAt()).isAfter(Instant.EPOCH);
        CatalogModel mini = live.current().find("gpt-4o-mini").orElseThrow();
        assertThat(mini.ownedBy()).isEqualTo("openai");
        assertThat(mini.maxInputTokens()).isEqualTo(128000);
        assertThat(mini.limits().inputSource()).isEqualTo(LimitSource.KNOWN_MODELS);
        assertThat(live.current().find("llama3.2:3b").orElseThrow().maxInputTokens()).isEqualTo(131072);
        assertThat(live.current().find("mistral-small").orElseThrow().maxInputTokens()).isEqualTo(131072);
        assertThat(live.current().find("text-embedding-3-small").orElseThrow().outputModalities())
                .containsExactly("embeddings");
        assertThat(live.current().models()).allSatisfy(model ->
                assertThat(model.limits().inputSource()).as(model.id()).isEqualTo(LimitSource.KNOWN_MODELS));
    }

    @ParameterizedTest
    @ValueSource(strings = {"?fail=500", "?fail=malformed", "?fail=empty", "?fail=bare", "?fail=nonsense"})
    void aBadAnswerKeepsTheListAndLogsWithoutTheKey(String query) {
        ModelCatalog before = oneModel();
        LiveCatalog live = new LiveCatalog(before, Instant.EPOCH);
        try (LogCapture log = LogCapture.install()) {
            CatalogRefresher.Result result = refresher(query, live).refreshNow();

            assertThat(result.ok()).isFalse();
            assertThat(result.reachable()).isTrue();
            assertThat(result.failure()).isNotBlank().doesNotContain(KEY);
            assertThat(result.modelCount()).isEqualTo(1);
            assertThat(live.current()).isSameAs(before);
            assertThat(live.snapshot().loadedAt()).isEqualTo(Instant.EPOCH);
            assertThat(log.problems()).singleElement().asString().contains("upstream demo: model list refresh")
                    .contains("keeping the last good list (1 models)").doesNotContain(KEY);
        }
    }
}
