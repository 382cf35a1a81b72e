package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.llmproxy.openai.GitHubModelsPlan.BUSINESS;
import static dev.llmproxy.openai.GitHubModelsPlan.ENTERPRISE;
import static dev.llmproxy.openai.GitHubModelsPlan.FREE;
import static dev.llmproxy.openai.GitHubModelsPlan.PRO;
import static org.assertj.core.api.Assertions.assertThat;

class GitHubModelsPlanTest {
    private final ModelCatalog catalog = ModelCatalog.bundled();

    @Test
    void parsesPlanNamesIgnoringCase() {
        assertThat(GitHubModelsPlan.parse("free")).hasValue(FREE);
        assertThat(GitHubModelsPlan.parse("Pro")).hasValue(PRO);
        assertThat(GitHubModelsPlan.parse("BUSINESS")).hasValue(BUSINESS);
        assertThat(GitHubModelsPlan.parse("enterprise")).hasValue(ENTERPRISE);
        assertThat(GitHubModelsPlan.parse("team")).isEmpty();
        assertThat(GitHubModelsPlan.parse("")).isEmpty();
        assertThat(GitHubModelsPlan.parse(null)).isEmpty();
        assertThat(ENTERPRISE.wireName()).isEqualTo("enterprise");
    }

    @Test
    void lowTierLimitsFollowThePlan() {
        assertThat(limits("openai/gpt-4o-mini", FREE)).isEqualTo(new PlanLimits(15, 150, 5, 8000, 4000, true));
        assertThat(limits("openai/gpt-4o-mini", BUSINESS)).isEqualTo(new PlanLimits(15, 300, 5, 8000, 4000, true));
        assertThat(limits("mistral-ai/mistral-nemo", ENTERPRISE))
                .isEqualTo(new PlanLimits(20, 450, 8, 8000, 8000, true));
    }

    @Test
    void highTierLimitsFollowThePlan() {
        assertThat(limits("openai/gpt-4o", PRO)).isEqualTo(new PlanLimits(10, 50, 2, 8000, 4000, true));
        assertThat(limits("deepseek/deepseek-v3-0324", BUSINESS)).isEqualTo(new PlanLimits(10, 100, 2, 8000, 4000, true));
        assertThat(limits("openai/gpt-4.1", ENTERPRISE)).isEqualTo(new PlanLimits(15, 150, 4, 16000, 8000, true));
    }

    @Test
    void embeddingsTierCapsInputTokensOnly() {
        assertThat(limits("openai/text-embedding-3-small", FREE)).isEqualTo(new PlanLimits(15, 150, 5, 64000, null, true));
        assertThat(limits("cohere/cohere-embed-v3-english", ENTERPRISE))
                .isEqualTo(new PlanLimits(20, 450, 8, 64000, null, true));
    }

    @Test
    void openAiReasoningModelsAreUnavailableOnFree() {
        for (String id : List.of("openai/o1", "openai/o1-preview", "openai/o3", "openai/gpt-5",
                "openai/o1-mini", "openai/o3-mini", "openai/o4-mini", "openai/gpt-5-mini", "openai/gpt-5-nano",
                "openai/gpt-5-chat")) {
            assertThat(limits(id, FREE)).as(id).isEqualTo(PlanLimits.NOT_AVAILABLE);
        }
        assertThat(PlanLimits.NOT_AVAILABLE.available()).isFalse();
        assertThat(PlanLimits.NOT_AVAILABLE.requestsPerMinute()).isNull();
    }

    @Test
    void customTierMapsByIdWithUnknownTokenCapsLeftNull() {
        assertThat(limits("openai/o1", PRO)).isEqualTo(new PlanLimits(1, 8, 1, null, null, true));
        assertThat(limits("openai/o1-preview", ENTERPRISE)).isEqualTo(new PlanLimits(2, 12, 1, null, null, true));
        assertThat(limits("openai/gpt-5", BUSINESS)).isEqualTo(new PlanLimits(2, 10, 1, null, null, true));
        // gpt-5-chat is in the mini row of the table, not with gpt-5
        assertThat(limits("openai/gpt-5-chat", PRO)).isEqualTo(new PlanLimits(2, 12, 1, null, null, true));
        assertThat(limits("openai/o4-mini", ENTERPRISE)).isEqualTo(new PlanLimits(3, 20, 1, null, null, true));
        assertThat(limits("deepseek/deepseek-r1", FREE)).isEqualTo(new PlanLimits(1, 8, 1, null, null, true));
        assertThat(limits("microsoft/mai-ds-r1", BUSINESS)).isEqualTo(new PlanLimits(2, 10, 1, null, null, true));
        assertThat(limits("xai/grok-3", ENTERPRISE)).isEqualTo(new PlanLimits(2, 30, null, null, null, true));
        assertThat(limits("xai/grok-3-mini", FREE)).isEqualTo(new PlanLimits(2, 30, null, null, null, true));
    }

    @Test
    void everyCatalogModelMapsToATableRowForEveryPlan() {
        for (CatalogModel model : catalog.models()) {
            for (GitHubModelsPlan plan : GitHubModelsPlan.values()) {
                assertThat(PlanLimits.limitsFor(model, plan)).as("%s on %s", model.id(), plan)
                        .isNotNull()
                        .isNotEqualTo(PlanLimits.UNKNOWN);
            }
        }
    }

    @Test
    void modelOutsideTheTableHasUnknownLimits() {
        CatalogModel newCustom = CatalogModel.gitHubCatalog("openai/gpt-6", "GPT-6", "OpenAI", "custom", null, null,
                List.of(), List.of(), List.of(), List.of());
        CatalogModel newTier = CatalogModel.gitHubCatalog("acme/x", "X", "Acme", "premium", null, null,
                List.of(), List.of(), List.of(), List.of());

        assertThat(PlanLimits.limitsFor(newCustom, PRO)).isEqualTo(PlanLimits.UNKNOWN);
        assertThat(PlanLimits.limitsFor(newTier, PRO)).isEqualTo(PlanLimits.UNKNOWN);
        assertThat(PlanLimits.UNKNOWN.available()).isTrue();
    }

    private PlanLimits limits(String id, GitHubModelsPlan plan) {
        return PlanLimits.limitsFor(catalog.find(id).orElseThrow(), plan);
    }
}
