package dev.llmproxy.config;

import dev.llmproxy.openai.GitHubModelsPlan;
import io.github.cdimascio.dotenv.Dotenv;
import io.github.cdimascio.dotenv.DotenvEntry;
import io.github.cdimascio.dotenv.DotenvException;
import io.netty.util.NetUtil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Builds the one {@link ProxyConfig} of a process from flags, the process environment and a {@code .env} file, and
 * validates all of it in one pass, so an operator sees every mistake at once instead of one per restart.
 * Stateless: callers pass every source as a map, which keeps tests hermetic.
 */
public final class ConfigLoader {

    private static final String HIDDEN = ValueRules.HIDDEN;
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,18}");

    private ConfigLoader() {
    }

    /**
     * Resolves every {@link Setting}: a flag wins over the process environment, which wins over the {@code .env}
     * file, which wins over the default. All maps are keyed by {@link Setting#envName()}; a blank value counts as
     * unset, and values are trimmed.
     *
     * @throws ConfigException listing every problem, each as {@code <ENV_NAME>: <value> (expected: <rule>)}
     */
    public static ProxyConfig load(Map<String, String> flags, Map<String, String> environment,
                                   Map<String, String> dotenv) {
        return new Resolution(List.of(flags, environment, dotenv)).resolve();
    }

    /**
     * Reads a {@code .env} file: only the entries declared in it, never the process environment.
     *
     * @return the file's entries; empty when the file does not exist
     * @throws ConfigException naming the file when it cannot be read or a line is malformed (the line's content is
     *                         not shown: it may hold a secret)
     */
    public static Map<String, String> readDotenv(Path file) {
        if (!Files.exists(file)) {
            return Map.of();
        }
        // not isRegularFile: "--env-file /dev/null" is the usual way to read none
        if (Files.isDirectory(file) || !Files.isReadable(file)) {
            throw new ConfigException(List.of(file + ": not a readable file (expected: a readable .env file)"));
        }
        // dotenv-java falls back to the classpath for a missing file and strips a trailing ".env" from the directory
        // name; a file: URI directory ending in "/" sidesteps both.
        String uri = file.toAbsolutePath().normalize().toUri().toString();
        int slash = uri.lastIndexOf('/');
        try {
            Dotenv parsed = Dotenv.configure()
                    .directory(uri.substring(0, slash + 1))
                    .filename(uri.substring(slash + 1))
                    .load();
            Map<String, String> entries = new LinkedHashMap<>();
            for (DotenvEntry e : parsed.entries(Dotenv.Filter.DECLARED_IN_ENV_FILE)) {
                entries.put(e.getKey(), e.getValue());
            }
            return entries;
        } catch (DotenvException e) {
            if (e.getCause() instanceof IOException io) {
                throw new ConfigException(List.of(file + ": " + io.getClass().getSimpleName()
                        + (io.getMessage() == null ? "" : " " + io.getMessage())
                        + " (expected: a readable UTF-8 .env file)"));
            }
            throw new ConfigException(List.of(file + ": " + malformedLine(file, e)
                    + " is malformed (expected: KEY=VALUE lines without 'export', blank lines or # comments;"
                    + " the line is not shown as it may hold a secret)"));
        }
    }

    /** "line N" when the offending line can be found, else "a line". */
    private static String malformedLine(Path file, DotenvException e) {
        String message = String.valueOf(e.getMessage());
        try {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (!line.isBlank() && message.endsWith(" " + line)) {
                    return "line " + (i + 1);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // the line number is a courtesy; the file name is enough to act on
        }
        return "a line";
    }

    /** {@code localhost}, {@code 127.0.0.0/8} and {@code ::1}; never a name that would need a DNS lookup. */
    static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
        return literal != null && literal.isLoopbackAddress();
    }

    /** One load: the sources in precedence order and the problems found so far. */
    private static final class Resolution {
        private final List<Map<String, String>> sources;
        private final List<String> problems = new ArrayList<>();

        Resolution(List<Map<String, String>> sources) {
            this.sources = sources;
        }

        ProxyConfig resolve() {
            String host = host();
            int port = (int) integer(Setting.PORT);
            int ioThreads = raw(Setting.IO_THREADS).isPresent()
                    ? (int) integer(Setting.IO_THREADS)
                    : (int) Math.min(Runtime.getRuntime().availableProcessors(), Setting.IO_THREADS.max());
            ServerConfig server = new ServerConfig(host, port, ioThreads,
                    (int) integer(Setting.MAX_REQUEST_BODY_BYTES),
                    (int) integer(Setting.MAX_CONNECTIONS),
                    millis(Setting.CLIENT_IDLE_TIMEOUT_MS),
                    millis(Setting.SHUTDOWN_GRACE_MS));

            boolean streamUsage = bool(Setting.STREAM_USAGE_INJECTION);
            UpstreamOptions upstreamDefaults = new UpstreamOptions(
                    millis(Setting.UPSTREAM_CONNECT_TIMEOUT_MS),
                    millis(Setting.UPSTREAM_FIRST_BYTE_TIMEOUT_MS),
                    millis(Setting.UPSTREAM_STREAM_IDLE_TIMEOUT_MS),
                    (int) integer(Setting.UPSTREAM_POOL_MAX_CONNECTIONS),
                    (int) integer(Setting.UPSTREAM_POOL_MAX_PENDING),
                    millis(Setting.UPSTREAM_POOL_IDLE_TIMEOUT_MS),
                    caFile(),
                    streamUsage);
            UpstreamsConfig upstreams = upstreams();
            UpstreamSpec first = upstreams.first();
            UpstreamOptions firstOptions = first.options(upstreamDefaults);
            boolean demo = upstreams.demo();
            UpstreamConfig upstream = new UpstreamConfig(first.baseUrl(), first.sentApiKey(),
                    firstOptions.connectTimeout(),
                    firstOptions.firstByteTimeout(),
                    firstOptions.streamIdleTimeout(),
                    firstOptions.maxConnectionsPerLoop(),
                    firstOptions.maxPendingAcquires(),
                    firstOptions.poolIdleTimeout(),
                    firstOptions.trustedCaFile(),
                    demo);

            int problemsBeforeAuth = problems.size();
            AuthMode mode = authMode();
            List<String> clientKeys = clientKeys();
            boolean allowOpenProxy = bool(Setting.ALLOW_OPEN_PROXY);
            if (problems.size() == problemsBeforeAuth && host != null && clientKeys.isEmpty() && !allowOpenProxy
                    && !isLoopback(host)) {
                problems.add(Setting.HOST.envName() + ": " + host + " (expected: a loopback address such as"
                        + " 127.0.0.1, unless PROXY_SERVER_KEY or ALLOW_OPEN_PROXY=true is set. With no client key, a"
                        + " proxy listening on " + host + " is an open relay: anyone who can reach the port uses it,"
                        + " spending the upstream key and quota. Either set PROXY_SERVER_KEY to require a client key,"
                        + " or set ALLOW_OPEN_PROXY=true to accept the risk, e.g. behind a firewall.)");
            }
            AuthConfig auth = new AuthConfig(mode, clientKeys, allowOpenProxy);

            // GitHub's quotas and per-request caps apply to its kind (and to the demo, which simulates it)
            boolean githubModels = first.kind() == UpstreamKind.GITHUB_MODELS;
            AdmissionConfig admission = admission(githubModels && !demo);
            TtsConfig tts = tts(demo);
            MetricsConfig metrics = new MetricsConfig(bool(Setting.METRICS_ENABLED), metricsPath(), streamUsage);
            DemoConfig demoConfig = new DemoConfig(millis(Setting.DEMO_TOKEN_DELAY_MS));
            ModelsConfig models = new ModelsConfig(url(Setting.GITHUB_MODELS_CATALOG_URL),
                    Duration.ofHours(integer(Setting.CATALOG_REFRESH_HOURS)), bool(Setting.CONTEXT_CHECK_ENABLED),
                    githubModels);
            boolean strict = bool(Setting.STRICT_OPENAI_API);
            boolean accessLog = bool(Setting.ACCESS_LOG);
            RedisConfig redis = redis();

            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            return new ProxyConfig(server, upstream, upstreams, upstreamDefaults, auth, admission, metrics, tts,
                    demoConfig, models, strict, accessLog, redis);
        }

        /** The first non-blank value, trimmed, in precedence order; the default is not consulted. */
        private Optional<String> raw(Setting s) {
            for (Map<String, String> source : sources) {
                String v = source.get(s.envName());
                if (v != null && !v.isBlank()) {
                    return Optional.of(v.strip());
                }
            }
            return Optional.empty();
        }

        /** An environment variable for the configuration file's {@code ${VAR}}, from the same sources as settings. */
        private Optional<String> variable(String name) {
            for (Map<String, String> source : sources) {
                String v = source.get(name);
                if (v != null && !v.isBlank()) {
                    return Optional.of(v.strip());
                }
            }
            return Optional.empty();
        }

        /**
         * The configuration file when {@code CONFIG_FILE} is set, else the environment shortcuts. Every shortcut
         * setting is validated either way: the file's {@code ${VAR}} may use them.
         */
        private UpstreamsConfig upstreams() {
            UpstreamShortcuts.Values shortcuts = new UpstreamShortcuts.Values(url(Setting.OPENAI_BASE_URL),
                    token(Setting.OPENAI_API_KEY), token(Setting.GITHUB_TOKEN), url(Setting.AZURE_OPENAI_ENDPOINT),
                    token(Setting.AZURE_OPENAI_API_KEY));
            Optional<String> configFile = raw(Setting.CONFIG_FILE);
            if (configFile.isEmpty()) {
                return UpstreamShortcuts.choose(shortcuts, problems);
            }
            Path file;
            try {
                file = Path.of(configFile.get());
            } catch (InvalidPathException e) {
                problem(Setting.CONFIG_FILE, configFile.get());
                return UpstreamsConfig.demo(List.of());
            }
            if (!Files.exists(file)) {
                problem(Setting.CONFIG_FILE, configFile.get());
                return UpstreamsConfig.demo(List.of());
            }
            try {
                UpstreamsConfig fromFile = ConfigFile.read(file, this::variable);
                List<ConfigNote> notes = new ArrayList<>();
                notes.add(UpstreamShortcuts.fileNote(file, fromFile, shortcuts));
                notes.addAll(fromFile.notes());
                return new UpstreamsConfig(fromFile.upstreams(), fromFile.routes(), fromFile.defaultUpstream(),
                        fromFile.clients(), fromFile.source(), notes);
            } catch (ConfigException e) {
                problems.addAll(e.problems());
                // never used: load throws once every setting is checked
                return UpstreamsConfig.demo(List.of());
            }
        }

        private Optional<String> valueOrDefault(Setting s) {
            return raw(s).or(s::defaultValue);
        }

        private void problem(Setting s, String value) {
            String shown = s.secret() ? HIDDEN : ValueRules.printable(value);
            problems.add(s.envName() + ": " + shown + " (expected: " + s.expected() + ")");
        }

        /** Within the setting's bounds; on a problem, the lower bound (never used: load throws). */
        private long integer(Setting s) {
            String v = valueOrDefault(s).orElseThrow();
            if (INTEGER.matcher(v).matches()) {
                long n = Long.parseLong(v);
                if (n >= s.min() && n <= s.max()) {
                    return n;
                }
            }
            problem(s, v);
            return s.min();
        }

        private Duration millis(Setting s) {
            return Duration.ofMillis(integer(s));
        }

        private boolean bool(Setting s) {
            String v = valueOrDefault(s).orElseThrow();
            Optional<Boolean> b = ValueRules.parseBoolean(v);
            if (b.isEmpty()) {
                problem(s, v);
                return false;
            }
            return b.get();
        }

        /** The host to bind, IPv6 brackets removed; null when invalid. */
        private String host() {
            String v = valueOrDefault(Setting.HOST).orElseThrow();
            String host = v.startsWith("[") && v.endsWith("]") ? v.substring(1, v.length() - 1) : v;
            if (ValueRules.isHost(host)) {
                return host;
            }
            problem(Setting.HOST, v);
            return null;
        }

        private Optional<String> token(Setting s) {
            Optional<String> v = raw(s);
            if (v.isPresent() && !ValueRules.isToken(v.get())) {
                problem(s, v.get());
                return Optional.empty();
            }
            return v;
        }

        /** An absolute http(s) URL with a host and no user info, query or fragment; a trailing slash dropped. */
        private Optional<URI> url(Setting setting) {
            Optional<String> v = raw(setting);
            if (v.isEmpty()) {
                return Optional.empty();
            }
            Optional<URI> url = ValueRules.httpUrl(v.get());
            if (url.isEmpty()) {
                // a password in the URL stays out of stderr
                problem(setting, ValueRules.withoutUserInfo(v.get()));
            }
            return url;
        }

        /** @param githubModels the upstream enforces GitHub's per-model quotas, so pacing defaults to on */
        private AdmissionConfig admission(boolean githubModels) {
            int perMinute = (int) integer(Setting.RATE_LIMIT_PER_MINUTE);
            int leeway = (int) integer(Setting.RATE_LIMIT_BUCKET_LEEWAY);
            int burst = raw(Setting.RATE_LIMIT_BURST).isPresent()
                    ? (int) integer(Setting.RATE_LIMIT_BURST)
                    : (int) Math.min(Setting.RATE_LIMIT_BURST.max(), (long) perMinute + leeway);
            String planValue = valueOrDefault(Setting.GITHUB_MODELS_PLAN).orElseThrow();
            GitHubModelsPlan plan = GitHubModelsPlan.parse(planValue).orElse(null);
            if (plan == null) {
                problem(Setting.GITHUB_MODELS_PLAN, planValue);
                plan = GitHubModelsPlan.FREE;
            }
            boolean pacing = raw(Setting.UPSTREAM_QUOTA_PACING).isPresent()
                    ? bool(Setting.UPSTREAM_QUOTA_PACING) : githubModels;
            return new AdmissionConfig(
                    bool(Setting.RATE_LIMIT_ENABLED), perMinute, burst,
                    (int) integer(Setting.RATE_LIMIT_MAX_KEYS),
                    (int) integer(Setting.IP_RATE_LIMIT_PER_MINUTE),
                    bool(Setting.IP_RATE_LIMIT_LOOPBACK),
                    bool(Setting.TRUST_PROXY),
                    bool(Setting.UPSTREAM_CONCURRENCY_ENABLED),
                    (int) integer(Setting.UPSTREAM_MAX_CONCURRENT),
                    (int) integer(Setting.UPSTREAM_QUEUE_MAX),
                    millis(Setting.UPSTREAM_QUEUE_TIMEOUT_MS),
                    plan, pacing,
                    (int) integer(Setting.RETRY_ATTEMPTS),
                    millis(Setting.RETRY_DELAY_MS),
                    millis(Setting.RETRY_AFTER_MAX_MS),
                    (int) integer(Setting.CIRCUIT_BREAKER_THRESHOLD),
                    millis(Setting.CIRCUIT_BREAKER_TIMEOUT_MS),
                    breakerFirstOpen(),
                    bool(Setting.ADAPTIVE_RATE_LIMITS));
        }

        /** The first open period, which the longest one bounds (an explicit longer one is an error). */
        private Duration breakerFirstOpen() {
            Duration first = millis(Setting.CIRCUIT_BREAKER_FIRST_OPEN_MS);
            Duration longest = millis(Setting.CIRCUIT_BREAKER_TIMEOUT_MS);
            if (first.compareTo(longest) > 0 && raw(Setting.CIRCUIT_BREAKER_FIRST_OPEN_MS).isEmpty()) {
                return longest; // a short CIRCUIT_BREAKER_TIMEOUT_MS alone shortens the first period too
            }
            if (first.compareTo(longest) > 0) {
                problems.add(Setting.CIRCUIT_BREAKER_FIRST_OPEN_MS.envName() + ": " + first.toMillis()
                        + " (expected: at most CIRCUIT_BREAKER_TIMEOUT_MS, " + longest.toMillis() + ")");
                return longest;
            }
            return first;
        }

        private RedisConfig redis() {
            Optional<String> url = raw(Setting.REDIS_URL);
            if (url.isPresent() && !ValueRules.isRedisUrl(url.get())) {
                // a password in the URL stays out of stderr
                problem(Setting.REDIS_URL, ValueRules.withoutUserInfo(url.get()));
                url = Optional.empty();
            }
            String prefix = valueOrDefault(Setting.REDIS_KEY_PREFIX).orElseThrow();
            if (prefix.length() > 64 || !ValueRules.isToken(prefix)) {
                problem(Setting.REDIS_KEY_PREFIX, prefix);
            }
            String modeValue = valueOrDefault(Setting.REDIS_FAILURE_MODE).orElseThrow();
            RedisFailureMode mode = RedisFailureMode.parse(modeValue).orElse(null);
            if (mode == null) {
                problem(Setting.REDIS_FAILURE_MODE, modeValue);
                mode = RedisFailureMode.LOCAL;
            }
            return new RedisConfig(url, prefix, millis(Setting.REDIS_TIMEOUT_MS), mode, millis(Setting.REDIS_LEASE_TTL_MS));
        }

        private TtsConfig tts(boolean demo) {
            Optional<URI> target = url(Setting.TTS_PROXY_TARGET);
            if (target.isEmpty() && !demo) {
                target = Optional.of(URI.create("http://127.0.0.1:8080"));
            }
            String voicesValue = valueOrDefault(Setting.TTS_VOICES).orElseThrow();
            List<String> voices = new ArrayList<>();
            for (String part : voicesValue.split(",")) {
                String voice = part.strip();
                if (!voice.isEmpty()) {
                    voices.add(voice);
                }
            }
            if (voices.isEmpty() || voices.stream().anyMatch(v -> !v.matches("[A-Za-z0-9_-]{1,64}"))) {
                problem(Setting.TTS_VOICES, voicesValue);
            }
            return new TtsConfig(bool(Setting.ENABLE_TTS_PROXY), target, (int) integer(Setting.TTS_MAX_TEXT_CHARS),
                    voices, millis(Setting.TTS_FIRST_BYTE_TIMEOUT_MS));
        }

        private String metricsPath() {
            String v = valueOrDefault(Setting.METRICS_PATH).orElseThrow();
            boolean valid = v.startsWith("/") && v.length() > 1 && !v.startsWith("/v1/") && !v.startsWith("/api/")
                    && !v.equals("/v1") && !v.equals("/api") && v.chars().noneMatch(c -> c <= ' ' || c == '?' || c == '#');
            if (!valid) {
                problem(Setting.METRICS_PATH, v);
                return "/metrics";
            }
            return v;
        }

        private Optional<Path> caFile() {
            Optional<String> v = raw(Setting.UPSTREAM_CA_FILE);
            if (v.isEmpty()) {
                return Optional.empty();
            }
            try {
                Path p = Path.of(v.get());
                if (Files.isRegularFile(p) && Files.isReadable(p)) {
                    return Optional.of(p);
                }
            } catch (InvalidPathException e) {
                // reported below
            }
            problem(Setting.UPSTREAM_CA_FILE, v.get());
            return Optional.empty();
        }

        private AuthMode authMode() {
            String v = valueOrDefault(Setting.PROXY_AUTH_MODE).orElseThrow();
            Optional<AuthMode> mode = AuthMode.parse(v);
            if (mode.isEmpty()) {
                problem(Setting.PROXY_AUTH_MODE, v);
                return AuthMode.ENV;
            }
            return mode.get();
        }

        /** Comma-separated, blanks dropped; a value that yields no key is an error, not "no authentication". */
        private List<String> clientKeys() {
            Optional<String> v = raw(Setting.PROXY_SERVER_KEY);
            if (v.isEmpty()) {
                return List.of();
            }
            List<String> keys = new ArrayList<>();
            for (String part : v.get().split(",")) {
                String key = part.strip();
                if (key.isEmpty()) {
                    continue;
                }
                if (!ValueRules.isToken(key)) {
                    problem(Setting.PROXY_SERVER_KEY, v.get());
                    return List.of();
                }
                keys.add(key);
            }
            if (keys.isEmpty()) {
                problem(Setting.PROXY_SERVER_KEY, v.get());
            }
            return keys;
        }
    }
}
