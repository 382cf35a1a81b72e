package dev.llmproxy.client;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Who a request is charged to: the key it presented (proxy key or its own upstream key), else its IP address. Keys
 * are kept only as a truncated SHA-256, so rate-limit maps never hold a secret (the reference kept raw keys).
 */
final class ClientIdentity {
    private static final String BEARER = "bearer ";
    private static final String[] KEY_HEADERS = {"X-Proxy-Key", "X-Proxy-Server-Key", "X-OpenAI-Api-Key",
            "X-Proxy-Api-Key"};

    private ClientIdentity() {
    }

    /** {@code key:<16 hex>} for a request that presented a key, else {@code ip:<address>}. */
    static String of(HttpHeaders headers, String ip) {
        String key = presentedKey(headers);
        return key == null ? "ip:" + ip : "key:" + hash(key);
    }

    /**
     * The client's IP: the socket's peer, or — with {@code TRUST_PROXY}, behind the operator's own reverse proxy —
     * the last {@code X-Forwarded-For} entry, the one that proxy appended (earlier entries are the client's word).
     */
    static String ip(Channel channel, HttpHeaders headers, boolean trustProxy) {
        if (trustProxy) {
            String forwarded = headers.get("X-Forwarded-For");
            if (forwarded != null) {
                int comma = forwarded.lastIndexOf(',');
                String last = forwarded.substring(comma + 1).trim();
                if (NetUtil.isValidIpV4Address(last) || NetUtil.isValidIpV6Address(last)) {
                    return last;
                }
            }
        }
        SocketAddress remote = channel.remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "unknown";
    }

    private static String presentedKey(HttpHeaders headers) {
        String auth = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.length() > BEARER.length() && auth.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String token = auth.substring(BEARER.length()).trim();
            if (!token.isEmpty()) {
                return token;
            }
        }
        for (String name : KEY_HEADERS) {
            String value = headers.get(name);
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }

    private static String hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }
}
