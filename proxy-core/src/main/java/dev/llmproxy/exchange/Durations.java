package dev.llmproxy.exchange;

/** Durations written for people and headers, without {@code String.format} (it allocates a formatter per call). */
public final class Durations {

    private Durations() {
    }

    /** {@code nanos} as milliseconds with three decimals, e.g. {@code 12.034}; negative counts as 0. */
    public static StringBuilder appendMillis(StringBuilder out, long nanos) {
        long micros = Math.max(0, nanos) / 1000;
        long fraction = micros % 1000;
        out.append(micros / 1000).append('.');
        if (fraction < 100) {
            out.append('0');
        }
        if (fraction < 10) {
            out.append('0');
        }
        return out.append(fraction);
    }
}
