package dev.llmproxy.netty;

/** Names of pipeline handlers; every add/replace uses these so a pipeline reads the same everywhere. */
public final class PipelineNames {
    public static final String TLS = "tls";
    public static final String HTTP_CODEC = "http-codec";
    public static final String FLOW_CONTROL = "flow-control";
    public static final String IDLE = "idle";
    public static final String ROUTER = "router";
    public static final String UPSTREAM_RESPONSE = "upstream-response";

    private PipelineNames() {
    }
}
