package dev.llmproxy.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The upstreams the proxy fronts, the aliases routed over them and the client keys allowed to use them, from the
 * configuration file ({@code CONFIG_FILE}), an environment shortcut, or the embedded demo. Validated when built;
 * immutable.
 *
 * @param upstreams       at least one, in file order (the first listing a bare model id serves it)
 * @param routes          aliases with ordered failover targets, in file order
 * @param defaultUpstream where an id no rule resolves goes when several upstreams are configured
 * @param clients         client keys; empty = the {@code PROXY_SERVER_KEY} rules apply
 * @param source          where this came from
 * @param notes           start-up lines for the log: the source chosen, what was ignored, what looks wrong
 */
public record UpstreamsConfig(
        List<UpstreamSpec> upstreams,
        List<RouteSpec> routes,
        Optional<String> defaultUpstream,
        List<ClientSpec> clients,
        ConfigSource source,
        List<ConfigNote> notes) {

    /** The demo upstream's name in {@code /health}, metrics and {@code <name>/<model>}. */
    public static final String DEMO_NAME = "demo";

    public UpstreamsConfig {
        upstreams = List.copyOf(upstreams);
        routes = List.copyOf(routes);
        clients = List.copyOf(clients);
        notes = List.copyOf(notes);
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("upstreams: [] (expected: at least one upstream)");
        }
    }

    /**
     * The embedded simulated upstream: a plain OpenAI-compatible server that lists its own few models at
     * {@code /v1/models}, no key, and no address until the server has started it ({@link #withDemoBaseUrl}).
     */
    static UpstreamsConfig demo(List<ConfigNote> notes) {
        UpstreamKind kind = UpstreamKind.OPENAI_COMPATIBLE;
        UpstreamSpec spec = new UpstreamSpec(DEMO_NAME, kind, Optional.empty(), Optional.empty(), UpstreamAuth.NONE,
                Optional.empty(), kind.defaultResponses(), UpstreamLimits.NONE, Optional.empty(),
                UpstreamOverrides.NONE, Map.of());
        return new UpstreamsConfig(List.of(spec), List.of(), Optional.empty(), List.of(), ConfigSource.demo(), notes);
    }

    /** The embedded demo upstream answers: nothing else is configured. */
    public boolean demo() {
        return source.kind() == ConfigSource.Kind.DEMO;
    }

    /** The first upstream: the only one of a shortcut or the demo, the first of a file. */
    public UpstreamSpec first() {
        return upstreams.get(0);
    }

    /** The upstream called {@code name}. */
    public Optional<UpstreamSpec> upstream(String name) {
        for (UpstreamSpec u : upstreams) {
            if (u.name().equals(name)) {
                return Optional.of(u);
            }
        }
        return Optional.empty();
    }

    /** The same configuration with the demo upstream's address filled in; unchanged when this is not the demo. */
    public UpstreamsConfig withDemoBaseUrl(URI url) {
        if (!demo()) {
            return this;
        }
        List<UpstreamSpec> withUrl = new ArrayList<>(upstreams.size());
        for (UpstreamSpec u : upstreams) {
            withUrl.add(u.withBaseUrl(url));
        }
        return new UpstreamsConfig(withUrl, routes, defaultUpstream, clients, source, notes);
    }

    /** One line for {@code check-config} and the start-up log: names of the upstreams, routes and clients. */
    public String summary() {
        List<String> names = new ArrayList<>();
        for (UpstreamSpec u : upstreams) {
            names.add(u.name() + " (" + u.kind().wireName() + ")");
        }
        List<String> aliases = new ArrayList<>();
        for (RouteSpec r : routes) {
            aliases.add(r.alias());
        }
        List<String> clientNames = new ArrayList<>();
        for (ClientSpec c : clients) {
            clientNames.add(c.name());
        }
        return count(upstreams.size(), "upstream") + ": " + String.join(", ", names)
                + "; " + count(routes.size(), "route") + (aliases.isEmpty() ? "" : ": " + String.join(", ", aliases))
                + "; " + count(clients.size(), "client")
                + (clientNames.isEmpty() ? "" : ": " + String.join(", ", clientNames))
                + defaultUpstream.map(d -> "; default upstream: " + d).orElse("");
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
