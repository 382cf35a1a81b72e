package dev.llmproxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@code CONFIG_FILE} through {@link ConfigLoader}: the file decides, settings and variables come from every source. */
class ConfigLoaderFileTest {

    private static final String KEY = "sk-fileKey";

    @TempDir
    Path tmp;

    private Path file(String yaml) throws IOException {
        return Files.writeString(tmp.resolve("llm-proxy.yaml"), yaml);
    }

    @Test
    void theFileDecidesAndTheShortcutsOnlyFeedItsVariables() throws IOException {
        Path file = file("""
                upstreams:
                  - {name: local, kind: openai-compatible, base_url: 'http://127.0.0.1:11434/v1'}
                  - {name: openai, kind: openai, api_key: '${OPENAI_API_KEY}'}
                """);

        ProxyConfig c = ConfigLoader.load(Map.of(), Map.of("CONFIG_FILE", file.toString(), "OPENAI_API_KEY", KEY,
                "GITHUB_TOKEN", "ghp_x", "OPENAI_BASE_URL", "http://elsewhere/v1"), Map.of());

        UpstreamsConfig u = c.upstreams();
        assertThat(u.source()).isEqualTo(ConfigSource.file(file));
        assertThat(u.upstreams()).extracting(UpstreamSpec::name).containsExactly("local", "openai");
        assertThat(u.upstream("openai")).hasValueSatisfying(o -> assertThat(o.sentApiKey()).contains(KEY));
        assertThat(u.notes()).extracting(ConfigNote::text).containsExactly("upstreams from CONFIG_FILE " + file
                + ": 2 upstreams: local (openai-compatible), openai (openai); 0 routes; 0 clients; OPENAI_BASE_URL,"
                + " OPENAI_API_KEY, GITHUB_TOKEN declare no upstream while CONFIG_FILE is set (the file's ${VAR} may"
                + " still use them)");
        assertThat(c.toString()).doesNotContain(KEY);
    }

    @Test
    void theSingleUpstreamViewIsTheFilesFirstUpstreamWithItsOverrides() throws IOException {
        Path file = file("""
                upstreams:
                  - name: vllm
                    kind: openai-compatible
                    base_url: http://10.0.0.2:8000/v1
                    api_key: ${VLLM_KEY}
                    first_byte_timeout_ms: 900000
                    stream_usage: false
                  - {name: openai, kind: openai, api_key: x}
                """);

        ProxyConfig c = ConfigLoader.load(Map.of("CONFIG_FILE", file.toString()),
                Map.of("UPSTREAM_CONNECT_TIMEOUT_MS", "77"), Map.of("VLLM_KEY", KEY));

        assertThat(c.upstream().baseUrl()).contains(URI.create("http://10.0.0.2:8000/v1"));
        assertThat(c.upstream().token()).contains(KEY);
        assertThat(c.upstream().demo()).isFalse();
        assertThat(c.upstream().firstByteTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.upstream().connectTimeout()).isEqualTo(Duration.ofMillis(77));
        assertThat(c.upstreamDefaults().firstByteTimeout()).isEqualTo(Duration.ofSeconds(180));
        assertThat(c.upstreamOptions(c.upstreams().first()).streamUsage()).isFalse();
        assertThat(c.upstreamOptions(c.upstreams().upstreams().get(1)).streamUsage()).isTrue();
        assertThat(c.upstreamOptions(c.upstreams().upstreams().get(1)).firstByteTimeout())
                .isEqualTo(Duration.ofSeconds(180));
        assertThat(c.metrics().injectStreamUsage()).isTrue();
        assertThat(c.tts().target()).hasValue(URI.create("http://127.0.0.1:8080"));
    }

    @Test
    void variablesComeFromFlagsThenEnvironmentThenDotenv() throws IOException {
        Path file = file("""
                upstreams:
                  - {name: a, kind: openai-compatible, base_url: 'http://${HOST_A}/v1', headers: {X-B: '${B}'}}
                """);

        ProxyConfig c = ConfigLoader.load(Map.of("CONFIG_FILE", file.toString(), "HOST_A", "flag"),
                Map.of("HOST_A", "env", "B", " "), Map.of("HOST_A", "dotenv", "B", "from-dotenv"));

        assertThat(c.upstreams().first().baseUrl()).contains(URI.create("http://flag/v1"));
        assertThat(c.upstreams().first().headers()).containsEntry("X-B", "from-dotenv");
    }

    @Test
    void aMissingConfigFileIsReportedAsTheSetting() {
        Path missing = tmp.resolve("absent.yaml");

        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(Map.of(),
                Map.of("CONFIG_FILE", missing.toString()), Map.of())).problems())
                .containsExactly("CONFIG_FILE: " + missing + " (expected: an existing, readable YAML file)");
    }

    @Test
    void fileProblemsAreReportedTogetherWithSettingProblems() throws IOException {
        Path file = file("""
                upstreams:
                  - {name: a, kind: nope}
                """);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(Map.of(),
                Map.of("CONFIG_FILE", file.toString(), "PORT", "x"), Map.of()));

        assertThat(e.problems()).containsExactlyInAnyOrder("PORT: x (expected: an integer from 0 to 65535)",
                file + ":2: upstreams[0].kind: nope (expected: one of openai, azure, openai-compatible,"
                        + " github-models)");
    }

    @Test
    void aGitHubModelsUpstreamFirstKeepsGitHubsQuotasAndCatalogCaps() throws IOException {
        Path file = file("""
                upstreams:
                  - {name: gh, kind: github-models, base_url: 'http://127.0.0.1:9/inference', api_key: t}
                """);

        ProxyConfig c = ConfigLoader.load(Map.of(), Map.of("CONFIG_FILE", file.toString()), Map.of());

        assertThat(c.models().githubModels()).isTrue();
        assertThat(c.admission().quotaPacing()).isTrue();
        assertThat(c.upstreams().notes()).noneMatch(n -> n.level() == ConfigNote.Level.WARNING);
    }
}
