package dev.llmproxy.testing;

import dev.llmproxy.ProxyServer;
import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ProxyConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The real proxy, in process, on a free loopback port, configured through the same {@link ConfigLoader} as
 * production. By default it fronts the given {@link FakeUpstream} (trusting its test certificate) with the server
 * token {@value #SERVER_TOKEN}; {@code overrides} replace or add settings by env name.
 */
public final class ProxyUnderTest implements AutoCloseable {
    public static final String SERVER_TOKEN = "server-token-0123456789";

    private final ProxyServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private ProxyUnderTest(ProxyServer server) {
        this.server = server;
    }

    public static ProxyUnderTest start(FakeUpstream upstream, Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>();
        settings.put("OPENAI_BASE_URL", upstream.baseUrl().toString());
        settings.put("GITHUB_TOKEN", SERVER_TOKEN);
        if (upstream.tls()) {
            settings.put("UPSTREAM_CA_FILE", TestCertificates.caPemFile().toString());
        }
        settings.putAll(overrides);
        return start(settings);
    }

    /**
     * A proxy in front of {@code upstream} as a {@code github-models} upstream (GitHub's catalog ids, short names,
     * the Copilot plan): a configuration file naming it, written to a temporary file. GitHub's catalog is asked at
     * {@code GITHUB_MODELS_CATALOG_URL} when the overrides give one, else at a closed local port (so the bundled
     * catalog is the one in force, as when GitHub does not answer).
     */
    public static ProxyUnderTest startGitHubModels(FakeUpstream upstream, Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>(overrides);
        String catalog = settings.getOrDefault("GITHUB_MODELS_CATALOG_URL", "http://127.0.0.1:1/catalog/models");
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("llm-proxy-github", ".yaml");
            file.toFile().deleteOnExit();
            java.nio.file.Files.writeString(file, "upstreams:\n"
                    + "  - name: github\n"
                    + "    kind: github-models\n"
                    + "    base_url: " + upstream.baseUrl() + "\n"
                    + "    api_key: " + SERVER_TOKEN + "\n"
                    + "    catalog_url: " + catalog + "\n");
            settings.put("CONFIG_FILE", file.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (upstream.tls()) {
            settings.put("UPSTREAM_CA_FILE", TestCertificates.caPemFile().toString());
        }
        return start(settings);
    }

    /**
     * A proxy with these settings, plus: a free port on loopback, two I/O threads, and — so that tests of other
     * features are not throttled by them — no client rate limit, no flood guard and no retries, unless given.
     */
    public static ProxyUnderTest start(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>();
        all.put("PORT", "0");
        all.put("HOST", "127.0.0.1");
        all.put("IO_THREADS", "2");
        all.put("SHUTDOWN_GRACE_MS", "2000");
        all.put("RATE_LIMIT_ENABLED", "false");
        all.put("IP_RATE_LIMIT_PER_MINUTE", "0");
        all.put("RETRY_ATTEMPTS", "0");
        all.putAll(settings);
        ProxyConfig config = ConfigLoader.load(all, Map.of(), Map.of());
        try {
            return new ProxyUnderTest(ProxyServer.start(config));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code "NAME", "value", …} pairs as a settings map. */
    public static Map<String, String> settings(String... pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("settings come in NAME, value pairs");
        }
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    public ProxyServer server() {
        return server;
    }

    public int port() {
        return server.address().getPort();
    }

    /** {@code http://127.0.0.1:<port>} */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** {@code http://127.0.0.1:<port>/v1}, what OpenAI SDKs take as their base URL. */
    public String openAiBaseUrl() {
        return baseUrl() + "/v1";
    }

    public HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(baseUrl().resolve(path)).timeout(Duration.ofSeconds(20)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> postJson(String path, String json, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(baseUrl().resolve(path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(2));
    }
}
