package dev.llmproxy.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * HTTP to a running proxy for the operator tools, on the JDK's {@link HttpClient} (HTTP/1.1): JSON requests, and
 * chat streams handed over as an {@link InputStream} for {@link SseReader}. Sends the client key as
 * {@code Authorization: Bearer}. A proxy that cannot be reached at all ends the tool (exit 1); a proxy that refuses
 * the client key ends it as a usage error (exit 2), since every later request would be refused too. Other I/O
 * failures of one request (a timeout, a reset) are thrown to the caller, which may count them against one model.
 * Blocking; used from a tool's own thread only.
 */
final class ProxyClient {
    /** The proxy's error code for a missing or wrong client key. */
    static final String KEY_REFUSED = "proxy_key_invalid";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final URI baseUrl;
    private final String key;
    private final Duration timeout;
    private final HttpClient http;

    ProxyClient(URI baseUrl, String key, Duration timeout) {
        this.baseUrl = baseUrl;
        this.key = key;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    URI baseUrl() {
        return baseUrl;
    }

    boolean hasKey() {
        return key != null;
    }

    /** {@code GET path}, the whole answer. */
    ProxyAnswer get(String path) throws IOException {
        return send(request(path).GET().build());
    }

    /** {@code POST path} with a JSON body, the whole answer. */
    ProxyAnswer postJson(String path, JsonNode body) throws IOException {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))).build());
    }

    /**
     * {@code POST path} with a JSON body, answered as soon as the response head arrives; the caller reads and closes
     * the body. The timeout covers the wait for the head, not the stream.
     */
    HttpResponse<InputStream> postForStream(String path, JsonNode body) throws IOException {
        HttpRequest request = request(path).header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))).build();
        HttpResponse<InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() == 401) {
            try (InputStream in = response.body()) {
                checkKeyAccepted(new ProxyAnswer(401, response.headers(),
                        new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8)));
            }
        }
        return response;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("User-Agent", "llm-proxy-tools");
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        return builder;
    }

    private ProxyAnswer send(HttpRequest request) throws IOException {
        HttpResponse<String> response = exchange(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        ProxyAnswer answer = new ProxyAnswer(response.statusCode(), response.headers(), response.body());
        checkKeyAccepted(answer);
        return answer;
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException {
        try {
            return http.send(request, handler);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw ToolException.failed("cannot reach the proxy at " + baseUrl + ": "
                    + (e.getMessage() != null ? e.getMessage()
                    : e instanceof HttpConnectTimeoutException ? "connect timed out" : "connection refused")
                    + " (is it running? see --url)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void checkKeyAccepted(ProxyAnswer answer) {
        if (answer.status() == 401 && KEY_REFUSED.equals(answer.errorCode())) {
            throw ToolException.usage(key == null
                    ? "--key: missing (expected: the proxy requires a client key: set --key, PROXY_KEY or"
                    + " PROXY_SERVER_KEY)"
                    : "--key: (hidden) (expected: a client key the proxy accepts; it answered 401 "
                    + answer.errorMessage() + ")");
        }
    }
}
