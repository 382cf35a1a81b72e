package dev.llmproxy.bench.run;

import java.util.List;
import java.util.Locale;

/** Markdown tables and number formatting for the report. */
final class Markdown {
    private Markdown() {
    }

    static String table(List<String> header, List<List<String>> rows) {
        StringBuilder b = new StringBuilder();
        b.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) {
            b.append(i == 0 ? "---|" : "---:|");
        }
        b.append('\n');
        for (List<String> row : rows) {
            b.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return b.toString();
    }

    /** Milliseconds with a precision that suits their size; "–" for missing. */
    static String ms(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a < 10 ? "%.3f" : a < 100 ? "%.2f" : "%.1f", v);
    }

    static String signedMs(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return (v >= 0 ? "+" : "") + ms(v);
    }

    static String num(double v, int decimals) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /**
     * a / b, or "n/a" when the ratio would mean nothing: either is missing, or b is not clearly positive (an added
     * latency at or below zero is within the noise of the direct measurement).
     */
    static String ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b < 0.005) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2f", a / b);
    }
}
