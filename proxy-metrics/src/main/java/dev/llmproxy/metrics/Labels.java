package dev.llmproxy.metrics;

/** Turns values that come from outside (upstream headers) into label values from a closed set. */
public final class Labels {
    private static final String[] RATE_LIMIT_TYPES = {
            "UserByModelByMinute", "UserByMinute", "UserByModelByDay", "UserConcurrentRequests"};

    private Labels() {
    }

    /** GitHub's {@code x-ratelimit-type} spelled as GitHub spells it, or {@code other} for anything else. */
    public static String rateLimitKind(String headerValue) {
        if (headerValue != null) {
            String v = headerValue.trim();
            for (String known : RATE_LIMIT_TYPES) {
                if (known.equalsIgnoreCase(v)) {
                    return known;
                }
            }
        }
        return "other";
    }
}
