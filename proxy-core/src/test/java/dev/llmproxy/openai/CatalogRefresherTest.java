package dev.llmproxy.openai;

import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.llmproxy.openai.CatalogRefresher.Outcome.BAD_LIST;
import static dev.llmproxy.openai.CatalogRefresher.Outcome.HTTP_STATUS;
import static dev.llmproxy.openai.CatalogRefresher.Outcome.UNREACHABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The refresher against a local fake upstream: success, every kind of failure, and where the key may go. */
class CatalogRefresherTest {
    private static final String KEY = "sk-test-0123456789abcdef";
    private static final Instant NOW = Instant.parse("2026-09-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final HttpClient HTTP = CatalogRefresher.httpClient(Duration.ofSeconds(5));
    private static final String OPENAI_LISTING =
            new String(ModelListingTest.resource("openai.json"), StandardCharsets.UTF_8);

    private FakeUpstream upstream;
    private CapturedLogs logs;

    @BeforeEach
    void start() {
        upstream = FakeUpstream.start(false);
        upstream.listModels(null); // these tests script the model list themselves
        logs = CapturedLogs.install();
    }

    @AfterEach
    void stop() {
        logs.close();
        upstream.close();
    }

    private URI base() {
        return upstream.baseUrl().resolve("/v1");
    }

    private static LiveCatalog oneModel() {
        return new LiveCatalog(ModelCatalog.of(List.of(CatalogModel.listed("kept-model", "up"))), Instant.EPOCH);
    }

    private CatalogRefresher refresher(LiveCatalog live, CredentialHeader credential) {
        return CatalogRefresher.listing("up", base(), null, credential, HTTP, KnownModels.bundled(), live, CLOCK);
    }

    @Test
    void installsTheListingAndSendsTheBearerKeyToTheUpstreamsOwnModelsPath() {
        upstream.handler(FakeUpstream.json(200, OPENAI_LISTING));
        LiveCatalog live = oneModel();

        CatalogRefresher.Result result = refresher(live, CredentialHeader.bearer(KEY)).refreshNow();

        assertThat(result).isEqualTo(new CatalogRefresher.Result(true, null, 8, NOW, CatalogRefresher.Outcome.OK));
        assertThat(live.snapshot().loadedAt()).isEqualTo(NOW);
        assertThat(live.current().find("gpt-4o-mini").orElseThrow().limits().inputSource())
                .isEqualTo(LimitSource.KNOWN_MODELS);
        assertThat(live.current().find("kept-model")).isEmpty();
        RecordedRequest request = upstream.requests().get(0);
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.uri()).isEqualTo("/v1/models");
        assertThat(request.header("authorization")).isEqualTo("Bearer " + KEY);
        assertThat(logs.lines()).anyMatch(line -> line.equals("INFO upstream up: 8 models from "
                + upstream.baseUrl() + "/v1/models (was 1)"));
        assertThat(logs.lines()).noneMatch(line -> line.contains(KEY));
    }

