package dev.llmproxy.config;

import dev.llmproxy.config.FieldReader.Field;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the items of {@code upstreams:} into {@link UpstreamSpec}s, applying each kind's defaults and checking
 * every key, including that names are unique across the items read so far. Single-threaded: one instance per
 * read of a file.
 */
final class UpstreamSpecReader {

    static final List<String> KEYS = List.of("name", "kind", "base_url", "api_key", "auth", "models", "responses",
            "limits", "catalog_url", "headers", "stream_usage", "connect_timeout_ms", "first_byte_timeout_ms",
            "stream_idle_timeout_ms", "pool_max_connections", "ca_file");
    static final List<String> LIMIT_KEYS = List.of("rpm", "tpm", "concurrency", "scope");
    static final Pattern NAME = Pattern.compile("[a-z0-9-]+");
    static final String NAME_RULE = "a name of a-z, 0-9 and '-'";
    static final String AZURE_PATH = "/openai/v1";
    private static final String RETIRED_HOST = "models.github.ai";
    /** RFC 9110 token: what a header name may contain. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern HEADER_VALUE = Pattern.compile("[\\x20-\\x7e\\t]*");
    /** Headers the proxy itself writes or that describe one connection, never a static value of an upstream. */
    private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding",
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "content-encoding");

    private final FieldReader fields;
    private final Path baseDirectory;
    private final List<ConfigNote> notes;
    /** Every name declared so far, valid upstream or not, with its line: routes check against these. */
    private final Map<String, Integer> names = new LinkedHashMap<>();

    /**
     * @param baseDirectory where a relative {@code ca_file} is read from: the configuration file's directory
     * @param notes         receives the warnings about upstreams that will probably not work
     */
    UpstreamSpecReader(FieldReader fields, Path baseDirectory, List<ConfigNote> notes) {
        this.fields = fields;
        this.baseDirectory = baseDirectory;
        this.notes = notes;
    }

    /** Names of every upstream item read, including items with problems, so one mistake does not cascade. */
    Set<String> declaredNames() {
        return names.keySet();
    }

    /** The upstream of one item of {@code upstreams:}; empty when the item has a problem (reported). */
    Optional<UpstreamSpec> read(Field item) {
        int before = fields.problems().count();
        Optional<Map<String, Field>> mapping = fields.mapping(item, KEYS);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Field> f = mapping.get();
        Optional<String> name = name(item, f.get("name"));
        Optional<UpstreamKind> kind = required(item, f, "kind", WireName.oneOf(UpstreamKind.class))
                .flatMap(k -> fields.choice(k, UpstreamKind.class));
        UpstreamAuth auth = optional(f, "auth").flatMap(a -> fields.choice(a, UpstreamAuth.class))
                .orElse(kind.map(UpstreamKind::defaultAuth).orElse(UpstreamAuth.BEARER));
        Optional<URI> baseUrl = baseUrl(item, f, kind);
        Optional<String> apiKey = apiKey(item, f, kind, auth);
        Optional<List<String>> models = optional(f, "models").flatMap(m -> fields.texts(m, "model id"));
        ResponsesMode responses = optional(f, "responses").flatMap(r -> fields.choice(r, ResponsesMode.class))
                .orElse(kind.map(UpstreamKind::defaultResponses).orElse(ResponsesMode.BRIDGE));
        UpstreamLimits limits = optional(f, "limits").map(this::limits).orElse(UpstreamLimits.NONE);
        Optional<URI> catalogUrl = optional(f, "catalog_url").flatMap(fields::url)
                .or(() -> kind.flatMap(UpstreamKind::defaultCatalogUrl));
        Map<String, String> headers = optional(f, "headers").map(h -> headers(h, auth, apiKey.isPresent()))
                .orElse(Map.of());
        UpstreamOverrides overrides = overrides(f);

        if (fields.problems().count() != before || name.isEmpty() || kind.isEmpty() || baseUrl.isEmpty()) {
            return Optional.empty();
        }
        notes(item, f, name.get(), kind.get(), baseUrl.get());
        return Optional.of(new UpstreamSpec(name.get(), kind.get(), baseUrl, apiKey, auth, models, responses,
                limits, catalogUrl, overrides, headers));
    }

    private Optional<String> name(Field item, Field field) {
        if (field == null) {
            fields.missing(item, "name", NAME_RULE + ", unique among the upstreams");
            return Optional.empty();
        }
        Optional<String> name = fields.text(field, NAME_RULE);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        if (!NAME.matcher(name.get()).matches()) {
            fields.problem(field, fields.shown(field), NAME_RULE + ", e.g. " + suggestedName(name.get()));
            return Optional.empty();
        }
        Integer earlier = names.putIfAbsent(name.get(), field.line());
        if (earlier != null) {
            fields.problem(field, name.get(), "a name no other upstream has; line " + earlier + " already uses it");
            return Optional.empty();
        }
        return name;
    }

    private Optional<URI> baseUrl(Field item, Map<String, Field> f, Optional<UpstreamKind> kind) {
        Field field = f.get("base_url");
        if (field == null) {
            Optional<URI> fallback = kind.flatMap(UpstreamKind::defaultBaseUrl);
            if (fallback.isEmpty() && kind.isPresent()) {
                fields.missing(item, "base_url", ValueRules.URL_RULE + "; kind " + kind.get().wireName()
                        + " has no default, e.g. " + exampleUrl(kind.get()));
            }
            return fallback;
        }
        Optional<URI> url = fields.url(field);
        if (url.isPresent() && kind.orElse(null) == UpstreamKind.AZURE
                && (url.get().getRawPath() == null || url.get().getRawPath().isEmpty())) {
            // the bare resource endpoint is the usual mistake, and every call to it would fail with 404
            fields.problem(field, fields.shown(field), "the v1 API URL, " + url.get() + AZURE_PATH);
            return Optional.empty();
        }
        return url;
    }

    private Optional<String> apiKey(Field item, Map<String, Field> f, Optional<UpstreamKind> kind, UpstreamAuth auth) {
        Field field = f.get("api_key");
        if (field == null) {
            if (kind.isPresent() && kind.get().requiresApiKey() && auth.sendsApiKey()) {
                fields.missing(item, "api_key", "the upstream's key, e.g. api_key: ${"
                        + (kind.get() == UpstreamKind.AZURE ? "AZURE_OPENAI_API_KEY" : "OPENAI_API_KEY") + "}; kind "
                        + kind.get().wireName() + " needs one unless auth is none or passthrough");
            }
            return Optional.empty();
        }
        Optional<String> key = fields.secret(field, ValueRules.TOKEN_RULE);
        if (key.isEmpty()) {
            return key;
        }
        if (!ValueRules.isToken(key.get())) {
            fields.problem(field, ValueRules.HIDDEN, ValueRules.TOKEN_RULE);
            return Optional.empty();
        }
        if (!auth.sendsApiKey()) {
            fields.problem(field, ValueRules.HIDDEN, "no api_key with auth: " + auth.wireName()
                    + ", which never sends it");
            return Optional.empty();
        }
        return key;
    }

    private UpstreamLimits limits(Field field) {
        Optional<Map<String, Field>> mapping = fields.mapping(field, LIMIT_KEYS);
        if (mapping.isEmpty()) {
            return UpstreamLimits.NONE;
        }
        Map<String, Field> f = mapping.get();
        int rpm = (int) count(f.get("rpm"), Integer.MAX_VALUE);
        long tpm = count(f.get("tpm"), Long.MAX_VALUE);
        int concurrency = (int) count(f.get("concurrency"), Integer.MAX_VALUE);
        UpstreamLimits.Scope scope = optional(f, "scope").flatMap(s -> fields.choice(s, UpstreamLimits.Scope.class))
                .orElse(UpstreamLimits.Scope.MODEL);
        return new UpstreamLimits(rpm, tpm, concurrency, scope);
    }

    /** A limit: 0 (or absent) means none. */
    private long count(Field field, long max) {
        if (field == null) {
            return 0;
        }
        return fields.integer(field, 0, max, "an integer from 0 (no limit) to " + max).orElse(0L);
    }

    private Map<String, String> headers(Field field, UpstreamAuth auth, boolean hasKey) {
        Optional<Map<String, Field>> mapping = fields.freeMapping(field,
                "a mapping of header names to values, e.g. {HTTP-Referer: https://example.com}");
        if (mapping.isEmpty()) {
            return Map.of();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Map<String, String> seen = new HashMap<>();
        for (Map.Entry<String, Field> e : mapping.get().entrySet()) {
            String name = e.getKey();
            Field value = e.getValue();
            String lower = name.toLowerCase(Locale.ROOT);
            String ownAuthHeader = auth == UpstreamAuth.API_KEY ? "api-key" : "authorization";
            if (!HEADER_NAME.matcher(name).matches()) {
                fields.problem(value, "(invalid name)", "a header name of letters, digits and !#$%&'*+.^_`|~-");
            } else if (RESERVED_HEADERS.contains(lower)) {
                fields.problem(value, "(reserved)", "a header the proxy does not set itself; " + name
                        + " is written per request or per connection");
            } else if (lower.equals(ownAuthHeader) && (auth == UpstreamAuth.PASSTHROUGH || hasKey)) {
                fields.problem(value, "(reserved)", "a header other than " + name + ", which auth: "
                        + auth.wireName() + " already sends; use auth: none to send a fixed one");
            } else if (seen.putIfAbsent(lower, name) != null) {
                fields.problem(value, "(given twice)", "each header once, in any case; " + seen.get(lower)
                        + " is already set");
            } else {
                // header values may be credentials (x-api-key, OpenRouter's keys): never printed
                Optional<String> v = fields.secret(value, "a header value");
                if (v.isPresent() && !HEADER_VALUE.matcher(v.get()).matches()) {
                    fields.problem(value, ValueRules.HIDDEN, "a header value of visible ASCII characters, spaces"
                            + " and tabs");
                } else {
                    v.ifPresent(s -> headers.put(name, s));
                }
            }
        }
        return headers;
    }

    private UpstreamOverrides overrides(Map<String, Field> f) {
        return new UpstreamOverrides(
                millis(f.get("connect_timeout_ms"), Setting.UPSTREAM_CONNECT_TIMEOUT_MS),
                millis(f.get("first_byte_timeout_ms"), Setting.UPSTREAM_FIRST_BYTE_TIMEOUT_MS),
                millis(f.get("stream_idle_timeout_ms"), Setting.UPSTREAM_STREAM_IDLE_TIMEOUT_MS),
                optional(f, "pool_max_connections")
                        .flatMap(p -> fields.integer(p, Setting.UPSTREAM_POOL_MAX_CONNECTIONS.min(),
                                Setting.UPSTREAM_POOL_MAX_CONNECTIONS.max(),
                                Setting.UPSTREAM_POOL_MAX_CONNECTIONS.expected()))
                        .map(n -> OptionalInt.of(n.intValue())).orElse(OptionalInt.empty()),
                optional(f, "ca_file").flatMap(this::caFile),
                optional(f, "stream_usage").flatMap(fields::bool));
    }

    /** The same bounds as the environment setting it overrides. */
    private Optional<Duration> millis(Field field, Setting setting) {
        if (field == null) {
            return Optional.empty();
        }
        return fields.integer(field, setting.min(), setting.max(), setting.expected()).map(Duration::ofMillis);
    }

    private Optional<Path> caFile(Field field) {
        String rule = "an existing, readable PEM file; a relative path is read from the configuration file's"
                + " directory";
        Optional<String> v = fields.text(field, rule);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            Path p = baseDirectory.resolve(v.get());
            if (Files.isRegularFile(p) && Files.isReadable(p)) {
                return Optional.of(p);
            }
        } catch (InvalidPathException e) {
            // reported below
        }
        fields.problem(field, fields.shown(field), rule);
        return Optional.empty();
    }

    private void notes(Field item, Map<String, Field> f, String name, UpstreamKind kind, URI baseUrl) {
        Field at = f.getOrDefault("base_url", item);
        String prefix = fields.problems().at(at.line()) + "upstream " + name + ": ";
        if (kind == UpstreamKind.AZURE && !baseUrl.getRawPath().endsWith(AZURE_PATH)) {
            notes.add(ConfigNote.warning(prefix + "base_url " + baseUrl + " does not end in " + AZURE_PATH
                    + ", the path of Azure's v1 API; requests will probably answer 404"));
        }
        if (RETIRED_HOST.equalsIgnoreCase(baseUrl.getHost())) {
            notes.add(ConfigNote.githubModelsRetired(prefix));
        }
    }

    private Optional<Field> required(Field item, Map<String, Field> f, String key, String expected) {
        Field field = f.get(key);
        if (field == null) {
            fields.missing(item, key, expected);
        }
        return Optional.ofNullable(field);
    }

    private static Optional<Field> optional(Map<String, Field> f, String key) {
        return Optional.ofNullable(f.get(key));
    }

    private static String exampleUrl(UpstreamKind kind) {
        return kind == UpstreamKind.AZURE ? "https://myres.openai.azure.com" + AZURE_PATH : "http://127.0.0.1:11434/v1";
    }

    /** {@code My_Upstream} → {@code my-upstream}: what the name probably meant. */
    static String suggestedName(String name) {
        String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        return s.isEmpty() ? "local" : s;
    }
}
