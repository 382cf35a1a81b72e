package dev.llmproxy.config;

/**
 * The whole configuration of one proxy instance, built once at start-up (from environment, {@code .env} and flags)
 * and passed by constructor. Immutable.
 */
public record ProxyConfig(
        ServerConfig server,
        UpstreamConfig upstream,
        AuthConfig auth,
        AdmissionConfig admission,
        MetricsConfig metrics,
        TtsConfig tts,
        DemoConfig demo,
        ModelsConfig models,
        boolean strictOpenAiApi,
        boolean accessLog,
        RedisConfig redis) {

    /** Same configuration with another TTS engine (the embedded demo's, once it knows its port). */
    public ProxyConfig withTts(TtsConfig newTts) {
        return new ProxyConfig(server, upstream, auth, admission, metrics, newTts, demo, models, strictOpenAiApi,
                accessLog, redis);
    }

    /** Same configuration with another upstream (used once the embedded demo upstream knows its port). */
    public ProxyConfig withUpstream(UpstreamConfig newUpstream) {
        return new ProxyConfig(server, newUpstream, auth, admission, metrics, tts, demo, models, strictOpenAiApi,
                accessLog, redis);
    }
}
