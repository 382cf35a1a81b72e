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
        DemoConfig demo,
        boolean strictOpenAiApi,
        boolean accessLog) {

    /** Same configuration with another upstream (used once the embedded demo upstream knows its port). */
    public ProxyConfig withUpstream(UpstreamConfig newUpstream) {
        return new ProxyConfig(server, newUpstream, auth, admission, metrics, demo, strictOpenAiApi, accessLog);
    }
}
