package dev.llmproxy.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The SHA-256 of a client key: what {@code clients[].key_sha256} holds, so the file never contains a key a reader
 * could use. Immutable; compares in constant time.
 */
public final class ClientKeyDigest {

    /** What a client key may be: it travels in a header, so visible ASCII without spaces. */
    public static final String KEY_RULE = ValueRules.TOKEN_RULE;

    private static final Pattern HEX_64 = Pattern.compile("[0-9a-fA-F]{64}");

    private final byte[] sha256;

    private ClientKeyDigest(byte[] sha256) {
        this.sha256 = sha256;
    }

    /** The digest of {@code key} (its UTF-8 bytes), as {@code hash-key} prints it and the server checks keys. */
    public static ClientKeyDigest of(String key) {
        try {
            return new ClientKeyDigest(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    /** Whether {@code key} can be a client key at all (see {@link #KEY_RULE}). */
    public static boolean isValidKey(String key) {
        return ValueRules.isToken(key);
    }

    /** 64 hex digits, either case; empty for anything else. */
    public static Optional<ClientKeyDigest> parseHex(String hex) {
        if (!HEX_64.matcher(hex).matches()) {
            return Optional.empty();
        }
        return Optional.of(new ClientKeyDigest(HexFormat.of().parseHex(hex)));
    }

    /** 64 lower-case hex digits. */
    public String hex() {
        return HexFormat.of().formatHex(sha256);
    }

    /** The 32 bytes (a copy). */
    public byte[] bytes() {
        return sha256.clone();
    }

    /** Whether {@code key} hashes to this digest; the comparison takes the same time wherever the bytes differ. */
    public boolean matchesKey(String key) {
        return MessageDigest.isEqual(sha256, of(key).sha256);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientKeyDigest other && MessageDigest.isEqual(sha256, other.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    /** A prefix is enough to tell two digests apart in a log. */
    @Override
    public String toString() {
        return "sha256:" + hex().substring(0, 12) + "…";
    }
}
