package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TokenLimitsTest {

    private static CatalogModel model(ModelLimits limits) {
        return CatalogModel.listed("deepseek-chat", "deepseek").withLimits(limits);
    }

    @Test
    void reservesTheDefaultOutputCapForARequestWithoutMaxTokens() {
        // DeepSeek's API: max_tokens up to 8K, 4K when the request sets none
        TokenLimits deepSeek = TokenLimits.of(model(new ModelLimits(131072, 8192, 4096, LimitSource.CONFIG,
                LimitSource.CONFIG)), null);
        assertThat(deepSeek.output()).isEqualTo(8192);
        assertThat(deepSeek.outputWithoutMaxTokens()).isEqualTo(4096);
        assertThat(deepSeek.inputSource()).isEqualTo("config");

        TokenLimits openAi = TokenLimits.of(model(ModelLimits.of(128000, 16384, LimitSource.KNOWN_MODELS)), null);
        assertThat(openAi.outputWithoutMaxTokens()).as("no lower default: the ceiling").isEqualTo(16384);

        assertThat(TokenLimits.of(model(ModelLimits.UNKNOWN), null).outputWithoutMaxTokens()).isNull();
    }

    @Test
    void thePlansOutputCapBoundsTheReservation() {
        CatalogModel gpt4oMini = ModelCatalog.bundled().find("openai/gpt-4o-mini").orElseThrow();
        TokenLimits free = TokenLimits.of(gpt4oMini, GitHubModelsPlan.FREE);
        assertThat(free.output()).isEqualTo(4000);
        assertThat(free.outputWithoutMaxTokens()).isEqualTo(4000);
        assertThat(free.inputSource()).isEqualTo("plan");
        assertThat(free.modelInput()).isEqualTo(gpt4oMini.maxInputTokens());
        assertThat(TokenLimits.of(gpt4oMini, null).inputSource()).isEqualTo("catalog");
    }

    @Test
    void configLimitsWinOverTheListingAndTheListingOverTheTable() {
        ModelLimits config = ModelLimits.of(8192, null, LimitSource.CONFIG);
        ModelLimits listing = ModelLimits.of(32768, null, LimitSource.LISTING);
        ModelLimits known = ModelLimits.of(131072, 8192, LimitSource.KNOWN_MODELS);

        assertThat(config.orElse(listing).orElse(known)).isEqualTo(new ModelLimits(8192, 8192, null,
                LimitSource.CONFIG, LimitSource.KNOWN_MODELS));
        assertThat(ModelLimits.UNKNOWN.orElse(listing).orElse(known)).isEqualTo(new ModelLimits(32768, 8192, null,
                LimitSource.LISTING, LimitSource.KNOWN_MODELS));
        assertThat(ModelLimits.UNKNOWN.orElse(ModelLimits.UNKNOWN)).isEqualTo(ModelLimits.UNKNOWN);
        assertThat(List.of(known.complete(), listing.complete())).containsExactly(true, false);
    }
}
