package dev.llmproxy.config;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One named upstream, from the configuration file or an environment shortcut, with every default of its kind
 * already applied. Immutable; {@link #toString()} never shows the key or header values.
 *
 * @param name       {@code [a-z0-9-]+}, unique; used in {@code <name>/<model>}, metrics labels and {@code /health}
 * @param kind       what the upstream is; fixes the defaults below
 * @param baseUrl    requests go to {@code <base>/chat/completions} and so on; empty only for the embedded demo
 *                   upstream until it has started ({@link #withBaseUrl})
 * @param apiKey     the proxy's key for this upstream; sent only when {@link UpstreamAuth#sendsApiKey()}
 * @param auth       the header the key travels in, or none, or the client's own
 * @param models     a fixed model list that replaces {@code GET <base>/models}; empty = ask the upstream
 * @param responses  how {@code /v1/responses} reaches the upstream
 * @param limits     the upstream's declared rate and concurrency limits
 * @param catalogUrl where token limits and modalities come from, when not from {@code GET /models}
 * @param overrides  environment settings this upstream sets for itself (timeouts, pool, CA, stream usage)
 * @param headers    extra static request headers, in file order (e.g. OpenRouter's {@code HTTP-Referer})
 */
public record UpstreamSpec(
        String name,
        UpstreamKind kind,
        Optional<URI> baseUrl,
        Optional<String> apiKey,
        UpstreamAuth auth,
        Optional<List<String>> models,
        ResponsesMode responses,
        UpstreamLimits limits,
        Optional<URI> catalogUrl,
        UpstreamOverrides overrides,
        Map<String, String> headers) {

    public UpstreamSpec {
        models = models.map(List::copyOf);
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** The settings the server uses for this upstream: {@code defaults} (the environment) with its overrides applied. */
    public UpstreamOptions options(UpstreamOptions defaults) {
        return overrides.over(defaults);
    }

    /** The key to send, when this upstream's auth sends one and a key is configured. */
    public Optional<String> sentApiKey() {
        return auth.sendsApiKey() ? apiKey : Optional.empty();
    }

    /** The same upstream at another address (the embedded demo upstream, once it knows its port). */
    public UpstreamSpec withBaseUrl(URI url) {
        return new UpstreamSpec(name, kind, Optional.of(url), apiKey, auth, models, responses, limits, catalogUrl,
                overrides, headers);
    }

    /** Never the key nor header values: records' generated toString would print them. */
    @Override
    public String toString() {
        return "UpstreamSpec[name=" + name + ", kind=" + kind.wireName()
                + ", baseUrl=" + baseUrl.map(URI::toString).orElse("(demo)")
                + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)") + ", auth=" + auth.wireName()
                + ", models=" + models.map(List::toString).orElse("(listed by the upstream)")
                + ", responses=" + responses.wireName() + ", limits=" + limits
                + ", catalogUrl=" + catalogUrl.map(URI::toString).orElse("(none)") + ", overrides=" + overrides
                + ", headers=" + headers.keySet() + "]";
    }
}
