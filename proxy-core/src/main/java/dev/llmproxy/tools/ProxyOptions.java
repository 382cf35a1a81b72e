package dev.llmproxy.tools;

import picocli.CommandLine.Option;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The options every tool that talks to a running proxy shares: where it is and the client key. Unset options fall
 * back to {@code PROXY_URL}, then {@code PROXY_KEY} or the first of {@code PROXY_SERVER_KEY}'s comma-separated keys,
 * so a tool run next to the proxy's own {@code .env} environment needs no flags. A picocli mixin.
 */
public final class ProxyOptions {
    static final String DEFAULT_URL = "http://127.0.0.1:3010";

    @Option(names = "--url", paramLabel = "<url>",
            description = "The proxy's base URL. Env: PROXY_URL. Default: " + DEFAULT_URL + ".")
    String url;

    @Option(names = "--key", paramLabel = "<key>",
            description = "Client key, when the proxy requires one (sent as Authorization: Bearer). Visible to other"
                    + " users in ps: prefer the environment. Env: PROXY_KEY, else the first of PROXY_SERVER_KEY.")
    String key;

    @Option(names = "--timeout", paramLabel = "<seconds>", defaultValue = "120",
            description = "Longest wait for one answer, in seconds (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    /** The base URL without a trailing slash, validated. */
    URI baseUrl(Map<String, String> environment) {
        String value = firstNonBlank(url, environment.get("PROXY_URL"), DEFAULT_URL);
        URI uri;
        try {
            uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw ToolException.usage("--url: " + value + " (expected: an http or https URL such as " + DEFAULT_URL
                    + ")");
        }
        return uri;
    }

    /** The client key to send, or null when none is configured. */
    String clientKey(Map<String, String> environment) {
        String serverKeys = environment.get("PROXY_SERVER_KEY");
        String firstServerKey = null;
        if (serverKeys != null) {
            for (String candidate : serverKeys.split(",")) {
                if (!candidate.isBlank()) {
                    firstServerKey = candidate.trim();
                    break;
                }
            }
        }
        String value = firstNonBlank(key, environment.get("PROXY_KEY"), firstServerKey);
        if (value != null && !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // never echo the value: it is a secret
            throw ToolException.usage("--key: (hidden) (expected: visible ASCII characters without spaces)");
        }
        return value;
    }

    /** A client for the proxy these options name. */
    ProxyClient connect(Map<String, String> environment) {
        if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
            throw ToolException.usage("--timeout: " + timeoutSeconds + " (expected: seconds from 1 to 3600)");
        }
        return new ProxyClient(baseUrl(environment), clientKey(environment), Duration.ofSeconds(timeoutSeconds));
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }
}
