package dev.llmproxy.client;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RouterTest {
    private final Router router = new Router(false);
    private final Router strict = new Router(true);

    @Test
    void matchesExactPathsIgnoringQueryAndOneTrailingSlash() {
        assertThat(router.match("/v1/chat/completions").route()).isEqualTo(Route.CHAT_COMPLETIONS);
        assertThat(router.match("/v1/chat/completions?x=1").route()).isEqualTo(Route.CHAT_COMPLETIONS);
        assertThat(router.match("/v1/models/").route()).isEqualTo(Route.MODELS);
        assertThat(router.match("/chat/completions").route()).isEqualTo(Route.BARE_CHAT_COMPLETIONS);
        assertThat(router.match("/health#frag").route()).isEqualTo(Route.HEALTH);
    }

    @Test
    void unknownPathsMatchNothing() {
        assertThat(router.match("/v1/chat/completion").found()).isFalse();
        assertThat(new Router(true).match("/").found()).as("strict mode has no UI").isFalse();
        assertThat(new Router(true).match("/static/ui.js").found()).isFalse();
        assertThat(new Router(true).match("/webjars/marked/15.0.12/marked.min.js").found()).isFalse();
        assertThat(router.match("/V1/CHAT/COMPLETIONS").found()).isFalse();
    }

    @Test
    void uiRoutesAndTheirTemplatesCaptureTheFilePath() {
        Router open = new Router(false);
        assertThat(open.match("/").route()).isEqualTo(Route.ROOT);
        assertThat(open.match("/ui/").route()).isEqualTo(Route.UI);
        assertThat(open.match("/monitor?x=1").route()).isEqualTo(Route.MONITOR);
        RouteMatch asset = open.match("/static/ui.js?v=2");
        assertThat(asset.route()).isEqualTo(Route.UI_ASSET);
        assertThat(asset.pathArg()).isEqualTo("ui.js");
        RouteMatch jar = open.match("/webjars/uplot/1.6.30/dist/uPlot.min.css");
        assertThat(jar.route()).isEqualTo(Route.WEBJAR);
        assertThat(jar.pathArg()).isEqualTo("uplot/1.6.30/dist/uPlot.min.css");
        assertThat(open.match("/static/").found()).isFalse();
    }

    @Test
    void modelTemplateCapturesTheRestOfThePath() {
        RouteMatch m = router.match("/v1/models/openai/gpt-4o-mini");
        assertThat(m.route()).isEqualTo(Route.MODEL);
        assertThat(m.pathArg()).isEqualTo("openai/gpt-4o-mini");
        assertThat(router.match("/v1/models/").route()).isEqualTo(Route.MODELS);
    }

    @Test
    void strictModeDropsTheNonOpenAiAliases() {
        assertThat(router.match("/api/chat/completions").route()).isEqualTo(Route.API_CHAT_COMPLETIONS);
        assertThat(strict.match("/api/chat/completions").found()).isFalse();
        assertThat(strict.match("/api/models").found()).isFalse();
        assertThat(strict.match("/v1/chat/completions").route()).isEqualTo(Route.CHAT_COMPLETIONS);
    }

    @Test
    void absoluteFormTargetsRouteByTheirPath() {
        assertThat(router.match("http://proxy.local:3010/v1/models?x").route()).isEqualTo(Route.MODELS);
        assertThat(Router.path("http://proxy.local")).isEqualTo("/");
    }

    @Test
    void queryKeepsItsQuestionMarkAndDropsTheFragment() {
        assertThat(Router.query("/v1/chat/completions")).isEmpty();
        assertThat(Router.query("/v1/chat/completions?api-version=1&x=y")).isEqualTo("?api-version=1&x=y");
        assertThat(Router.query("/a?b=c#frag")).isEqualTo("?b=c");
    }

    @Test
    void allowHeaderListsTheRouteMethodsAndOptions() {
        assertThat(Route.CHAT_COMPLETIONS.allowHeader()).isEqualTo("POST, OPTIONS");
        assertThat(Route.MODELS.allowHeader()).isEqualTo("GET, HEAD, OPTIONS");
    }

    @Test
    void everyProxiedOrApiRouteNeedsTheClientKeyButHealthDoesNot() {
        assertThat(Route.BARE_CHAT_COMPLETIONS.needsClientKey()).isTrue();
        assertThat(Route.MODELS.needsClientKey()).isTrue();
        assertThat(Route.HEALTH.needsClientKey()).isFalse();
        assertThat(Route.READY.needsClientKey()).isFalse();
    }
}
