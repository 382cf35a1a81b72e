package dev.llmproxy.openai;

import dev.llmproxy.testing.FakeUpstream;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamCatalogTest {
    private static final Instant NOW = Instant.parse("2026-09-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void aFixedListIsNeverFetchedAndTakesLimitsFromTheKnownTable() {
        try (UpstreamCatalog fixed = UpstreamCatalog.fixed("local", List.of("llama3.2:3b", "Llama3.2:3B", "my-model"),
                KnownModels.bundled(), CLOCK)) {
            fixed.start(Duration.ofMillis(1));

            assertThat(fixed.refresher()).isNull();
            assertThat(fixed.live().current().models()).extracting(CatalogModel::id)
                    .containsExactly("llama3.2:3b", "my-model");
            CatalogModel llama = fixed.live().current().find("LLAMA3.2:3b").orElseThrow();
            assertThat(llama.ownedBy()).isEqualTo("local");
            assertThat(llama.limits().input()).isEqualTo(131072);
            assertThat(fixed.live().current().find("my-model").orElseThrow().limits()).isEqualTo(ModelLimits.UNKNOWN);
            assertThat(fixed.status()).isEqualTo(new UpstreamCatalog.Status("local", true, null, 2, NOW, null));
            assertThat(fixed.status().reachable()).isNull();
        }
    }

    @Test
    void aListedUpstreamStartsEmptyAndReportsEachRefresh() {
        try (FakeUpstream upstream = FakeUpstream.start(false)) {
            upstream.listModels(null); // these tests script the model list themselves
            URI base = upstream.baseUrl().resolve("/v1");
            UpstreamCatalog catalog = UpstreamCatalog.listing("ollama", base, null, null,
                    CatalogRefresher.httpClient(Duration.ofSeconds(5)), KnownModels.bundled(), CLOCK);

            UpstreamCatalog.Status before = catalog.status();
            assertThat(before.models()).isZero();
            assertThat(before.loadedAt()).as("nothing loaded yet").isNull();
            assertThat(before.reachable()).isNull();
            assertThat(before.url()).isEqualTo(base + "/models");

            upstream.handler(FakeUpstream.json(200,
                    new String(ModelListingTest.resource("ollama.json"), StandardCharsets.UTF_8)));
            catalog.refresher().refreshNow();
            UpstreamCatalog.Status loaded = catalog.status();
            assertThat(loaded.models()).isEqualTo(6);
            assertThat(loaded.loadedAt()).isEqualTo(NOW);
            assertThat(loaded.reachable()).isTrue();
            assertThat(catalog.live().current().find("llama3.2:3b")).isPresent();
            assertThat(catalog.live().current().resolve("3b")).as("no short names off GitHub").isEqualTo("3b");

            upstream.handler(FakeUpstream.json(500, "{}"));
            catalog.refresher().refreshNow();
            UpstreamCatalog.Status failed = catalog.status();
            assertThat(failed.models()).isEqualTo(6);
            assertThat(failed.loadedAt()).isEqualTo(NOW);
            assertThat(failed.reachable()).as("it answered, with 500").isTrue();
            assertThat(failed.lastRefresh().failure()).isEqualTo("HTTP 500 (expected: 200)");
        }
    }

    @Test
    void gitHubModelsKeepsTheBundled58WhileGitHubAnswers410() {
        try (FakeUpstream github = FakeUpstream.start(false)) {
            github.listModels(null); // these tests script the model list themselves
            github.handler(FakeUpstream.json(410, "{\"error\":{\"code\":\"gone\"}}"));
            UpstreamCatalog catalog = UpstreamCatalog.gitHubModels("github", github.baseUrl().resolve("/inference"),
                    github.baseUrl().resolve("/catalog/models"), "ghp_token",
                    CatalogRefresher.httpClient(Duration.ofSeconds(5)), CLOCK);

            assertThat(catalog.status().models()).isEqualTo(58);
            assertThat(catalog.status().loadedAt()).as("the bundled list counts as loaded").isEqualTo(NOW);
            catalog.refresher().refreshNow();

            assertThat(catalog.status().models()).isEqualTo(58);
            assertThat(catalog.status().lastRefresh().failure()).isEqualTo("HTTP 410 (expected: 200)");
            assertThat(catalog.live().current().resolve("gpt-4o-mini")).isEqualTo("openai/gpt-4o-mini");
            assertThat(github.requests().get(0).header("authorization")).isEqualTo("Bearer ghp_token");
        }
    }
}