    @Test
    void sendsAzuresApiKeyHeaderOrNothingAsTheCallerSays() {
        upstream.handler(FakeUpstream.json(200, OPENAI_LISTING));

        refresher(oneModel(), CredentialHeader.apiKey(KEY)).refreshNow();
        refresher(oneModel(), null).refreshNow();

        RecordedRequest azure = upstream.requests().get(0);
        assertThat(azure.header("api-key")).isEqualTo(KEY);
        assertThat(azure.header("authorization")).isNull();
        RecordedRequest keyless = upstream.requests().get(1);
        assertThat(keyless.header("api-key")).isNull();
        assertThat(keyless.header("authorization")).isNull();
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of("401", FakeUpstream.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: "
                        + KEY + "\"}}"), HTTP_STATUS, "HTTP 401 (expected: 200)"),
                Arguments.of("404", FakeUpstream.json(404, "{}"), HTTP_STATUS, "HTTP 404 (expected: 200)"),
                Arguments.of("410 (GitHub Models retired)", FakeUpstream.json(410, "{}"), HTTP_STATUS,
                        "HTTP 410 (expected: 200)"),
                Arguments.of("503", FakeUpstream.json(503, "<html>busy</html>"), HTTP_STATUS,
                        "HTTP 503 (expected: 200)"),
                Arguments.of("redirect", (FakeUpstream.Behavior) (request, exchange) -> exchange.respond(302,
                        Map.of("location", "http://127.0.0.1:9/models"), new byte[0]), HTTP_STATUS,
                        "HTTP 302 (expected: 200)"),
                Arguments.of("malformed", FakeUpstream.json(200, OPENAI_LISTING.substring(0, 200)), BAD_LIST,
                        "listing: not valid JSON"),
                Arguments.of("bare array", FakeUpstream.json(200, "[{\"id\":\"gpt-4o\"}]"), BAD_LIST,
                        "listing: a bare array"),
                Arguments.of("empty", FakeUpstream.json(200, "{\"object\":\"list\",\"data\":[]}"), BAD_LIST,
                        "listing: data is empty"),
                Arguments.of("no usable entry", FakeUpstream.json(200, "{\"data\":[{\"name\":\"x\"}]}"), BAD_LIST,
                        "listing: none of the 1 entries is usable"),
                Arguments.of("too big", (FakeUpstream.Behavior) (request, exchange) -> {
                    byte[] body = new byte[CatalogRefresher.MAX_BODY_BYTES + 1];
                    Arrays.fill(body, (byte) ' ');
                    exchange.respond(200, Map.of("content-type", "application/json"), body);
                }, BAD_LIST, "body larger than " + CatalogRefresher.MAX_BODY_BYTES + " bytes"),
                Arguments.of("reset", (FakeUpstream.Behavior) (request, exchange) -> exchange.reset(), UNREACHABLE,
                        "cannot fetch (IOException"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void aFailedRefreshKeepsTheLastListWithOneWarningThatNeverNamesTheKey(
            String name, FakeUpstream.Behavior behavior, CatalogRefresher.Outcome outcome, String reason) {
        upstream.handler(behavior);
        LiveCatalog live = oneModel();
        LiveCatalog.Snapshot before = live.snapshot();

        CatalogRefresher.Result result = refresher(live, CredentialHeader.bearer(KEY)).refreshNow();

        assertThat(result.ok()).isFalse();
        assertThat(result.outcome()).isEqualTo(outcome);
        assertThat(result.failure()).startsWith(reason).doesNotContain(KEY);
        assertThat(result.modelCount()).isEqualTo(1);
        assertThat(result.reachable()).isEqualTo(outcome != UNREACHABLE);
        assertThat(live.snapshot()).isSameAs(before);
        assertThat(logs.warnings()).singleElement().asString()
                .startsWith("upstream up: model list refresh from " + upstream.baseUrl() + "/v1/models failed: "
                        + reason)
                .endsWith("; keeping the last good list (1 models)");
        assertThat(logs.lines()).noneMatch(line -> line.contains(KEY));
    }

    @Test
    void anUpstreamThatDoesNotAnswerInTimeIsUnreachable() {
        upstream.handler((request, exchange) -> { }); // never answers
        LiveCatalog live = oneModel();

        CatalogRefresher.Result result = refresher(live, null).withRequestTimeout(Duration.ofMillis(300))
                .refreshNow();

        assertThat(result.outcome()).isEqualTo(UNREACHABLE);
        assertThat(result.failure()).isEqualTo("no answer within 300 ms");
        assertThat(live.current().size()).isEqualTo(1);
        assertThat(logs.warnings()).hasSize(1);
    }

    @Test
    void aRefusedConnectionIsUnreachable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CatalogRefresher refresher = CatalogRefresher.listing("gone", URI.create("http://127.0.0.1:" + closedPort
                + "/v1"), null, CredentialHeader.bearer(KEY), HTTP, KnownModels.bundled(), oneModel(), CLOCK);

        CatalogRefresher.Result result = refresher.refreshNow();

        assertThat(result.outcome()).isEqualTo(UNREACHABLE);
        assertThat(result.reachable()).isFalse();
        assertThat(result.failure()).startsWith("cannot fetch (ConnectException");
        assertThat(logs.warnings()).singleElement().asString().startsWith("upstream gone: ");
    }

    @Test
    void theKeyNeverGoesToAListOnAnotherHostAndARedirectIsNotFollowed() {
        try (FakeUpstream elsewhere = FakeUpstream.start(false)) {
            elsewhere.listModels(null); // these tests script the model list themselves
            elsewhere.handler(FakeUpstream.json(200, OPENAI_LISTING));
            // same host, other port: another origin
            CatalogRefresher other = CatalogRefresher.listing("up", base(), elsewhere.baseUrl().resolve("/models"),
                    CredentialHeader.bearer(KEY), HTTP, KnownModels.bundled(), oneModel(), CLOCK);
            assertThat(other.sendsCredential()).isFalse();
            assertThat(other.refreshNow().ok()).isTrue();
            assertThat(elsewhere.requests().get(0).header("authorization")).isNull();

            // the upstream itself redirects there: not followed, so the key stays home
            upstream.handler((request, exchange) -> exchange.respond(307,
                    Map.of("location", elsewhere.baseUrl() + "/models"), new byte[0]));
            CatalogRefresher.Result redirected = refresher(oneModel(), CredentialHeader.bearer(KEY)).refreshNow();
            assertThat(redirected.outcome()).isEqualTo(HTTP_STATUS);
            assertThat(elsewhere.requests()).hasSize(1);
        }
    }

