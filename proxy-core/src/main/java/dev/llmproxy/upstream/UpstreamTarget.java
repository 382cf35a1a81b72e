package dev.llmproxy.upstream;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Locale;

/**
 * Where upstream requests go, derived once from the configured base URL: {@code https://models.github.ai/inference}
 * becomes host {@code models.github.ai}, port 443, TLS, path prefix {@code /inference}.
 *
 * @param hostHeader value of the {@code Host} header: the host, plus the port when it is not the scheme's default
 */
public record UpstreamTarget(String scheme, String host, int port, String basePath, boolean tls, String hostHeader) {

    public static UpstreamTarget of(URI baseUrl) {
        String scheme = baseUrl.getScheme().toLowerCase(Locale.ROOT);
        boolean tls = scheme.equals("https");
        int defaultPort = tls ? 443 : 80;
        int port = baseUrl.getPort() == -1 ? defaultPort : baseUrl.getPort();
        String host = baseUrl.getHost();
        String path = baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String hostForHeader = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        String hostHeader = port == defaultPort ? hostForHeader : hostForHeader + ":" + port;
        return new UpstreamTarget(scheme, unbracket(host), port, path, tls, hostHeader);
    }

    private static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** Unresolved, so the pool's asynchronous resolver looks it up off the event loop's critical path. */
    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The request-target for an OpenAI path such as {@code /chat/completions}. */
    public String uri(String openAiPath) {
        return basePath + openAiPath;
    }

    /** Base URL without credentials, for logs and /health. */
    public String display() {
        return scheme + "://" + hostHeader + basePath;
    }
}
