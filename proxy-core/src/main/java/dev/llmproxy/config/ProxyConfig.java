package dev.llmproxy.config;

/**
 * The whole configuration of one proxy instance, built once at start-up (from environment, {@code .env}, flags and
 * the configuration file) and passed by constructor. Immutable.
 *
 * @param upstream         the first of {@link #upstreams}, in the shape the server used when it had one upstream
 * @param upstreams        the named upstreams, routes and client keys
 * @param upstreamDefaults the environment's upstream settings, which each upstream may override
 * @param redis            where limits shared by replicas live, if anywhere
 */
public record ProxyConfig(
        ServerConfig server,
        UpstreamConfig upstream,
        UpstreamsConfig upstreams,
        UpstreamOptions upstreamDefaults,
        AuthConfig auth,
        AdmissionConfig admission,
        MetricsConfig metrics,
        TtsConfig tts,
        DemoConfig demo,
        ModelsConfig models,
        boolean strictOpenAiApi,
        boolean accessLog,
        RedisConfig redis) {

    /** The settings the server uses for {@code spec}: the environment's, with the upstream's own overrides. */
    public UpstreamOptions upstreamOptions(UpstreamSpec spec) {
        return spec.options(upstreamDefaults);
    }

    /** Same configuration with another TTS engine (the embedded demo's, once it knows its port). */
    public ProxyConfig withTts(TtsConfig newTts) {
        return new ProxyConfig(server, upstream, upstreams, upstreamDefaults, auth, admission, metrics, newTts, demo,
                models, strictOpenAiApi, accessLog, redis);
    }

    /**
     * Same configuration with another upstream (used once the embedded demo upstream knows its port); the demo's
     * address reaches {@link #upstreams} too, so both views keep naming the same upstream.
     */
    public ProxyConfig withUpstream(UpstreamConfig newUpstream) {
        UpstreamsConfig newUpstreams = newUpstream.demo() && newUpstream.baseUrl().isPresent()
                ? upstreams.withDemoBaseUrl(newUpstream.baseUrl().get()) : upstreams;
        return new ProxyConfig(server, newUpstream, newUpstreams, upstreamDefaults, auth, admission, metrics, tts,
                demo, models, strictOpenAiApi, accessLog, redis);
    }

    /** Same configuration with other upstreams (the demo's address filled in, see {@link UpstreamsConfig#withDemoBaseUrl}). */
    public ProxyConfig withUpstreams(UpstreamsConfig newUpstreams) {
        return new ProxyConfig(server, upstream, newUpstreams, upstreamDefaults, auth, admission, metrics, tts, demo,
                models, strictOpenAiApi, accessLog, redis);
    }
}
