package dev.llmproxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class UpstreamShortcutsTest {

    private static final String KEY = "sk-shortcutKey";
    private static final String GITHUB = "ghp_shortcutToken";
    private static final String AZURE_KEY = "azureShortcutKey";

    private static UpstreamsConfig upstreams(String... keyValues) {
        return load(keyValues).upstreams();
    }

    private static ProxyConfig load(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return ConfigLoader.load(Map.of(), env, Map.of());
    }

    @Test
    void nothingSetMeansTheEmbeddedDemoWithNoAddressYet() {
        ProxyConfig c = load();
        UpstreamsConfig u = c.upstreams();

        assertThat(u.demo()).isTrue();
        assertThat(u.source()).isEqualTo(ConfigSource.demo());
        assertThat(u.first().name()).isEqualTo("demo");
        assertThat(u.first().kind()).isEqualTo(UpstreamKind.OPENAI_COMPATIBLE);
        assertThat(u.first().baseUrl()).isEmpty();
        assertThat(u.first().sentApiKey()).isEmpty();
        assertThat(u.notes()).singleElement().extracting(ConfigNote::text).asString()
                .startsWith("no upstream configured: the embedded demo upstream answers");
        assertThat(c.upstream().demo()).isTrue();

        URI started = URI.create("http://127.0.0.1:40001");
        ProxyConfig running = c.withUpstream(c.upstream().withBaseUrl(started));
        assertThat(running.upstreams().first().baseUrl()).contains(started);
        assertThat(running.upstreams().demo()).isTrue();
    }

    @Test
    void openAiApiKeyAloneMeansOpenAi() {
        UpstreamsConfig u = upstreams("OPENAI_API_KEY", KEY);

        assertThat(u.source()).isEqualTo(new ConfigSource(ConfigSource.Kind.ENVIRONMENT, "OPENAI_API_KEY"));
        assertThat(u.upstreams()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("openai");
            assertThat(s.kind()).isEqualTo(UpstreamKind.OPENAI);
            assertThat(s.baseUrl()).contains(URI.create("https://api.openai.com/v1"));
            assertThat(s.auth()).isEqualTo(UpstreamAuth.BEARER);
            assertThat(s.sentApiKey()).contains(KEY);
            assertThat(s.responses()).isEqualTo(ResponsesMode.NATIVE);
        });
        assertThat(u.notes()).extracting(ConfigNote::text)
                .containsExactly("upstream openai (openai, https://api.openai.com/v1) from OPENAI_API_KEY");
    }

    @Test
    void baseUrlMeansOneOpenAiCompatibleUpstreamNamedDefault() {
        UpstreamsConfig u = upstreams("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1/", "OPENAI_API_KEY", KEY);

        assertThat(u.upstreams()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("default");
            assertThat(s.kind()).isEqualTo(UpstreamKind.OPENAI_COMPATIBLE);
            assertThat(s.baseUrl()).contains(URI.create("http://127.0.0.1:8000/v1"));
            assertThat(s.sentApiKey()).contains(KEY);
            assertThat(s.responses()).isEqualTo(ResponsesMode.BRIDGE);
        });
        assertThat(upstreams("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1").first().apiKey()).isEmpty();
    }

    @Test
    void baseUrlTakesGitHubTokenAsItsKeyWhenOpenAiApiKeyIsUnsetAsTheOriginalProxyDid() {
        UpstreamsConfig u = upstreams("OPENAI_BASE_URL", "https://gateway.example.com/v1", "GITHUB_TOKEN", GITHUB);

        assertThat(u.first().sentApiKey()).contains(GITHUB);
        assertThat(u.notes()).extracting(ConfigNote::text).containsExactly(
                "upstream default (openai-compatible, https://gateway.example.com/v1, key from GITHUB_TOKEN) from"
                        + " OPENAI_BASE_URL");
    }

    @Test
    void baseUrlOnGitHubsHostIsTheGitHubModelsKindWithItsRetirementWarning() {
        ProxyConfig c = load("OPENAI_BASE_URL", "https://models.github.ai/inference", "GITHUB_TOKEN", GITHUB);

        assertThat(c.upstreams().first().kind()).isEqualTo(UpstreamKind.GITHUB_MODELS);
        assertThat(c.upstreams().notes()).anySatisfy(n -> {
            assertThat(n.level()).isEqualTo(ConfigNote.Level.WARNING);
            assertThat(n.text()).isEqualTo("upstream default: GitHub Models was retired on 2026-07-30; its API"
                    + " answers 410 Gone");
        });
        assertThat(c.models().githubModels()).isTrue();
        assertThat(c.admission().quotaPacing()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://myres.openai.azure.com", "https://myres.openai.azure.com/",
            "https://myres.openai.azure.com/openai", "https://myres.openai.azure.com/openai/v1",
            "https://myres.openai.azure.com/openai/v1/"})
    void azureEndpointWithItsKeyMeansTheAzureV1Api(String endpoint) {
        UpstreamsConfig u = upstreams("AZURE_OPENAI_ENDPOINT", endpoint, "AZURE_OPENAI_API_KEY", AZURE_KEY);

        assertThat(u.source().detail()).isEqualTo("AZURE_OPENAI_ENDPOINT");
        assertThat(u.upstreams()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("azure");
            assertThat(s.kind()).isEqualTo(UpstreamKind.AZURE);
            assertThat(s.baseUrl()).contains(URI.create("https://myres.openai.azure.com/openai/v1"));
            assertThat(s.auth()).isEqualTo(UpstreamAuth.API_KEY);
            assertThat(s.sentApiKey()).contains(AZURE_KEY);
        });
    }

    @Test
    void halfAnAzurePairIsAnErrorNotASilentFallBack() {
        assertThat(catchThrowableOfType(ConfigException.class,
                () -> load("AZURE_OPENAI_ENDPOINT", "https://myres.openai.azure.com")).problems())
                .containsExactly("AZURE_OPENAI_API_KEY: (unset) (expected: the key of AZURE_OPENAI_ENDPOINT, which is"
                        + " set; both or neither)");
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> load("AZURE_OPENAI_API_KEY", AZURE_KEY, "OPENAI_API_KEY", KEY));
        assertThat(e.problems()).containsExactly("AZURE_OPENAI_ENDPOINT: (unset) (expected: the endpoint of"
                + " AZURE_OPENAI_API_KEY, which is set, e.g. https://myres.openai.azure.com; both or neither)");
        assertThat(e.getMessage()).doesNotContain(AZURE_KEY);
    }

    @Test
    void gitHubTokenAloneMeansTheRetiredGitHubModelsUpstream() {
        UpstreamsConfig u = upstreams("GITHUB_TOKEN", GITHUB);

        assertThat(u.upstreams()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("github");
            assertThat(s.kind()).isEqualTo(UpstreamKind.GITHUB_MODELS);
            assertThat(s.baseUrl()).contains(URI.create("https://models.github.ai/inference"));
            assertThat(s.catalogUrl()).contains(URI.create("https://models.github.ai/catalog/models"));
            assertThat(s.sentApiKey()).contains(GITHUB);
        });
        assertThat(u.notes()).filteredOn(n -> n.level() == ConfigNote.Level.WARNING).extracting(ConfigNote::text)
                .containsExactly("upstream github: GitHub Models was retired on 2026-07-30; its API answers 410 Gone");
    }

    @Test
    void baseUrlWinsOverEveryOtherShortcutAndTheNoteNamesWhatWasIgnored() {
        UpstreamsConfig u = upstreams("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1", "OPENAI_API_KEY", KEY,
                "GITHUB_TOKEN", GITHUB, "AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com",
                "AZURE_OPENAI_API_KEY", AZURE_KEY);

        assertThat(u.first().name()).isEqualTo("default");
        assertThat(u.first().sentApiKey()).contains(KEY);
        assertThat(u.notes()).extracting(ConfigNote::text).contains("AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY,"
                + " GITHUB_TOKEN also set and ignored: OPENAI_BASE_URL takes precedence (order: OPENAI_BASE_URL, then"
                + " AZURE_OPENAI_ENDPOINT, then OPENAI_API_KEY, then GITHUB_TOKEN; use CONFIG_FILE for several"
                + " upstreams)");
    }

    @Test
    void azureWinsOverOpenAiApiKeyWhichWinsOverGitHubToken() {
        UpstreamsConfig azure = upstreams("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com",
                "AZURE_OPENAI_API_KEY", AZURE_KEY, "OPENAI_API_KEY", KEY);
        assertThat(azure.first().name()).isEqualTo("azure");
        assertThat(azure.notes()).extracting(ConfigNote::text).anyMatch(t -> t.startsWith("OPENAI_API_KEY also set"
                + " and ignored: AZURE_OPENAI_ENDPOINT takes precedence"));

        UpstreamsConfig openai = upstreams("OPENAI_API_KEY", KEY, "GITHUB_TOKEN", GITHUB);
        assertThat(openai.first().name()).isEqualTo("openai");
        assertThat(openai.notes()).extracting(ConfigNote::text).anyMatch(t -> t.startsWith("GITHUB_TOKEN also set"
                + " and ignored: OPENAI_API_KEY takes precedence"));
    }

    @Test
    void theFirstUpstreamAlsoFillsTheSingleUpstreamViewTheServerStillReads() {
        ProxyConfig c = load("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com", "AZURE_OPENAI_API_KEY", AZURE_KEY,
                "UPSTREAM_CONNECT_TIMEOUT_MS", "1234");

        assertThat(c.upstream().baseUrl()).contains(URI.create("https://r.openai.azure.com/openai/v1"));
        assertThat(c.upstream().token()).contains(AZURE_KEY);
        assertThat(c.upstream().demo()).isFalse();
        assertThat(c.upstream().connectTimeout()).isEqualTo(c.upstreamOptions(c.upstreams().first()).connectTimeout())
                .hasMillis(1234);
        assertThat(c.models().githubModels()).isFalse();
        assertThat(c.admission().quotaPacing()).isFalse();
    }

    @Test
    void shortcutKeysNeverAppearInToString() {
        ProxyConfig c = load("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com", "AZURE_OPENAI_API_KEY", AZURE_KEY,
                "OPENAI_API_KEY", KEY, "GITHUB_TOKEN", GITHUB);

        assertThat(c.toString()).doesNotContain(AZURE_KEY, KEY, GITHUB).contains("apiKey=(set)");
    }

    @Test
    void anInvalidAzureKeyIsReportedHidden() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> load("AZURE_OPENAI_ENDPOINT",
                "https://r.openai.azure.com", "AZURE_OPENAI_API_KEY", AZURE_KEY + " x"));

        assertThat(e.problems()).contains("AZURE_OPENAI_API_KEY: (hidden) (expected: a token of visible ASCII"
                + " characters without spaces)");
        assertThat(e.getMessage()).doesNotContain(AZURE_KEY);
    }
}
