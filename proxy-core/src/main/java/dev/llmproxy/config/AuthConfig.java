package dev.llmproxy.config;

import java.util.List;

/**
 * Who may use the proxy and which key goes upstream.
 *
 * @param mode           how the upstream key is chosen; fixed by the operator, never by a request header
 * @param clientKeys     keys clients must present on {@code /v1/*} and {@code /api/*}; empty = no client authentication
 * @param allowOpenProxy operator's explicit consent to bind a non-loopback address with no client keys
 */
public record AuthConfig(AuthMode mode, List<String> clientKeys, boolean allowOpenProxy) {

    public AuthConfig {
        clientKeys = List.copyOf(clientKeys);
    }

    public boolean clientKeyRequired() {
        return !clientKeys.isEmpty();
    }

    @Override
    public String toString() {
        return "AuthConfig[mode=" + mode + ", clientKeys=" + clientKeys.size() + " configured, allowOpenProxy="
                + allowOpenProxy + "]";
    }
}
