package dev.llmproxy.tools;

import java.util.Locale;

/** Numbers as people read them in the tools' tables: milliseconds or seconds, token counts with k. Stateless. */
final class HumanUnits {

    private HumanUnits() {
    }

    /** {@code 850 ms}, {@code 1.23 s}; {@code -} for a negative (unknown) time. */
    static String duration(long nanos) {
        if (nanos < 0) {
            return "-";
        }
        long millis = nanos / 1_000_000;
        if (millis < 1000) {
            return millis + " ms";
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    /** {@code 128k}, {@code 4096}, {@code 1.05M}; {@code -} for 0 (unknown). */
    static String tokens(long count) {
        if (count <= 0) {
            return "-";
        }
        if (count >= 1_000_000) {
            return trim(String.format(Locale.ROOT, "%.2f", count / 1e6)) + "M";
        }
        if (count >= 10_000 && count % 1000 == 0 || count >= 100_000) {
            return trim(String.format(Locale.ROOT, "%.1f", count / 1e3)) + "k";
        }
        return Long.toString(count);
    }

    /** {@code 42.1}, one decimal. */
    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%.1f", perSecond);
    }

    private static String trim(String decimal) {
        return decimal.contains(".") ? decimal.replaceAll("0+$", "").replaceAll("\\.$", "") : decimal;
    }
}
