package dev.llmproxy.admission;

import dev.llmproxy.admission.UpstreamRateLimit.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamRateLimitTest {
    private static final Instant NOW = Instant.parse("2025-09-14T12:00:00Z");
    private static final String MINUTE_BODY = "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit of 10 per"
            + " 60s exceeded for UserByModelByMinute. Please wait 46 seconds before retrying.\",\"details\":\"x\"}}";

    @Test
    void readsGitHubsMinuteLimitFromHeadersAndBody() {
        UpstreamRateLimit limit = parse(429, headers(
                "Retry-After", "46",
                "X-RateLimit-Type", "UserByModelByMinute",
                "x-ratelimit-timeremaining", "47"), MINUTE_BODY).orElseThrow();

        assertThat(limit.kind()).isEqualTo(Kind.USER_BY_MODEL_BY_MINUTE);
        assertThat(limit.limitType()).isEqualTo("UserByModelByMinute");
        assertThat(limit.retryAfterSeconds()).hasValue(46);
        assertThat(limit.timeRemainingSeconds()).hasValue(47);
        assertThat(limit.upstreamCode()).isEqualTo("RateLimitReached");
        assertThat(limit.upstreamMessage()).startsWith("Rate limit of 10 per 60s").endsWith("before retrying.");
    }

    @ParameterizedTest
    @CsvSource({
            "UserByModelByMinute, USER_BY_MODEL_BY_MINUTE",
            "UserByMinute, USER_BY_MINUTE",
            "UserByModelByDay, USER_BY_MODEL_BY_DAY",
            "UserConcurrentRequests, USER_CONCURRENT_REQUESTS",
            "userbymodelbyday, USER_BY_MODEL_BY_DAY",
            "'  UserByMinute ', USER_BY_MINUTE",
            "TokensPerMinute, OTHER"})
    void mapsEachRateLimitTypeHeaderToItsKind(String header, Kind expected) {
        UpstreamRateLimit limit = parse(429, headers("x-ratelimit-type", header), "").orElseThrow();

        assertThat(limit.kind()).isEqualTo(expected);
        assertThat(limit.limitType()).isEqualTo(header.trim());
    }

    @Test
    void infersTheKindFromTheMessageWhenTheHeaderIsMissing() {
        String body = "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit of 50 per 86400s exceeded"
                + " for UserByModelByDay. Please wait 3600 seconds before retrying.\"}}";

        UpstreamRateLimit limit = parse(429, headers(), body).orElseThrow();

        assertThat(limit.kind()).isEqualTo(Kind.USER_BY_MODEL_BY_DAY);
        assertThat(limit.limitType()).isNull();
    }

    @Test
    void infersTheKindFromTheMessageWhenTheHeaderIsUnknown() {
        String body = "{\"error\":{\"message\":\"Rate limit of 5 per 0s exceeded for UserConcurrentRequests.\"}}";

        UpstreamRateLimit limit = parse(429, headers("x-ratelimit-type", "Something"), body).orElseThrow();

        assertThat(limit.kind()).isEqualTo(Kind.USER_CONCURRENT_REQUESTS);
        assertThat(limit.limitType()).isEqualTo("Something");
    }

    @Test
    void aBare429IsOtherWithNothingKnown() {
        UpstreamRateLimit limit = parse(429, headers(), "").orElseThrow();

        assertThat(limit).isEqualTo(new UpstreamRateLimit(
                Kind.OTHER, null, OptionalLong.empty(), OptionalLong.empty(), null, null));
        assertThat(limit.effectiveRetryAfterSeconds(60)).isEqualTo(60);
    }

    @Test
    void retryAfterAsHttpDateIsSecondsFromNowRoundedUp() {
        assertThat(parse(429, headers("retry-after", "Sun, 14 Sep 2025 12:00:30 GMT"), "").orElseThrow()
                .retryAfterSeconds()).hasValue(30);
        Instant halfSecondBefore = NOW.plusMillis(500);
        assertThat(UpstreamRateLimit.parse(429, headers("retry-after", "Sun, 14 Sep 2025 12:00:30 GMT"), new byte[0],
                halfSecondBefore).orElseThrow().retryAfterSeconds()).hasValue(30);
    }

    @Test
    void retryAfterDateInThePastMeansNow() {
        assertThat(parse(429, headers("retry-after", "Sun, 14 Sep 2025 11:00:00 GMT"), "").orElseThrow()
                .retryAfterSeconds()).hasValue(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-5", "abc", "1e3", "+7", "", "  ", "7s", "99999999999999999999", "Sun, 99 Foo 2025",
            "0x10", "NaN", "Infinity"})
    void negativeOrGarbageRetryAfterIsIgnored(String value) {
        UpstreamRateLimit limit = parse(429, headers("retry-after", value, "x-ratelimit-timeremaining", value), "")
                .orElseThrow();

        assertThat(limit.retryAfterSeconds()).isEmpty();
        assertThat(limit.timeRemainingSeconds()).isEmpty();
        assertThat(limit.effectiveRetryAfterSeconds(60)).isEqualTo(60);
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "7, 7", "' 12 ', 12", "1.2, 2", "3.0, 3", "0.001, 1"})
    void deltaSecondsAreReadWithFractionsRoundedUp(String value, long expected) {
        assertThat(parse(429, headers("retry-after", value), "").orElseThrow().retryAfterSeconds())
                .hasValue(expected);
    }

    @Test
    void effectiveRetryAfterPrefersRetryAfterThenTimeRemainingThenFallback() {
        assertThat(parse(429, headers("retry-after", "5", "x-ratelimit-timeremaining", "40"), "").orElseThrow()
                .effectiveRetryAfterSeconds(60)).isEqualTo(5);
        assertThat(parse(429, headers("retry-after", "junk", "x-ratelimit-timeremaining", "40"), "").orElseThrow()
                .effectiveRetryAfterSeconds(60)).isEqualTo(40);
        assertThat(parse(429, headers("retry-after", "0"), "").orElseThrow()
                .effectiveRetryAfterSeconds(60)).isZero();
        assertThat(parse(429, headers(), "").orElseThrow().effectiveRetryAfterSeconds(60)).isEqualTo(60);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "not json at all",
            "<html><body>Too Many Requests</body></html>",
            "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"trunc",
            "[1,2,3]",
            "\"just a string\"",
            "null",
            "{\"error\":42}",
            "{\"error\":null}",
            "{\"error\":{\"code\":7,\"message\":[\"a\"]}}",
            "{\"error\":{}} trailing",
            "{\"message\":\"no error key\"}"})
    void garbageBodiesLeaveOnlyWhatTheHeadersSay(String body) {
        UpstreamRateLimit limit = parse(429, headers("x-ratelimit-type", "UserByModelByMinute", "retry-after", "9"),
                body).orElseThrow();

        assertThat(limit.kind()).isEqualTo(Kind.USER_BY_MODEL_BY_MINUTE);
        assertThat(limit.retryAfterSeconds()).hasValue(9);
        assertThat(limit.upstreamCode()).isNull();
        assertThat(limit.upstreamMessage()).isNull();
    }

    @Test
    void deeplyNestedOrHugeBodiesAreNotParsed() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertThat(parse(429, headers(), deep).orElseThrow().upstreamCode()).isNull();

        String huge = "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"" + "x".repeat(100_000) + "\"}}";
        assertThat(parse(429, headers(), huge).orElseThrow().upstreamCode()).isNull();

        byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0x80};
        assertThat(UpstreamRateLimit.parse(429, headers(), binary, NOW)).isPresent();
        assertThat(UpstreamRateLimit.parse(429, headers(), null, NOW)).isPresent();
    }

    @Test
    void otherStatusesAreNotRateLimits() {
        assertThat(parse(500, headers("retry-after", "5"), "{\"error\":{\"code\":\"InternalError\"}}")).isEmpty();
        assertThat(parse(404, headers(), "{\"error\":{\"code\":\"unknown_model\",\"message\":\"Unknown model: x\"}}"))
                .isEmpty();
        assertThat(parse(200, headers(), "garbage")).isEmpty();
        assertThat(parse(503, headers("x-ratelimit-type", "UserByMinute"), "")).isEmpty();
    }

    @Test
    void rateLimitReachedCodeMakesAnyStatusARateLimit() {
        UpstreamRateLimit limit = parse(403, headers(), MINUTE_BODY).orElseThrow();

        assertThat(limit.kind()).isEqualTo(Kind.USER_BY_MODEL_BY_MINUTE);
        assertThat(limit.upstreamCode()).isEqualTo("RateLimitReached");
    }

    @Test
    void anErrorStringIsTakenAsTheMessage() {
        UpstreamRateLimit limit = parse(429, headers(), "{\"error\":\"exceeded for UserByMinute\"}").orElseThrow();

        assertThat(limit.upstreamMessage()).isEqualTo("exceeded for UserByMinute");
        assertThat(limit.kind()).isEqualTo(Kind.USER_BY_MINUTE);
    }

    @Test
    void longMessagesAreTruncatedWithoutSplittingASurrogatePair() {
        String ascii = "{\"error\":{\"message\":\"" + "m".repeat(1000) + "\"}}";
        assertThat(parse(429, headers(), ascii).orElseThrow().upstreamMessage()).hasSize(300);

        String emoji = "\uD83D\uDE00";
        String split = "{\"error\":{\"message\":\"" + "m".repeat(299) + emoji + "tail\"}}";
        String message = parse(429, headers(), split).orElseThrow().upstreamMessage();
        assertThat(message).isEqualTo("m".repeat(299));
    }

    @Test
    void kindWireNamesAreGitHubsHeaderValues() {
        for (Kind kind : Kind.values()) {
            if (kind != Kind.OTHER) {
                assertThat(Kind.fromWireName(kind.wireName())).hasValue(kind);
            }
        }
        assertThat(Kind.fromWireName("other")).isEmpty();
        assertThat(Kind.fromWireName(null)).isEmpty();
    }

    private static Optional<UpstreamRateLimit> parse(int status, Function<String, String> headers, String body) {
        return UpstreamRateLimit.parse(status, headers, body.getBytes(StandardCharsets.UTF_8), NOW);
    }

    /** Name/value pairs looked up ignoring case, as Netty's {@code HttpHeaders::get} does. */
    private static Function<String, String> headers(String... namesAndValues) {
        Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return map::get;
    }
}
