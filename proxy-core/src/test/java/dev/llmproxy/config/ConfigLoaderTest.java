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
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ConfigLoaderTest {

    private static final String SECRET = "ghp_s3cr3tValue";

    @TempDir
    Path tmp;

    private static ProxyConfig fromEnv(String... keyValues) {
        return ConfigLoader.load(Map.of(), map(keyValues), Map.of());
    }

    private static ConfigException problemsFromEnv(String... keyValues) {
        return catchThrowableOfType(ConfigException.class, () -> fromEnv(keyValues));
    }

    private static Map<String, String> map(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    @Test
    void ttsDefaultsToTheReferenceEngineOrTheDemoAndValidatesItsSettings() {
        TtsConfig demo = ConfigLoader.load(Map.of(), Map.of(), Map.of()).tts();
        assertThat(demo.enabled()).isTrue();
        assertThat(demo.target()).as("the demo upstream fills it in at start").isEmpty();
        assertThat(demo.maxTextChars()).isEqualTo(2000);
        assertThat(demo.voices()).containsExactly("anatol", "natalia");
        assertThat(fromEnv("GITHUB_TOKEN", SECRET).tts().target()).hasValue(URI.create("http://127.0.0.1:8080"));
        assertThat(fromEnv("TTS_PROXY_TARGET", "http://tts.local:9000/").tts().target())
                .hasValue(URI.create("http://tts.local:9000"));
        ConfigException e = problemsFromEnv("TTS_PROXY_TARGET", "ftp://x", "TTS_VOICES", "a b", "TTS_MAX_TEXT_CHARS", "0");
        assertThat(e.problems()).hasSize(3).anyMatch(p -> p.startsWith("TTS_PROXY_TARGET: ftp://x"))
                .anyMatch(p -> p.startsWith("TTS_VOICES: a b")).anyMatch(p -> p.startsWith("TTS_MAX_TEXT_CHARS: 0"));
    }

    @Test
    void admissionDefaultsFollowTheIssueAndTheReference() {
        AdmissionConfig a = ConfigLoader.load(Map.of(), Map.of(), Map.of()).admission();
        assertThat(a).isEqualTo(new AdmissionConfig(true, 30, 30, 100_000, 100, false, false, true, 8, 100,
                Duration.ofSeconds(45), dev.llmproxy.openai.GitHubModelsPlan.FREE, false, 2, Duration.ofMillis(500),
                Duration.ofSeconds(10), 10, Duration.ofSeconds(60), Duration.ofSeconds(1), true));
    }

    @Test
    void theBreakersFirstOpenPeriodIsBoundedByItsLongest() {
        assertThat(fromEnv("CIRCUIT_BREAKER_TIMEOUT_MS", "400").admission().breakerFirstOpen())
                .as("unset, it follows a shorter longest period").isEqualTo(Duration.ofMillis(400));
        assertThat(fromEnv("CIRCUIT_BREAKER_FIRST_OPEN_MS", "5000").admission().breakerFirstOpen())
                .isEqualTo(Duration.ofSeconds(5));
        ConfigException e = problemsFromEnv("CIRCUIT_BREAKER_FIRST_OPEN_MS", "5000", "CIRCUIT_BREAKER_TIMEOUT_MS", "2000");
        assertThat(e.problems()).containsExactly(
                "CIRCUIT_BREAKER_FIRST_OPEN_MS: 5000 (expected: at most CIRCUIT_BREAKER_TIMEOUT_MS, 2000)");
    }

    @Test
    void burstIsThePerMinuteLimitPlusTheLeewayUnlessSetExplicitly() {
        assertThat(fromEnv("RATE_LIMIT_PER_MINUTE", "5").admission().rateBurst()).isEqualTo(5);
        assertThat(fromEnv("RATE_LIMIT_PER_MINUTE", "5", "RATE_LIMIT_BUCKET_LEEWAY", "2").admission().rateBurst())
                .isEqualTo(7);
        assertThat(fromEnv("RATE_LIMIT_PER_MINUTE", "5", "RATE_LIMIT_BURST", "1").admission().rateBurst())
                .isEqualTo(1);
    }

    @Test
    void quotaPacingIsOnForGitHubModelsAndOffElsewhereUnlessSet() {
        assertThat(fromEnv("GITHUB_TOKEN", SECRET).admission().quotaPacing()).isTrue();
        assertThat(fromEnv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1").admission().quotaPacing()).isFalse();
        assertThat(fromEnv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", "UPSTREAM_QUOTA_PACING", "1")
                .admission().quotaPacing()).isTrue();
        assertThat(fromEnv("GITHUB_TOKEN", SECRET, "UPSTREAM_QUOTA_PACING", "off").admission().quotaPacing())
                .isFalse();
    }

    @Test
    void planAndAdmissionNumbersAreValidated() {
        ConfigException e = problemsFromEnv("GITHUB_MODELS_PLAN", "gold", "UPSTREAM_MAX_CONCURRENT", "0",
                "RETRY_ATTEMPTS", "11", "IP_RATE_LIMIT_PER_MINUTE", "-1");
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "GITHUB_MODELS_PLAN: gold (expected: one of free, pro, business, enterprise)",
                "UPSTREAM_MAX_CONCURRENT: 0 (expected: an integer from 1 to 100000)",
                "RETRY_ATTEMPTS: 11 (expected: an integer from 0 to 10)",
                "IP_RATE_LIMIT_PER_MINUTE: -1 (expected: an integer from 0 to 1000000)");
        assertThat(fromEnv("GITHUB_MODELS_PLAN", "Enterprise").admission().plan())
                .isEqualTo(dev.llmproxy.openai.GitHubModelsPlan.ENTERPRISE);
    }

    @Test
    void defaultsStartTheDemoOnLoopbackWithServerKeyModeAndDocumentedLimits() {
        ProxyConfig c = ConfigLoader.load(Map.of(), Map.of(), Map.of());

        assertThat(c.server()).isEqualTo(new ServerConfig("127.0.0.1", 3010,
                Math.min(Runtime.getRuntime().availableProcessors(), 256), 10_485_760, 10_000,
                Duration.ofSeconds(60), Duration.ofSeconds(30)));
        assertThat(c.upstream()).isEqualTo(new UpstreamConfig(Optional.empty(), Optional.empty(),
                Duration.ofSeconds(10), Duration.ofSeconds(180), Duration.ofSeconds(120), 256, 1024,
                Duration.ofSeconds(60), Optional.empty(), true));
        assertThat(c.auth()).isEqualTo(new AuthConfig(AuthMode.ENV, java.util.List.of(), false));
        assertThat(c.demo().tokenDelay()).isEqualTo(Duration.ofMillis(30));
        assertThat(c.strictOpenAiApi()).isFalse();
        assertThat(c.accessLog()).isTrue();
    }

    @Test
    void everySettingWithADefaultAcceptsItsOwnDefault() {
        Map<String, String> defaults = new HashMap<>();
        for (Setting s : Setting.values()) {
            s.defaultValue().ifPresent(v -> defaults.put(s.envName(), v));
        }
        assertThat(ConfigLoader.load(defaults, Map.of(), Map.of()))
                .isEqualTo(ConfigLoader.load(Map.of(), Map.of(), Map.of()));
    }

    @Test
    void flagWinsOverEnvironmentWhichWinsOverDotenv() {
        Map<String, String> flags = map("PORT", "1111");
        Map<String, String> env = map("PORT", "2222", "HOST", "::1");
        Map<String, String> dotenv = map("PORT", "3333", "HOST", "127.0.0.2", "SHUTDOWN_GRACE_MS", "4444");

        ProxyConfig c = ConfigLoader.load(flags, env, dotenv);

        assertThat(c.server().port()).isEqualTo(1111);
        assertThat(c.server().host()).isEqualTo("::1");
        assertThat(c.server().shutdownGrace()).isEqualTo(Duration.ofMillis(4444));
    }

    @Test
    void blankValuesCountAsUnsetAndFallThroughToTheNextSource() {
        ProxyConfig c = ConfigLoader.load(map("PORT", ""), map("PORT", "   "), map("PORT", "4000", "HOST", " "));

        assertThat(c.server().port()).isEqualTo(4000);
        assertThat(c.server().host()).isEqualTo("127.0.0.1");
    }

    @Test
    void valuesAreTrimmed() {
        ProxyConfig c = fromEnv("PORT", " 4000 ", "PROXY_AUTH_MODE", " request\t", "GITHUB_TOKEN", " tok \n");

        assertThat(c.server().port()).isEqualTo(4000);
        assertThat(c.auth().mode()).isEqualTo(AuthMode.REQUEST);
        assertThat(c.upstream().token()).contains("tok");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "PORT                           | abc        | an integer from 0 to 65535",
            "PORT                           | 65536      | an integer from 0 to 65535",
            "PORT                           | -1         | an integer from 0 to 65535",
            "PORT                           | 80.5       | an integer from 0 to 65535",
            "PORT                           | 99999999999999999999 | an integer from 0 to 65535",
            "MAX_REQUEST_BODY_BYTES         | 0          | an integer from 1 to 1073741824",
            "MAX_REQUEST_BODY_BYTES         | 1073741825 | an integer from 1 to 1073741824",
            "MAX_CONNECTIONS                | -1         | an integer from 0 to 10000000",
            "UPSTREAM_CONNECT_TIMEOUT_MS    | 0          | milliseconds, an integer from 1 to 86400000",
            "UPSTREAM_FIRST_BYTE_TIMEOUT_MS | 10s        | milliseconds, an integer from 1 to 86400000",
            "UPSTREAM_STREAM_IDLE_TIMEOUT_MS| -5         | milliseconds, an integer from 1 to 86400000",
            "UPSTREAM_POOL_IDLE_TIMEOUT_MS  | 0          | milliseconds, an integer from 1 to 86400000",
            "CLIENT_IDLE_TIMEOUT_MS         | 86400001   | milliseconds, an integer from 1 to 86400000",
            "SHUTDOWN_GRACE_MS              | 0          | milliseconds, an integer from 1 to 86400000",
            "DEMO_TOKEN_DELAY_MS            | -1         | milliseconds, an integer from 0 to 60000",
            "UPSTREAM_POOL_MAX_CONNECTIONS  | 0          | an integer from 1 to 65535",
            "UPSTREAM_POOL_MAX_PENDING      | 0          | an integer from 1 to 1048576",
            "IO_THREADS                     | 0          | an integer from 1 to 256",
            "IO_THREADS                     | 257        | an integer from 1 to 256",
            "ALLOW_OPEN_PROXY               | maybe      | one of 1, true, yes, on, 0, false, no, off",
            "STRICT_OPENAI_API              | 2          | one of 1, true, yes, on, 0, false, no, off",
            "ACCESS_LOG                     | enabled    | one of 1, true, yes, on, 0, false, no, off",
            "PROXY_AUTH_MODE                | header     | one of env, request, prefer-request",
            "HOST                           | not a host | an IPv4 or IPv6 address or a host name",
            "HOST                           | -bad-.com  | an IPv4 or IPv6 address or a host name",
            "OPENAI_BASE_URL                | models.github.ai/inference | an absolute http or https URL with a host and no user info, query or fragment",
            "OPENAI_BASE_URL                | ftp://example.com/v1 | an absolute http or https URL with a host and no user info, query or fragment",
            "OPENAI_BASE_URL                | https:///v1 | an absolute http or https URL with a host and no user info, query or fragment",
            "OPENAI_BASE_URL                | https://example.com/v1?x=1 | an absolute http or https URL with a host and no user info, query or fragment",
            "OPENAI_BASE_URL                | https://example.com/v1#top | an absolute http or https URL with a host and no user info, query or fragment",
            "OPENAI_BASE_URL                | https://exa mple.com | an absolute http or https URL with a host and no user info, query or fragment",
            "UPSTREAM_CA_FILE               | /no/such/ca.pem | an existing, readable file",
    })
    void invalidValueIsReportedAsNameValueAndExpectedRule(String name, String value, String expected) {
        ConfigException e = problemsFromEnv(name, value);

        assertThat(e.problems()).containsExactly(name + ": " + value + " (expected: " + expected + ")");
        assertThat(e.getMessage()).isEqualTo(name + ": " + value + " (expected: " + expected + ")");
    }

    @Test
    void everyProblemIsReportedAtOnceOnePerLine() {
        ConfigException e = problemsFromEnv(
                "PORT", "x", "HOST", "bad host", "ACCESS_LOG", "maybe", "SHUTDOWN_GRACE_MS", "0",
                "OPENAI_BASE_URL", "nope", "GITHUB_TOKEN", "has space", "PROXY_AUTH_MODE", "x");

        assertThat(e.problems()).containsExactlyInAnyOrder(
                "PORT: x (expected: an integer from 0 to 65535)",
                "HOST: bad host (expected: an IPv4 or IPv6 address or a host name)",
                "ACCESS_LOG: maybe (expected: one of 1, true, yes, on, 0, false, no, off)",
                "SHUTDOWN_GRACE_MS: 0 (expected: milliseconds, an integer from 1 to 86400000)",
                "OPENAI_BASE_URL: nope (expected: an absolute http or https URL with a host and no user info,"
                        + " query or fragment)",
                "GITHUB_TOKEN: (hidden) (expected: a token of visible ASCII characters without spaces)",
                "PROXY_AUTH_MODE: x (expected: one of env, request, prefer-request)");
        assertThat(e.getMessage().lines()).hasSize(7);
    }

    @Test
    void controlCharactersInAValueAreEscapedSoEachProblemStaysOneLine() {
        ConfigException e = problemsFromEnv("PORT", "80\n81");

        assertThat(e.problems()).containsExactly("PORT: 80\\u000a81 (expected: an integer from 0 to 65535)");
    }

    @ParameterizedTest
    @CsvSource({"1,true", "true,true", " YES ,true", "On,true", "0,false", "FALSE,false", "no,false", "off,false"})
    void booleansAcceptTheDocumentedSpellingsInAnyCase(String value, boolean expected) {
        ProxyConfig c = fromEnv("ACCESS_LOG", value, "STRICT_OPENAI_API", value);

        assertThat(c.accessLog()).isEqualTo(expected);
        assertThat(c.strictOpenAiApi()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"env,ENV", "request,REQUEST", "Prefer-Request,PREFER_REQUEST"})
    void authModeIsParsedCaseInsensitively(String value, AuthMode expected) {
        assertThat(fromEnv("PROXY_AUTH_MODE", value).auth().mode()).isEqualTo(expected);
    }

    @Test
    void numericSettingsReachTheirRecords() {
        ProxyConfig c = fromEnv("PORT", "0", "IO_THREADS", "3", "MAX_REQUEST_BODY_BYTES", "1",
                "UPSTREAM_CONNECT_TIMEOUT_MS", "11", "UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "12",
                "UPSTREAM_STREAM_IDLE_TIMEOUT_MS", "13", "UPSTREAM_POOL_MAX_CONNECTIONS", "14",
                "UPSTREAM_POOL_MAX_PENDING", "15", "UPSTREAM_POOL_IDLE_TIMEOUT_MS", "16",
                "CLIENT_IDLE_TIMEOUT_MS", "17", "SHUTDOWN_GRACE_MS", "18", "DEMO_TOKEN_DELAY_MS", "0",
                "MAX_CONNECTIONS", "19");

        assertThat(c.server()).isEqualTo(new ServerConfig("127.0.0.1", 0, 3, 1, 19,
                Duration.ofMillis(17), Duration.ofMillis(18)));
        assertThat(fromEnv("MAX_CONNECTIONS", "0").server().maxConnections()).as("0 = no limit").isZero();
        assertThat(c.upstream().connectTimeout()).isEqualTo(Duration.ofMillis(11));
        assertThat(c.upstream().firstByteTimeout()).isEqualTo(Duration.ofMillis(12));
        assertThat(c.upstream().streamIdleTimeout()).isEqualTo(Duration.ofMillis(13));
        assertThat(c.upstream().maxConnectionsPerLoop()).isEqualTo(14);
        assertThat(c.upstream().maxPendingAcquires()).isEqualTo(15);
        assertThat(c.upstream().poolIdleTimeout()).isEqualTo(Duration.ofMillis(16));
        assertThat(c.demo().tokenDelay()).isZero();
    }

    @Test
    void noTokenAndNoUrlMeansTheEmbeddedDemoUpstream() {
        UpstreamConfig u = fromEnv().upstream();

        assertThat(u.demo()).isTrue();
        assertThat(u.baseUrl()).isEmpty();
        assertThat(u.token()).isEmpty();
    }

    @Test
    void aTokenAloneGoesToGitHubModels() {
        UpstreamConfig u = fromEnv("GITHUB_TOKEN", SECRET).upstream();

        assertThat(u.demo()).isFalse();
        assertThat(u.baseUrl()).contains(URI.create("https://models.github.ai/inference"));
        assertThat(u.token()).contains(SECRET);
    }

    @Test
    void aUrlAloneGoesThereWithoutAToken() {
        UpstreamConfig u = fromEnv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1").upstream();

        assertThat(u.demo()).isFalse();
        assertThat(u.baseUrl()).contains(URI.create("http://127.0.0.1:11434/v1"));
        assertThat(u.token()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
            "https://example.com/v1/,https://example.com/v1",
            "https://example.com//,https://example.com",
            "HTTPS://Example.com:8443/openai/v1,https://Example.com:8443/openai/v1",
            "http://[::1]:8080/x/,http://[::1]:8080/x",
    })
    void baseUrlLosesTrailingSlashesAndKeepsItsPath(String value, String expected) {
        assertThat(fromEnv("OPENAI_BASE_URL", value).upstream().baseUrl()).contains(URI.create(expected));
    }

    @Test
    void baseUrlWithUserInfoIsRefusedWithoutPrintingThePassword() {
        ConfigException e = problemsFromEnv("OPENAI_BASE_URL", "https://user:" + SECRET + "@example.com/v1");

        assertThat(e.problems()).containsExactly("OPENAI_BASE_URL: https://(hidden)@example.com/v1 (expected: an"
                + " absolute http or https URL with a host and no user info, query or fragment)");
        assertThat(e.getMessage()).doesNotContain(SECRET);
    }

    @Test
    void openAiApiKeyWinsOverGitHubTokenWhateverSourceEachComesFrom() {
        ProxyConfig c = ConfigLoader.load(map("GITHUB_TOKEN", "from-flag"), Map.of(),
                map("OPENAI_API_KEY", "from-dotenv"));

        assertThat(c.upstream().token()).contains("from-dotenv");
    }

    @Test
    void invalidTokensAreReportedWithoutTheirValue() {
        ConfigException e = problemsFromEnv("GITHUB_TOKEN", SECRET + " x", "OPENAI_API_KEY", SECRET + "\r\nX: y");

        assertThat(e.problems()).containsExactlyInAnyOrder(
                "GITHUB_TOKEN: (hidden) (expected: a token of visible ASCII characters without spaces)",
                "OPENAI_API_KEY: (hidden) (expected: a token of visible ASCII characters without spaces)");
        assertThat(e.getMessage()).doesNotContain(SECRET);
    }

    @Test
    void anInvalidGitHubTokenIsReportedEvenWhenOpenAiApiKeyWins() {
        ConfigException e = problemsFromEnv("OPENAI_API_KEY", "valid", "GITHUB_TOKEN", "not valid");

        assertThat(e.problems()).containsExactly(
                "GITHUB_TOKEN: (hidden) (expected: a token of visible ASCII characters without spaces)");
    }

    @Test
    void clientKeysAreCommaSeparatedWithBlanksDropped() {
        AuthConfig auth = fromEnv("PROXY_SERVER_KEY", " k1, ,k2 ,,").auth();

        assertThat(auth.clientKeys()).containsExactly("k1", "k2");
        assertThat(auth.clientKeyRequired()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {",", " , ,", "ok," + SECRET + " tail"})
    void clientKeysThatYieldNoUsableKeyAreAnErrorNotSilentlyNoAuthentication(String value) {
        ConfigException e = problemsFromEnv("PROXY_SERVER_KEY", value);

        assertThat(e.problems()).containsExactly("PROXY_SERVER_KEY: (hidden) (expected: one or more comma-separated"
                + " keys of visible ASCII characters without spaces)");
        assertThat(e.getMessage()).doesNotContain(SECRET);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::", "[::]", "192.168.1.10", "10.0.0.1", "example.com", "127.1"})
    void nonLoopbackHostWithoutClientKeyIsRefusedAsAnOpenRelay(String host) {
        ConfigException e = problemsFromEnv("HOST", host, "GITHUB_TOKEN", SECRET);

        String shown = host.replace("[", "").replace("]", "");
        assertThat(e.problems()).singleElement().asString()
                .startsWith("HOST: " + shown + " (expected: a loopback address")
                .contains("open relay", "spending the upstream key",
                        "set PROXY_SERVER_KEY to require a client key", "set ALLOW_OPEN_PROXY=true to accept the risk")
                .endsWith(")")
                .doesNotContain(SECRET);
    }

    @Test
    void nonLoopbackHostIsAllowedWithAClientKey() {
        ProxyConfig c = fromEnv("HOST", "0.0.0.0", "PROXY_SERVER_KEY", "client-key");

        assertThat(c.server().host()).isEqualTo("0.0.0.0");
        assertThat(c.auth().clientKeys()).containsExactly("client-key");
        assertThat(c.auth().allowOpenProxy()).isFalse();
    }

    @Test
    void nonLoopbackHostIsAllowedWithExplicitOpenProxyConsent() {
        ProxyConfig c = fromEnv("HOST", "::", "ALLOW_OPEN_PROXY", "yes");

        assertThat(c.server().host()).isEqualTo("::");
        assertThat(c.auth().clientKeyRequired()).isFalse();
        assertThat(c.auth().allowOpenProxy()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.8.9.10", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LocalHost"})
    void loopbackHostsNeedNoClientKey(String host) {
        assertThat(fromEnv("HOST", host).server().host()).isEqualTo(host.replace("[", "").replace("]", ""));
    }

    @Test
    void openRelayCheckIsSkippedWhileTheKeySettingItselfIsInvalid() {
        ConfigException e = problemsFromEnv("HOST", "0.0.0.0", "ALLOW_OPEN_PROXY", "perhaps");

        assertThat(e.problems()).containsExactly(
                "ALLOW_OPEN_PROXY: perhaps (expected: one of 1, true, yes, on, 0, false, no, off)");
    }

    @Test
    void existingCaFileIsKept() throws IOException {
        Path ca = Files.writeString(tmp.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");

        assertThat(fromEnv("UPSTREAM_CA_FILE", ca.toString()).upstream().trustedCaFile()).contains(ca);
    }

    @Test
    void aDirectoryIsNotACaFile() {
        ConfigException e = problemsFromEnv("UPSTREAM_CA_FILE", tmp.toString());

        assertThat(e.problems()).containsExactly("UPSTREAM_CA_FILE: " + tmp + " (expected: an existing, readable file)");
    }

    @Test
    void secretsNeverAppearInToStringOfTheConfig() {
        ProxyConfig c = fromEnv("GITHUB_TOKEN", SECRET + "-gh", "OPENAI_API_KEY", SECRET + "-openai",
                "PROXY_SERVER_KEY", SECRET + "-client1," + SECRET + "-client2");

        assertThat(c.upstream().token()).contains(SECRET + "-openai");
        assertThat(c.auth().clientKeys()).hasSize(2);
        assertThat(c.toString()).doesNotContain(SECRET).contains("token=(set)", "clientKeys=2 configured");
        assertThat(c.upstream().toString()).doesNotContain(SECRET);
        assertThat(c.auth().toString()).doesNotContain(SECRET);
    }

    @Test
    void readDotenvReturnsOnlyTheFileEntriesWithQuotesAndCommentsHandled() throws IOException {
        Path file = Files.writeString(tmp.resolve(".env"), """
                # comment
                PORT=4100

                GITHUB_TOKEN="quoted value"
                HOST=127.0.0.1 # trailing comment
                """);

        Map<String, String> entries = ConfigLoader.readDotenv(file);

        assertThat(entries).containsOnlyKeys("PORT", "GITHUB_TOKEN", "HOST");
        assertThat(entries).containsEntry("PORT", "4100").containsEntry("GITHUB_TOKEN", "quoted value");
        assertThat(entries.get("HOST").strip()).isEqualTo("127.0.0.1");
    }

    @Test
    void readDotenvOfAMissingFileIsEmpty() {
        assertThat(ConfigLoader.readDotenv(tmp.resolve("absent.env"))).isEmpty();
    }

    @Test
    void devNullIsAnEmptyDotenvSoOperatorsCanOptOut() {
        assertThat(ConfigLoader.readDotenv(Path.of("/dev/null"))).isEmpty();
    }

    @Test
    void readDotenvReadsAFileInADirectoryWhoseNameEndsInDotEnv() throws IOException {
        // dotenv-java strips a trailing ".env" from the directory it is given
        Path dir = Files.createDirectory(tmp.resolve("conf.env"));
        Path file = Files.writeString(dir.resolve(".env"), "PORT=4200\n");

        assertThat(ConfigLoader.readDotenv(file)).containsEntry("PORT", "4200");
    }

    @Test
    void malformedDotenvNamesTheFileAndLineButNotTheLineContent() throws IOException {
        Path file = Files.writeString(tmp.resolve("bad.env"), "PORT=1\n" + SECRET + "\n");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.readDotenv(file));

        assertThat(e.problems()).singleElement().asString()
                .startsWith(file + ": line 2 is malformed (expected: KEY=VALUE lines")
                .doesNotContain(SECRET);
    }

    @Test
    void aDirectoryIsNotADotenvFile() {
        assertThatThrownBy(() -> ConfigLoader.readDotenv(tmp))
                .isInstanceOf(ConfigException.class)
                .hasMessage(tmp + ": not a readable file (expected: a readable .env file)");
    }

    @Test
    void dotenvValuesFeedTheLoader() throws IOException {
        Path file = Files.writeString(tmp.resolve(".env"), "PORT=4300\nOPENAI_BASE_URL=https://example.com/v1/\n");

        ProxyConfig c = ConfigLoader.load(Map.of(), Map.of(), ConfigLoader.readDotenv(file));

        assertThat(c.server().port()).isEqualTo(4300);
        assertThat(c.upstream().baseUrl()).contains(URI.create("https://example.com/v1"));
    }
}
