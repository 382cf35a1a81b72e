package dev.llmproxy.config;

import io.lettuce.core.RedisURI;
import io.netty.util.NetUtil;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The value rules the environment settings and the configuration file share, so a key, a URL or a boolean is
 * accepted or refused the same way wherever it is written. Stateless.
 */
final class ValueRules {

    /** Printed instead of a secret value. */
    static final String HIDDEN = "(hidden)";
    static final String URL_RULE = "an absolute http or https URL with a host and no user info, query or fragment";
    static final String TOKEN_RULE = "a token of visible ASCII characters without spaces";

    /** Visible ASCII only: a key with a space, CR or LF could split the header it is sent in. */
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]+");
    private static final Pattern URL_USER_INFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@");
    private static final Pattern HOST_NAME =
            Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");

    private ValueRules() {
    }

    /** A key or token that can travel in a header unchanged. */
    static boolean isToken(String value) {
        return TOKEN.matcher(value).matches();
    }

    /** 1, true, yes, on / 0, false, no, off, in any case; empty for anything else. */
    static Optional<Boolean> parseBoolean(String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> Optional.of(true);
            case "0", "false", "no", "off" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    /**
     * An absolute http(s) URL with a host, without user info, query or fragment; the scheme lower-cased and trailing
     * slashes dropped. Empty when {@code value} is anything else.
     */
    static Optional<URI> httpUrl(String value) {
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
                    && uri.getRawUserInfo() == null
                    && uri.getPort() <= 65_535 && uri.getRawQuery() == null && uri.getRawFragment() == null) {
                String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
                return Optional.of(new URI(scheme + "://" + uri.getRawAuthority() + path));
            }
        } catch (URISyntaxException e) {
            // not a URL: the caller reports it like any other malformed value
        }
        return Optional.empty();
    }

    /** An IPv4 or IPv6 address (without brackets) or a DNS host name. */
    static boolean isHost(String host) {
        return host != null && (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)
                || HOST_NAME.matcher(host).matches());
    }

    /**
     * A URL Lettuce's {@link RedisURI} reads, in one of the TCP schemes (plain or TLS, direct or through Sentinel),
     * with valid host names, and for Sentinel the master's name ({@code #mymaster}).
     */
    static boolean isRedisUrl(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        boolean sentinel = lower.startsWith("redis-sentinel://") || lower.startsWith("rediss-sentinel://");
        if (!sentinel && !lower.startsWith("redis://") && !lower.startsWith("rediss://")) {
            return false;
        }
        try {
            RedisURI uri = RedisURI.create(url);
            if (!sentinel) {
                return isHost(uri.getHost());
            }
            return !uri.getSentinels().isEmpty() && uri.getSentinels().stream().allMatch(s -> isHost(s.getHost()))
                    && uri.getSentinelMasterId() != null && !uri.getSentinelMasterId().isBlank();
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** {@code value} with the user info of a URL replaced, so a password in it stays out of stderr. */
    static String withoutUserInfo(String value) {
        return URL_USER_INFO.matcher(value).replaceFirst("$1" + HIDDEN + "@");
    }

    /** Control characters escaped, so each problem stays on its own line. */
    static String printable(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                sb.append("\\u").append(String.format("%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
