package dev.llmproxy.openai;

import java.util.Objects;

/**
 * The one header that carries an upstream's key on a request the proxy makes itself (the model listing):
 * {@code Authorization: Bearer sk-…} for OpenAI and most servers, {@code api-key: …} for Azure. Immutable; its
 * {@link #toString()} never shows the value, so it cannot reach a log line by accident.
 *
 * @param name  the header name
 * @param value the header value, secret
 */
public record CredentialHeader(String name, String value) {

    public CredentialHeader {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty() || !name.chars().allMatch(CredentialHeader::isTokenChar)) {
            throw new IllegalArgumentException("name: " + name + " (expected: an HTTP header name)");
        }
        if (value.isBlank() || value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
            throw new IllegalArgumentException("value: (hidden) (expected: non-blank, one line)");
        }
    }

    /** {@code Authorization: Bearer <token>}. */
    public static CredentialHeader bearer(String token) {
        return new CredentialHeader("Authorization", "Bearer " + Objects.requireNonNull(token, "token"));
    }

    /** Azure's {@code api-key: <key>}. */
    public static CredentialHeader apiKey(String key) {
        return new CredentialHeader("api-key", Objects.requireNonNull(key, "key"));
    }

    /** The secret part of the value, to scrub from anything that could be logged (the token without "Bearer "). */
    String secret() {
        int space = value.indexOf(' ');
        return space > 0 && name.equalsIgnoreCase("Authorization") ? value.substring(space + 1) : value;
    }

    @Override
    public String toString() {
        return name + ": (hidden)";
    }

    private static boolean isTokenChar(int c) {
        return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }
}
