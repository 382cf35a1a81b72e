package dev.llmproxy.client;

import dev.llmproxy.config.AuthConfig;
import dev.llmproxy.config.AuthMode;
import dev.llmproxy.config.ClientKeyDigest;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.config.UpstreamAuth;
import dev.llmproxy.upstream.Upstream;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Client authentication ({@code PROXY_SERVER_KEY}) and the choice of the key sent upstream ({@code PROXY_AUTH_MODE}).
 * The mode is the operator's alone: no request header can change it (the reference honoured
 * {@code X-Proxy-Auth-Mode}). A client key for the proxy is never forwarded upstream, whatever the mode.
 * Immutable and thread-safe.
 */
public final class ClientAuth {
    private static final String BEARER = "bearer ";

    private final AuthMode mode;
    private final List<byte[]> clientKeys;
    private final List<ClientSpec> clients;

    /** {@code clients}: the config's client keys; when any is configured they replace {@code PROXY_SERVER_KEY}. */
    public ClientAuth(AuthConfig config, List<ClientSpec> clients) {
        this.mode = config.mode();
        this.clientKeys = config.clientKeys().stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        this.clients = List.copyOf(clients);
    }

    /** The upstream key for one request: present, absent (send none), or missing (refuse the request). */
    public sealed interface UpstreamKey {
        record Use(String key) implements UpstreamKey {
        }

        record None() implements UpstreamKey {
        }

        record Missing() implements UpstreamKey {
        }
    }

    public boolean clientKeyRequired() {
        return !clientKeys.isEmpty() || !clients.isEmpty();
    }

    /**
     * True when no key is configured, or the request presents one of the configured keys: as {@code X-Proxy-Key},
     * {@code X-Proxy-Server-Key}, {@code Authorization: Bearer}, or the Messages API's {@code x-api-key} (how
     * Anthropic's API, SDKs and tools send a key), the same headers {@link #identify} reads for {@code clients:} keys.
     */
    public boolean authorized(HttpHeaders headers) {
        if (!clients.isEmpty()) {
            return identify(headers) != null;
        }
        if (clientKeys.isEmpty()) {
            return true;
        }
        return isClientKey(headers.get("X-Proxy-Key"))
                || isClientKey(headers.get("X-Proxy-Server-Key"))
                || isClientKey(bearer(headers))
                || isClientKey(headers.get("x-api-key"));
    }

    /**
     * The configured client whose key the request presents ({@code X-Proxy-Key}, {@code X-Proxy-Server-Key},
     * {@code Authorization: Bearer}, or the Messages API's {@code x-api-key}), or null. One SHA-256 of a short header
     * value per candidate, only when {@code clients:} is configured.
     */
    public ClientSpec identify(HttpHeaders headers) {
        if (clients.isEmpty()) {
            return null;
        }
        ClientSpec found = client(headers.get("X-Proxy-Key"));
        if (found == null) {
            found = client(headers.get("X-Proxy-Server-Key"));
        }
        if (found == null) {
            found = client(bearer(headers));
        }
        if (found == null) {
            found = client(headers.get("x-api-key"));
        }
        return found;
    }

    private ClientSpec client(String presented) {
        if (presented == null || presented.isBlank()) {
            return null;
        }
        ClientKeyDigest digest = ClientKeyDigest.of(presented.trim());
        for (ClientSpec c : clients) {
            if (c.keyDigest().equals(digest)) {
                return c;
            }
        }
        return null;
    }

    /**
     * The key sent to {@code upstream} for one request, by {@code PROXY_AUTH_MODE}: the upstream's own configured
     * key, the client's own upstream key, or none. An upstream with auth {@code none} gets no key; one with
     * {@code passthrough} gets the client's own key (or none).
     */
    public UpstreamKey upstreamKey(HttpHeaders headers, Upstream upstream) {
        UpstreamAuth auth = upstream.spec().auth();
        if (auth == UpstreamAuth.NONE) {
            return new UpstreamKey.None();
        }
        if (auth == UpstreamAuth.PASSTHROUGH) {
            return clientsOwnKey(headers).<UpstreamKey>map(UpstreamKey.Use::new).orElseGet(UpstreamKey.None::new);
        }
        Optional<String> serverToken = upstream.apiKey();
        if (mode == AuthMode.ENV) {
            return serverToken.<UpstreamKey>map(UpstreamKey.Use::new).orElseGet(UpstreamKey.None::new);
        }
        Optional<String> own = clientsOwnKey(headers);
        if (own.isPresent()) {
            return new UpstreamKey.Use(own.get());
        }
        return mode == AuthMode.REQUEST ? new UpstreamKey.Missing()
                : serverToken.<UpstreamKey>map(UpstreamKey.Use::new).orElseGet(UpstreamKey.None::new);
    }

    /** The client's own upstream key: Bearer (unless it is the proxy key), then X-OpenAI-Api-Key, then X-Proxy-Api-Key. */
    private Optional<String> clientsOwnKey(HttpHeaders headers) {
        String bearer = bearer(headers);
        if (bearer != null && !isClientKey(bearer)) {
            return Optional.of(bearer);
        }
        for (String name : new String[]{"X-OpenAI-Api-Key", "X-Proxy-Api-Key"}) {
            String value = headers.get(name);
            if (value != null && !value.isBlank() && !isClientKey(value.trim())) {
                return Optional.of(value.trim());
            }
        }
        return Optional.empty();
    }

    /** One of the configured client keys; false for null, blank, or when none is configured. */
    public boolean isClientKey(String presented) {
        if (presented == null || presented.isEmpty()) {
            return false;
        }
        if (!clients.isEmpty() && client(presented) != null) {
            return true; // a configured client's key is the proxy's, never an upstream key
        }
        byte[] candidate = presented.trim().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : clientKeys) {
            match |= MessageDigest.isEqual(key, candidate); // constant time per key, and every key is compared
        }
        return match;
    }

    private static String bearer(HttpHeaders headers) {
        String value = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (value == null || value.length() <= BEARER.length() || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = value.substring(BEARER.length()).trim();
        return token.isEmpty() ? null : token;
    }
}