    @Test
    void scrubsTheKeyFromAReasonThatEchoesIt() {
        // GitHub's catalog reader quotes the offending value; this one carries the token back
        upstream.handler(FakeUpstream.json(200, "[{\"id\":{\"echo\":\"" + KEY + "\"}}]"));
        LiveCatalog live = LiveCatalog.bundled();
        CatalogRefresher github = CatalogRefresher.gitHubCatalog("github", upstream.baseUrl().resolve("/inference"),
                upstream.baseUrl().resolve("/catalog/models"), KEY, HTTP, live, CLOCK);

        CatalogRefresher.Result result = github.refreshNow();

        assertThat(result.failure()).isEqualTo("catalog[0].id: {\"echo\":\"<key>\"} (expected: a non-empty string)");
        assertThat(upstream.requests().get(0).header("authorization")).isEqualTo("Bearer " + KEY);
        assertThat(logs.lines()).noneMatch(line -> line.contains(KEY));
        assertThat(live.current().size()).isEqualTo(58);
    }

    @Test
    void gitHubsCatalogElsewhereGetsNoToken() {
        CatalogRefresher github = CatalogRefresher.gitHubCatalog("github", URI.create("https://models.github.ai/inference"),
                upstream.baseUrl().resolve("/catalog/models"), KEY, HTTP, LiveCatalog.bundled(), CLOCK);
        assertThat(github.sendsCredential()).isFalse();
        assertThat(CatalogRefresher.gitHubCatalog("github", URI.create("https://models.github.ai/inference"), null,
                KEY, HTTP, LiveCatalog.bundled(), CLOCK).display()).isEqualTo("https://models.github.ai/catalog/models");
    }

    @Test
    void refusesAClientThatFollowsRedirects() {
        HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        assertThatThrownBy(() -> CatalogRefresher.listing("up", base(), null, null, following,
                KnownModels.bundled(), oneModel(), CLOCK))
                .hasMessage("http: follows redirects NORMAL (expected: NEVER, so the key cannot be carried to another"
                        + " host)");
    }

    @Test
    void refreshesOnItsOwnThreadNeverAnEventLoop() {
        upstream.handler(FakeUpstream.json(200, OPENAI_LISTING));
        LiveCatalog live = oneModel();
        try (CatalogRefresher refresher = refresher(live, null)) {
            refresher.start(Duration.ofHours(6));
            await().atMost(Duration.ofSeconds(10)).until(() -> refresher.lastResult() != null);
            assertThat(refresher.lastResult().ok()).isTrue();
            assertThat(logs.threadOf("upstream up: 8 models")).isEqualTo("catalog-refresh-up");
            assertThatThrownBy(() -> refresher.start(Duration.ofHours(6))).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aZeroIntervalRefreshesOnceAtStartUp() {
        upstream.handler(FakeUpstream.json(200, OPENAI_LISTING));
        try (CatalogRefresher refresher = refresher(oneModel(), null)) {
            refresher.start(Duration.ZERO);
            await().atMost(Duration.ofSeconds(10)).until(() -> refresher.lastResult() != null);
            assertThat(refresher.lastResult().ok()).isTrue();
            assertThat(upstream.requests()).hasSize(1);
            assertThatThrownBy(() -> refresher.start(Duration.ofSeconds(-1)))
                    .hasMessage("every: PT-1S (expected: a duration >= 0)");
        }
    }

    @Test
    void buildsTheModelsUrlAndComparesOrigins() {
        assertThat(CatalogRefresher.modelsUrl(URI.create("https://api.openai.com/v1")))
                .hasToString("https://api.openai.com/v1/models");
        assertThat(CatalogRefresher.modelsUrl(URI.create("http://localhost:11434/v1/")))
                .hasToString("http://localhost:11434/v1/models");
        assertThat(CatalogRefresher.sameOrigin(URI.create("https://Models.GitHub.ai/catalog/models"),
                URI.create("https://models.github.ai:443/inference"))).isTrue();
        assertThat(CatalogRefresher.sameOrigin(URI.create("http://models.github.ai/catalog"),
                URI.create("https://models.github.ai/inference"))).isFalse();
        assertThat(CatalogRefresher.sameOrigin(URI.create("https://evil.example/models"),
                URI.create("https://api.openai.com/v1"))).isFalse();
    }
}
