package dev.llmproxy.config;

import java.util.Locale;
import java.util.Optional;

/** How the key sent upstream is chosen (REFERENCE §2.17), set by {@code PROXY_AUTH_MODE} only. */
public enum AuthMode {
    /** Always the server's token; a client's Authorization never leaves the proxy. */
    ENV("env"),
    /** Always the client's own key; requests without one are refused. */
    REQUEST("request"),
    /** The client's key when it sent one, else the server's token. */
    PREFER_REQUEST("prefer-request");

    private final String wireName;

    AuthMode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<AuthMode> parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (AuthMode m : values()) {
            if (m.wireName.equals(v)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
