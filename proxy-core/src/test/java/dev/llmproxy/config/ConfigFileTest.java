package dev.llmproxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ConfigFileTest {

    private static final String SECRET = "sk-s3cr3tValue";
    private static final String URL_RULE =
            "an absolute http or https URL with a host and no user info, query or fragment";

    @TempDir
    Path tmp;

    private Path file;

    private UpstreamsConfig read(String yaml, String... env) throws IOException {
        file = Files.writeString(tmp.resolve("llm-proxy.yaml"), yaml);
        return ConfigFile.read(file, variables(env));
    }

    private List<String> problems(String yaml, String... env) throws IOException {
        file = Files.writeString(tmp.resolve("llm-proxy.yaml"), yaml);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigFile.read(file, variables(env)));
        assertThat(e).as("the file should have been refused").isNotNull();
        return e.problems();
    }

    private String at(int line) {
        return file + ":" + line + ": ";
    }

    private static java.util.function.Function<String, Optional<String>> variables(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return name -> Optional.ofNullable(m.get(name));
    }

    @Test
    void eachKindGetsItsDefaultsAndEveryKeyReachesTheModel() throws IOException {
        UpstreamsConfig c = read("""
                upstreams:
                  - name: local
                    kind: openai-compatible
                    base_url: http://127.0.0.1:11434/v1/
                    models: [llama3.2:3b, qwen/qwen3:8b]
                    limits: {rpm: 600, tpm: 200000, concurrency: 8, scope: upstream}
                    connect_timeout_ms: 250
                    first_byte_timeout_ms: 600000
                    stream_idle_timeout_ms: 5000
                    pool_max_connections: 3
                    stream_usage: off
                    headers: {X-Team: blue}
                  - name: openai
                    kind: openai
                    api_key: ${OPENAI_API_KEY}
                  - name: azure
                    kind: azure
                    base_url: https://myres.openai.azure.com/openai/v1
                    api_key: ${AZURE_OPENAI_API_KEY}
                    responses: bridge
                  - name: github
                    kind: GitHub-Models
                    auth: passthrough
                routes:
                  fast: [local/llama3.2:3b, openai/gpt-4.1-mini]
                default_upstream: openai
                clients:
                  - name: team-a
                    key_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
                    models: [fast]
                    limits: {rpm: 60, monthly_tokens: 20000000}
                    over_limit: queue
                """, "OPENAI_API_KEY", SECRET + "-openai", "AZURE_OPENAI_API_KEY", SECRET + "-azure");

        assertThat(c.upstreams()).extracting(UpstreamSpec::name).containsExactly("local", "openai", "azure", "github");
        UpstreamSpec local = c.upstreams().get(0);
        assertThat(local.baseUrl()).contains(URI.create("http://127.0.0.1:11434/v1"));
        assertThat(local.auth()).isEqualTo(UpstreamAuth.BEARER);
        assertThat(local.apiKey()).isEmpty();
        assertThat(local.models()).contains(List.of("llama3.2:3b", "qwen/qwen3:8b"));
        assertThat(local.responses()).isEqualTo(ResponsesMode.BRIDGE);
        assertThat(local.limits()).isEqualTo(new UpstreamLimits(600, 200_000, 8, UpstreamLimits.Scope.UPSTREAM));
        assertThat(local.catalogUrl()).isEmpty();
        assertThat(local.headers()).containsExactly(Map.entry("X-Team", "blue"));
        assertThat(local.overrides()).isEqualTo(new UpstreamOverrides(Optional.of(Duration.ofMillis(250)),
                Optional.of(Duration.ofMinutes(10)), Optional.of(Duration.ofSeconds(5)), OptionalInt.of(3),
                Optional.empty(), Optional.of(false)));

        UpstreamSpec openai = c.upstreams().get(1);
        assertThat(openai.kind()).isEqualTo(UpstreamKind.OPENAI);
        assertThat(openai.baseUrl()).contains(URI.create("https://api.openai.com/v1"));
        assertThat(openai.apiKey()).contains(SECRET + "-openai");
        assertThat(openai.sentApiKey()).contains(SECRET + "-openai");
        assertThat(openai.responses()).isEqualTo(ResponsesMode.NATIVE);
        assertThat(openai.limits()).isEqualTo(UpstreamLimits.NONE);
        assertThat(openai.overrides()).isEqualTo(UpstreamOverrides.NONE);

        UpstreamSpec azure = c.upstreams().get(2);
        assertThat(azure.auth()).isEqualTo(UpstreamAuth.API_KEY);
        assertThat(azure.responses()).isEqualTo(ResponsesMode.BRIDGE);

        UpstreamSpec github = c.upstreams().get(3);
        assertThat(github.kind()).isEqualTo(UpstreamKind.GITHUB_MODELS);
        assertThat(github.baseUrl()).contains(URI.create("https://models.github.ai/inference"));
        assertThat(github.catalogUrl()).contains(URI.create("https://models.github.ai/catalog/models"));
        assertThat(github.auth()).isEqualTo(UpstreamAuth.PASSTHROUGH);
        assertThat(github.sentApiKey()).isEmpty();

        assertThat(c.routes()).containsExactly(new RouteSpec("fast",
                List.of(new RouteTarget("local", "llama3.2:3b"), new RouteTarget("openai", "gpt-4.1-mini"))));
        assertThat(c.defaultUpstream()).contains("openai");
        ClientSpec client = c.clients().get(0);
        assertThat(client.name()).isEqualTo("team-a");
        assertThat(client.keyDigest().matchesKey("test")).isTrue();
        assertThat(client.models()).contains(List.of("fast"));
        assertThat(client.limits()).isEqualTo(new ClientLimits(60, 0, 0, 0, 20_000_000));
        assertThat(client.overLimit()).isEqualTo(ClientSpec.OverLimit.QUEUE);
        assertThat(c.source()).isEqualTo(new ConfigSource(ConfigSource.Kind.FILE, file.toString()));
        assertThat(c.demo()).isFalse();
        assertThat(c.notes()).singleElement().satisfies(n -> {
            assertThat(n.level()).isEqualTo(ConfigNote.Level.WARNING);
            assertThat(n.text()).startsWith(at(21) + "upstream github: GitHub Models was retired on 2026-07-30");
        });
    }

    @Test
    void overridesReplaceOnlyWhatTheyNameOfTheEnvironmentDefaults() throws IOException {
        Path ca = Files.writeString(tmp.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        UpstreamOptions env = new UpstreamOptions(Duration.ofSeconds(10), Duration.ofSeconds(180),
                Duration.ofSeconds(120), 256, 1024, Duration.ofSeconds(60), Optional.empty(), true);

        UpstreamsConfig c = read("""
                upstreams:
                  - {name: a, kind: openai-compatible, base_url: 'http://a/v1', first_byte_timeout_ms: 7,
                     ca_file: ca.pem}
                  - {name: b, kind: openai-compatible, base_url: 'http://b/v1'}
                """);

        assertThat(c.upstreams().get(0).options(env)).isEqualTo(new UpstreamOptions(Duration.ofSeconds(10),
                Duration.ofMillis(7), Duration.ofSeconds(120), 256, 1024, Duration.ofSeconds(60), Optional.of(ca),
                true));
        assertThat(c.upstreams().get(1).options(env)).isEqualTo(env);
    }

    @Test
    void variablesExpandInEveryStringValueAndDollarDollarBraceEscapes() throws IOException {
        UpstreamsConfig c = read("""
                upstreams:
                  - name: ${NAME}
                    kind: ${KIND}
                    base_url: http://${HOST}:8000/v1
                    headers:
                      X-Literal: $${NOT_A_VAR} and $HOME and a lone $
                      X-Both: ${A}${B}
                    limits: {rpm: "${RPM}"}
                """, "NAME", "vllm", "KIND", "openai-compatible", "HOST", "10.0.0.7", "A", "x", "B", "y", "RPM", "42");

        UpstreamSpec u = c.first();
        assertThat(u.name()).isEqualTo("vllm");
        assertThat(u.baseUrl()).contains(URI.create("http://10.0.0.7:8000/v1"));
        assertThat(u.headers()).containsEntry("X-Literal", "${NOT_A_VAR} and $HOME and a lone $")
                .containsEntry("X-Both", "xy");
        assertThat(u.limits().rpm()).isEqualTo(42);
    }

    @Test
    void anUnsetOrBlankVariableIsAnErrorNamingTheVariableAndTheField() throws IOException {
        List<String> problems = problems("""
                upstreams:
                  - name: openai
                    kind: openai
                    api_key: ${OPENAI_API_KEY}
                  - name: local
                    kind: openai-compatible
                    base_url: http://${LOCAL_HOST}/v1
                """, "LOCAL_HOST", "  ");

        assertThat(problems).containsExactly(
                at(4) + "upstreams[0].api_key: ${OPENAI_API_KEY} (expected: OPENAI_API_KEY set in the environment or"
                        + " the .env file; it is unset or blank)",
                at(7) + "upstreams[1].base_url: ${LOCAL_HOST} (expected: LOCAL_HOST set in the environment or the"
                        + " .env file; it is unset or blank)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"${}", "${1X}", "${A-B}", "${UNCLOSED"})
    void aMalformedReferenceIsAnErrorRatherThanTextSentAsIs(String value) throws IOException {
        List<String> problems = problems("""
                upstreams:
                  - {name: a, kind: openai-compatible, base_url: 'http://h/%s'}
                """.formatted(value));

        assertThat(problems).singleElement().asString()
                .startsWith(at(2) + "upstreams[0].base_url: ${")
                .endsWith("(expected: ${NAME} with NAME of letters, digits and '_' not starting with a digit, or $${"
                        + " for a literal ${)");
    }

    @Test
    void anExpandedSecretNeverAppearsInAnErrorOrInToString() throws IOException {
        List<String> problems = problems("""
                upstreams:
                  - name: openai
                    kind: openai
                    api_key: ${KEY_WITH_SPACE}
                    base_url: ${URL_WITH_PASSWORD}
                  - name: local
                    kind: openai-compatible
                    base_url: http://h/v1
                    auth: none
                    api_key: ${GOOD_KEY}
                    headers: {X-Api-Key: "${BAD_HEADER}"}
                clients:
                  - {name: a, key_sha256: "%s"}
                """.formatted(SECRET + "-pasted-key"),
                "KEY_WITH_SPACE", SECRET + " x", "URL_WITH_PASSWORD", "https://u:" + SECRET + "@h/v1",
                "GOOD_KEY", SECRET, "BAD_HEADER", SECRET + "\r\nX-Injected: 1");

        assertThat(problems).containsExactly(
                at(4) + "upstreams[0].api_key: (hidden) (expected: a token of visible ASCII characters without"
                        + " spaces)",
                at(5) + "upstreams[0].base_url: ${URL_WITH_PASSWORD} (expected: " + URL_RULE + ")",
                at(10) + "upstreams[1].api_key: (hidden) (expected: no api_key with auth: none, which never sends"
                        + " it)",
                at(11) + "upstreams[1].headers.X-Api-Key: (hidden) (expected: a header value of visible ASCII"
                        + " characters, spaces and tabs)",
                at(13) + "clients[0].key_sha256: (hidden) (expected: " + ClientSpecReader.HASH_RULE + ")");
        assertThat(String.join("\n", problems)).doesNotContain(SECRET);

        UpstreamsConfig valid = read("""
                upstreams:
                  - {name: openai, kind: openai, api_key: "${KEY}", headers: {X-Org: "${ORG}"}}
                """, "KEY", SECRET, "ORG", SECRET + "-org");
        assertThat(valid.first().apiKey()).contains(SECRET);
        assertThat(valid.toString()).doesNotContain(SECRET).contains("apiKey=(set)", "headers=[X-Org]");
    }

    @Test
    void unknownKindIsReportedWithItsLineAndTheKnownKinds() throws IOException {
        assertThat(problems("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base_url: http://h/v1
                  - name: b
                    kind: foo
                """)).containsExactly(at(6) + "upstreams[1].kind: foo (expected: one of openai, azure,"
                + " openai-compatible, github-models)");
    }

    @Test
    void anUnknownKeyIsAnErrorThatSuggestsTheKeyItResembles() throws IOException {
        List<String> problems = problems("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base-url: http://h/v1
                    modles: [x]
                    colour: blue
                rutes: {}
                """);

        String keys = String.join(", ", UpstreamSpecReader.KEYS);
        assertThat(problems).containsExactly(
                at(2) + "upstreams[0].base_url: (missing) (expected: " + URL_RULE + "; kind openai-compatible has no"
                        + " default, e.g. http://127.0.0.1:11434/v1)",
                at(4) + "upstreams[0].base-url: (unknown key) (expected: one of " + keys + "; did you mean base_url?)",
                at(5) + "upstreams[0].modles: (unknown key) (expected: one of " + keys + "; did you mean models?)",
                at(6) + "upstreams[0].colour: (unknown key) (expected: one of " + keys + ")",
                at(7) + "rutes: (unknown key) (expected: one of upstreams, routes, default_upstream, clients; did you"
                        + " mean routes?)");
    }

    @Test
    void upstreamNamesFollowThePatternAndAreUnique() throws IOException {
        assertThat(problems("""
                upstreams:
                  - {name: local, kind: openai-compatible, base_url: 'http://a/v1'}
                  - {name: My_Upstream, kind: openai-compatible, base_url: 'http://b/v1'}
                  - {name: local, kind: openai-compatible, base_url: 'http://c/v1'}
                  - {kind: openai-compatible, base_url: 'http://d/v1'}
                """)).containsExactly(
                at(3) + "upstreams[1].name: My_Upstream (expected: a name of a-z, 0-9 and '-', e.g. my-upstream)",
                at(4) + "upstreams[2].name: local (expected: a name no other upstream has; line 2 already uses it)",
                at(5) + "upstreams[3].name: (missing) (expected: a name of a-z, 0-9 and '-', unique among the"
                        + " upstreams)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ftp://h/v1                | ftp://h/v1",
            "h/v1                      | h/v1",
            "https:///v1               | https:///v1",
            "https://h/v1?api-version=1 | https://h/v1?api-version=1",
            "https://h/v1#x            | https://h/v1#x",
            "https://user:pw@h/v1      | https://(hidden)@h/v1",
    })
    void aBadBaseUrlIsRefusedWithoutShowingAPassword(String url, String shown) throws IOException {
        assertThat(problems("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base_url: '%s'
                """.formatted(url))).containsExactly(at(4) + "upstreams[0].base_url: " + shown
                + " (expected: " + URL_RULE + ")");
    }

    @Test
    void azureNeedsItsV1PathAndItsKey() throws IOException {
        assertThat(problems("""
                upstreams:
                  - {name: az, kind: azure, base_url: 'https://myres.openai.azure.com/'}
                  - {name: az2, kind: azure}
                  - {name: oa, kind: openai}
                """)).containsExactly(
                at(2) + "upstreams[0].base_url: https://myres.openai.azure.com/ (expected: the v1 API URL,"
                        + " https://myres.openai.azure.com/openai/v1)",
                at(2) + "upstreams[0].api_key: (missing) (expected: the upstream's key, e.g. api_key:"
                        + " ${AZURE_OPENAI_API_KEY}; kind azure needs one unless auth is none or passthrough)",
                at(3) + "upstreams[1].base_url: (missing) (expected: " + URL_RULE + "; kind azure has no default,"
                        + " e.g. https://myres.openai.azure.com/openai/v1)",
                at(3) + "upstreams[1].api_key: (missing) (expected: the upstream's key, e.g. api_key:"
                        + " ${AZURE_OPENAI_API_KEY}; kind azure needs one unless auth is none or passthrough)",
                at(4) + "upstreams[2].api_key: (missing) (expected: the upstream's key, e.g. api_key:"
                        + " ${OPENAI_API_KEY}; kind openai needs one unless auth is none or passthrough)");
    }

    @Test
    void anAzureUrlWithAnotherPathIsAcceptedWithAWarning() throws IOException {
        UpstreamsConfig c = read("""
                upstreams:
                  - name: az
                    kind: azure
                    base_url: https://gateway.example.com/azure
                    api_key: k
                  - {name: oa, kind: openai, auth: none}
                """);

        assertThat(c.first().baseUrl()).contains(URI.create("https://gateway.example.com/azure"));
        assertThat(c.upstreams().get(1).apiKey()).isEmpty();
        assertThat(c.notes()).singleElement().satisfies(n -> {
            assertThat(n.level()).isEqualTo(ConfigNote.Level.WARNING);
            assertThat(n.text()).isEqualTo(at(4) + "upstream az: base_url https://gateway.example.com/azure does not"
                    + " end in /openai/v1, the path of Azure's v1 API; requests will probably answer 404");
        });
    }

    @Test
    void modelsAreANonEmptyListOfDistinctNonBlankIds() throws IOException {
        assertThat(problems("""
                upstreams:
                  - {name: a, kind: openai-compatible, base_url: 'http://a/v1', models: []}
                  - {name: b, kind: openai-compatible, base_url: 'http://b/v1', models: llama}
                  - {name: c, kind: openai-compatible, base_url: 'http://c/v1', models: [x, '', x, {y: 1}]}
                """)).containsExactly(
                at(2) + "upstreams[0].models: [] (expected: a non-empty list of model ids, e.g. [a, b])",
                at(3) + "upstreams[1].models: llama (expected: a non-empty list of model ids, e.g. [a, b])",
                at(4) + "upstreams[2].models[1]: (empty) (expected: model id)",
                at(4) + "upstreams[2].models[2]: x (expected: model id not already in the list)",
                at(4) + "upstreams[2].models[3]: (a mapping) (expected: model id)");
    }

    @Test
    void limitsAreNonNegativeIntegersWithAKnownScope() throws IOException {
        assertThat(problems("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base_url: http://a/v1
                    limits:
                      rpm: -1
                      tpm: 1.5
                      concurrency: 2147483648
                      scope: global
                      burst: 3
                """)).containsExactly(
                at(6) + "upstreams[0].limits.rpm: -1 (expected: an integer from 0 (no limit) to 2147483647)",
                at(7) + "upstreams[0].limits.tpm: 1.5 (expected: an integer from 0 (no limit) to 9223372036854775807)",
                at(8) + "upstreams[0].limits.concurrency: 2147483648 (expected: an integer from 0 (no limit) to"
                        + " 2147483647)",
                at(9) + "upstreams[0].limits.scope: global (expected: one of model, upstream)",
                at(10) + "upstreams[0].limits.burst: (unknown key) (expected: one of rpm, tpm, concurrency, scope)");
    }

    @Test
    void overridesFollowTheBoundsOfTheSettingsTheyOverride() throws IOException {
        assertThat(problems("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base_url: http://a/v1
                    connect_timeout_ms: 0
                    pool_max_connections: 70000
                    stream_usage: maybe
                    ca_file: missing.pem
                """)).containsExactly(
                at(5) + "upstreams[0].connect_timeout_ms: 0 (expected: milliseconds, an integer from 1 to 86400000)",
                at(6) + "upstreams[0].pool_max_connections: 70000 (expected: an integer from 1 to 65535)",
                at(7) + "upstreams[0].stream_usage: maybe (expected: one of 1, true, yes, on, 0, false, no, off)",
                at(8) + "upstreams[0].ca_file: missing.pem (expected: an existing, readable PEM file; a relative path"
                        + " is read from the configuration file's directory)");
    }

    @Test
    void headersTheProxyWritesItselfAreRefused() throws IOException {
        assertThat(problems("""
                upstreams:
                  - name: a
                    kind: openai
                    api_key: k
                    headers:
                      Authorization: Bearer other
                      Host: evil.example
                      "Bad Name": x
                      X-Ok: 1
                      x-ok: 2
                """)).containsExactly(
                at(6) + "upstreams[0].headers.Authorization: (reserved) (expected: a header other than Authorization,"
                        + " which auth: bearer already sends; use auth: none to send a fixed one)",
                at(7) + "upstreams[0].headers.Host: (reserved) (expected: a header the proxy does not set itself;"
                        + " Host is written per request or per connection)",
                at(8) + "upstreams[0].headers.Bad Name: (invalid name) (expected: a header name of letters, digits"
                        + " and !#$%&'*+.^_`|~-)",
                at(10) + "upstreams[0].headers.x-ok: (given twice) (expected: each header once, in any case; X-Ok is"
                        + " already set)");
    }

    @Test
    void routesNeedConfiguredUpstreamsAndSplitTargetsAtTheFirstSlash() throws IOException {
        UpstreamsConfig c = read("""
                upstreams:
                  - {name: or, kind: openai-compatible, base_url: 'https://openrouter.ai/api/v1'}
                  - {name: local, kind: openai-compatible, base_url: 'http://h/v1', models: [a]}
                routes:
                  smart: [or/anthropic/claude-sonnet-4:beta, local/b]
                """);

        assertThat(c.routes()).singleElement().satisfies(r -> assertThat(r.targets()).containsExactly(
                new RouteTarget("or", "anthropic/claude-sonnet-4:beta"), new RouteTarget("local", "b")));
        assertThat(c.notes()).singleElement().extracting(ConfigNote::text).isEqualTo(at(5) + "routes.smart[1]:"
                + " local/b: upstream local's models list does not name b; it is sent unchanged all the same");
    }

    @Test
    void badRoutesAreEachReported() throws IOException {
        assertThat(problems("""
                upstreams:
                  - {name: local, kind: openai-compatible, base_url: 'http://h/v1'}
                  - {name: broken, kind: nope}
                routes:
                  local: [local/a]
                  empty: []
                  single: local/a
                  team/fast: [local/a]
                  targets: [noslash, /m, local/, other/m, broken/m]
                default_upstream: elsewhere
                """)).containsExactly(
                at(3) + "upstreams[1].kind: nope (expected: one of openai, azure, openai-compatible, github-models)",
                at(5) + "routes.local: local (expected: an alias that is not also an upstream's name, since"
                        + " local/<model> already means that upstream)",
                at(6) + "routes.empty: [] (expected: a list of at least one target <upstream>/<model>, e.g."
                        + " openai/gpt-4.1-mini, tried in order)",
                at(7) + "routes.single: local/a (expected: a list of at least one target <upstream>/<model>, e.g."
                        + " openai/gpt-4.1-mini, tried in order)",
                at(8) + "routes.team/fast: team/fast (expected: " + ConfigFile.ALIAS_RULE + ")",
                at(9) + "routes.targets[0]: noslash (expected: <upstream>/<model>, e.g. openai/gpt-4.1-mini)",
                at(9) + "routes.targets[1]: /m (expected: <upstream>/<model>, e.g. openai/gpt-4.1-mini)",
                at(9) + "routes.targets[2]: local/ (expected: <upstream>/<model>, e.g. openai/gpt-4.1-mini)",
                at(9) + "routes.targets[3]: other/m (expected: <upstream>/<model> where <upstream> is a configured"
                        + " upstream: one of local, broken)",
                at(10) + "default_upstream: elsewhere (expected: the name of a configured upstream: one of local,"
                        + " broken)");
    }

    @Test
    void clientsNeedUniqueNamesAndUniqueWellFormedHashes() throws IOException {
        String hash = ClientKeyDigest.of("key-a").hex();
        assertThat(problems("""
                upstreams:
                  - {name: local, kind: openai-compatible, base_url: 'http://h/v1'}
                clients:
                  - {name: team-a, key_sha256: %s}
                  - {name: team-a, key_sha256: %s}
                  - {name: team-b, key_sha256: %s}
                  - name: team-c
                    key_sha256: abc
                    models: [fast, ' ']
                    limits: {rpd: -5, monthly: 1}
                    over_limit: wait
                  - {name: team-d}
                """.formatted(hash, ClientKeyDigest.of("key-b").hex(), hash.toUpperCase()))).containsExactly(
                at(5) + "clients[1].name: team-a (expected: a name no other client has; line 4 already uses it)",
                at(6) + "clients[2].key_sha256: " + ClientKeyDigest.of("key-a") + " (expected: a key no other client"
                        + " has; line 4 has the same hash, so one key would stand for two clients)",
                at(8) + "clients[3].key_sha256: (hidden) (expected: " + ClientSpecReader.HASH_RULE + ")",
                at(9) + "clients[3].models[1]: (empty) (expected: model id or route alias)",
                at(10) + "clients[3].limits.monthly: (unknown key) (expected: one of rpm, tpm, rpd, concurrency,"
                        + " monthly_tokens; did you mean monthly_tokens?)",
                at(10) + "clients[3].limits.rpd: -5 (expected: an integer from 0 (no limit) to 2147483647)",
                at(11) + "clients[3].over_limit: wait (expected: one of reject, queue)",
                at(12) + "clients[4].key_sha256: (missing) (expected: " + ClientSpecReader.HASH_RULE + ")");
    }

    @Test
    void anEmptyClientsListIsRefusedBecauseItWouldLockEveryoneOut() throws IOException {
        assertThat(problems("""
                upstreams:
                  - {name: local, kind: openai-compatible, base_url: 'http://h/v1'}
                clients: []
                """)).containsExactly(at(3) + "clients: [] (expected: a list of at least one client (without"
                + " 'clients:', PROXY_SERVER_KEY decides who may call))");
    }

    @Test
    void severalProblemsAreReportedTogetherInLineOrder() throws IOException {
        List<String> problems = problems("""
                routes:
                  fast: [nowhere/m]
                upstreams:
                  - name: a
                    kind: foo
                  - name: a
                    kind: openai-compatible
                    base_url: nope
                """);

        assertThat(problems).hasSize(4);
        assertThat(problems).extracting(p -> Integer.parseInt(p.substring(file.toString().length() + 1,
                p.indexOf(':', file.toString().length() + 1)))).isSorted();
        assertThat(problems.get(0)).startsWith(at(2) + "routes.fast[0]: nowhere/m");
    }

    @Test
    void aYamlSyntaxErrorNamesItsLine() throws IOException {
        assertThat(problems("""
                upstreams:
                  - name: a
                \tkind: openai
                """)).singleElement().asString().startsWith(at(3) + "YAML syntax: found character '\\t(TAB)'"
                + " that cannot start any token").endsWith("(expected: valid YAML; indent with spaces, quote values"
                + " that contain ': ' or start with a special character)");
        assertThat(problems("upstreams: [a\nroutes: {}\n")).singleElement().asString()
                .startsWith(at(2) + "YAML syntax: ");
    }

    @Test
    void aKeyGivenTwiceAnAliasAndASecondDocumentAreErrorsNotSilentOverrides() throws IOException {
        assertThat(problems("""
                upstreams:
                  - name: a
                    kind: openai-compatible
                    base_url: &u http://h/v1
                    kind: openai
                    catalog_url: *u
                ---
                upstreams: []
                """)).containsExactly(
                at(5) + "upstreams[0].kind: (given twice) (expected: each key once per mapping; it was first given on"
                        + " line 3)",
                at(6) + "upstreams[0].catalog_url: *u (expected: no YAML aliases: write the value out)",
                at(8) + "(document): a second YAML document (expected: one document: remove the '---' line and what"
                        + " follows, or merge it into the first)");
    }

    @Test
    void theFileMustDeclareAtLeastOneUpstreamInAMapping() throws IOException {
        assertThat(problems("# nothing yet\n")).containsExactly(
                file + ": (empty) (expected: a YAML mapping with at least 'upstreams:')");
        assertThat(problems("- a\n- b\n")).containsExactly(at(1) + "(document): (a list) (expected: a mapping with"
                + " the keys upstreams, routes, default_upstream, clients)");
        assertThat(problems("routes: {}\n")).containsExactly(at(1) + "upstreams: (missing) (expected: a list of at"
                + " least one upstream, each with a name and a kind)");
        assertThat(problems("upstreams: []\n")).containsExactly(at(1) + "upstreams: [] (expected: a list of at least"
                + " one upstream, each with a name and a kind)");
    }

    @Test
    void aMissingTooLargeOrNonUtf8FileIsRefusedByName() throws IOException {
        String rule = "a readable UTF-8 YAML file of at most 1048576 bytes";
        Path missing = tmp.resolve("absent.yaml");
        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigFile.read(missing, variables()))
                .problems()).containsExactly(missing + ": (no such file) (expected: " + rule + ")");

        Path large = Files.write(tmp.resolve("large.yaml"), new byte[ConfigFile.MAX_BYTES + 1]);
        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigFile.read(large, variables()))
                .problems()).containsExactly(large + ": (larger than 1048576 bytes) (expected: " + rule + ")");

        Path latin1 = Files.write(tmp.resolve("latin1.yaml"), new byte[] {'a', ':', ' ', (byte) 0xE9, '\n'});
        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigFile.read(latin1, variables()))
                .problems()).containsExactly(latin1 + ": (not UTF-8 text) (expected: " + rule + ")");

        assertThat(catchThrowableOfType(ConfigException.class, () -> ConfigFile.read(tmp, variables()))
                .problems()).containsExactly(tmp + ": (a directory) (expected: " + rule + ")");
    }

    @Test
    void controlCharactersInAValueAreEscapedSoEachProblemStaysOneLine() throws IOException {
        assertThat(problems("""
                upstreams:
                  - {name: "a\\nb", kind: openai-compatible, base_url: 'http://h/v1'}
                """)).containsExactly(at(2) + "upstreams[0].name: a\\u000ab (expected: a name of a-z, 0-9 and '-',"
                + " e.g. a-b)");
    }
}
