package dev.llmproxy.admission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one upstream 429 says about the quota it hit, read from the response head and its (small, aggregated) body.
 * Immutable; {@link #parse} is a pure function, safe on any thread.
 *
 * <p>GitHub Models answers a quota 429 with {@code x-ratelimit-type}, {@code retry-after},
 * {@code x-ratelimit-timeremaining} and a body {@code {"error":{"code":"RateLimitReached","message":"Rate limit of 10
 * per 60s exceeded for UserByModelByMinute. …"}}} (not the OpenAI envelope). Any part can be missing or malformed,
 * and other OpenAI-compatible upstreams send only some of it, so every field is optional except the kind, which
 * falls back to {@link Kind#OTHER}.
 *
 * @param kind                 which quota was hit
 * @param limitType            the raw {@code x-ratelimit-type} value, or null when the header is absent or blank
 * @param retryAfterSeconds    {@code retry-after} as seconds from {@code now} (delta-seconds or an HTTP-date);
 *                             empty when absent, negative or unparseable
 * @param timeRemainingSeconds {@code x-ratelimit-timeremaining}; empty when absent, negative or unparseable
 * @param upstreamCode         the body's {@code error.code}, e.g. {@code RateLimitReached}, or null
 * @param upstreamMessage      the body's {@code error.message}, at most {@value #MAX_MESSAGE_CHARS} chars, or null
 */
public record UpstreamRateLimit(
        Kind kind,
        String limitType,
        OptionalLong retryAfterSeconds,
        OptionalLong timeRemainingSeconds,
        String upstreamCode,
        String upstreamMessage) {

    /** Upstream messages go into logs and client bodies; a hostile or broken upstream must not bloat either. */
    public static final int MAX_MESSAGE_CHARS = 300;
    /** Quota error bodies are a few hundred bytes; anything far larger is not one, and is not worth parsing. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    private static final String RATE_LIMIT_REACHED = "RateLimitReached";
    private static final Pattern KIND_IN_MESSAGE = Pattern.compile(
            "\\b(UserByModelByMinute|UserByMinute|UserByModelByDay|UserConcurrentRequests)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern SECONDS = Pattern.compile("\\d{1,18}(?:\\.\\d{1,9})?");

    /** The quota an upstream 429 reports; {@link #wireName()} is GitHub's {@code x-ratelimit-type} spelling. */
    public enum Kind {
        USER_BY_MODEL_BY_MINUTE("UserByModelByMinute"),
        USER_BY_MINUTE("UserByMinute"),
        USER_BY_MODEL_BY_DAY("UserByModelByDay"),
        USER_CONCURRENT_REQUESTS("UserConcurrentRequests"),
        /** A 429 whose type is missing, unknown, or not GitHub's: no quota rule applies beyond its Retry-After. */
        OTHER("other");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        /** GitHub's header value ({@code UserByModelByDay} …), or {@code other}: a closed set, fit for metric labels. */
        public String wireName() {
            return wireName;
        }

        /** The kind GitHub's {@code x-ratelimit-type} value names, ignoring case; empty for anything else. */
        public static Optional<Kind> fromWireName(String value) {
            if (value == null) {
                return Optional.empty();
            }
            String trimmed = value.trim();
            for (Kind kind : values()) {
                if (kind != OTHER && kind.wireName.equalsIgnoreCase(trimmed)) {
                    return Optional.of(kind);
                }
            }
            return Optional.empty();
        }
    }

    public UpstreamRateLimit {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(retryAfterSeconds, "retryAfterSeconds");
        Objects.requireNonNull(timeRemainingSeconds, "timeRemainingSeconds");
    }

    /**
     * Reads a rate-limit answer, or empty when this is not one: the status must be 429, or the body's
     * {@code error.code} must be {@code RateLimitReached} (some gateways wrap GitHub's 429 in another status).
     *
     * @param status the upstream status
     * @param header header value by name, case-insensitive (Netty's {@code HttpHeaders::get}); may return null
     * @param body   the response body as received, possibly empty, truncated or not JSON at all; null is empty
     * @param now    wall time of the answer, to turn an HTTP-date {@code retry-after} into seconds
     */
    public static Optional<UpstreamRateLimit> parse(
            int status, Function<String, String> header, byte[] body, Instant now) {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(now, "now");
        JsonNode error = errorNode(body);
        String code = text(error, "code");
        if (status != 429 && !RATE_LIMIT_REACHED.equalsIgnoreCase(code)) {
            return Optional.empty();
        }
        String message = truncate(error != null && error.isTextual() ? error.textValue() : text(error, "message"));
        String limitType = blankToNull(header.apply("x-ratelimit-type"));
        Kind kind = Kind.fromWireName(limitType)
                .or(() -> kindInMessage(message))
                .orElse(Kind.OTHER);
        return Optional.of(new UpstreamRateLimit(
                kind,
                limitType,
                retryAfter(header.apply("retry-after"), now),
                seconds(header.apply("x-ratelimit-timeremaining")),
                code,
                message));
    }

    /** How long upstream asked to wait: {@code retry-after}, else {@code x-ratelimit-timeremaining}, else {@code fallback}. */
    public long effectiveRetryAfterSeconds(long fallback) {
        if (retryAfterSeconds.isPresent()) {
            return retryAfterSeconds.getAsLong();
        }
        return timeRemainingSeconds.isPresent() ? timeRemainingSeconds.getAsLong() : fallback;
    }

    private static JsonNode errorNode(byte[] body) {
        if (body == null || body.length == 0 || body.length > MAX_BODY_BYTES) {
            return null;
        }
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            JsonNode error = root == null ? null : root.get("error");
            return error == null || error.isNull() ? null : error;
        } catch (Exception e) {
            // Not JSON, truncated, an HTML error page: the headers alone still say what happened.
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.textValue() : null;
    }

    private static Optional<Kind> kindInMessage(String message) {
        if (message == null) {
            return Optional.empty();
        }
        Matcher matcher = KIND_IN_MESSAGE.matcher(message);
        return matcher.find() ? Kind.fromWireName(matcher.group(1)) : Optional.empty();
    }

    /**
     * A {@code retry-after} value in seconds from {@code now}: delta-seconds or an HTTP-date (RFC 9110 §10.2.3; a date
     * in the past means now); empty when absent or unusable.
     */
    static OptionalLong retryAfter(String value, Instant now) {
        OptionalLong seconds = seconds(value);
        if (seconds.isPresent() || value == null) {
            return seconds;
        }
        try {
            Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            long millis = Duration.between(now, at).toMillis();
            return OptionalLong.of(millis <= 0 ? 0 : ceilDiv(millis, 1000));
        } catch (DateTimeParseException | ArithmeticException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Non-negative seconds; a fraction (which some gateways send) is rounded up so a client never retries early.
     * Signs, exponents, and values too large for a {@code long} are garbage.
     */
    private static OptionalLong seconds(String value) {
        if (value == null) {
            return OptionalLong.empty();
        }
        String trimmed = value.trim();
        if (!SECONDS.matcher(trimmed).matches()) {
            return OptionalLong.empty();
        }
        int dot = trimmed.indexOf('.');
        if (dot < 0) {
            return OptionalLong.of(Long.parseLong(trimmed));
        }
        long whole = Long.parseLong(trimmed.substring(0, dot));
        boolean fraction = trimmed.chars().skip(dot + 1L).anyMatch(c -> c != '0');
        return OptionalLong.of(fraction ? whole + 1 : whole);
    }

    private static long ceilDiv(long x, long y) {
        return -Math.floorDiv(-x, y);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static String truncate(String message) {
        if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
            return message;
        }
        int end = MAX_MESSAGE_CHARS;
        if (Character.isHighSurrogate(message.charAt(end - 1))) {
            end--; // never split a surrogate pair into an unpaired half
        }
        return message.substring(0, end);
    }
}
