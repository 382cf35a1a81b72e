package dev.llmproxy.bench.run;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A latency-by-percentile plot as a self-contained SVG, in the manner of HdrHistogram's plotter: the x axis is
 * {@code log10(1 / (1 - percentile))}, so 90 %, 99 %, 99.9 % … are equally spaced and the tail gets the room; the
 * y axis is latency in milliseconds, linear.
 */
final class PercentilePlot {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"};
    private static final int W = 800;
    private static final int H = 480;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private PercentilePlot() {
    }

    /** @param series histograms in microseconds, by legend name (insertion order kept) */
    static String svg(String title, Map<String, Histogram> series) {
        double maxX = 1;
        double maxY = 0;
        List<List<double[]>> lines = new ArrayList<>();
        for (Histogram h : series.values()) {
            List<double[]> points = new ArrayList<>();
            if (h.getTotalCount() > 0) {
                for (HistogramIterationValue v : h.percentiles(5)) {
                    double p = v.getPercentileLevelIteratedTo() / 100.0;
                    if (p >= 1.0) {
                        break;
                    }
                    double x = Math.log10(1 / (1 - p));
                    double y = v.getValueIteratedTo() / 1000.0;
                    points.add(new double[] {x, y});
                }
                double last = Math.log10((double) h.getTotalCount());
                points.add(new double[] {Math.max(last, points.isEmpty() ? 0 : points.get(points.size() - 1)[0]),
                        h.getMaxValue() / 1000.0});
                for (double[] pt : points) {
                    maxX = Math.max(maxX, pt[0]);
                    maxY = Math.max(maxY, pt[1]);
                }
            }
            lines.add(points);
        }
        maxX = Math.min(Math.ceil(maxX), 6);
        maxY = niceCeiling(maxY);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
                LEFT, escape(title)));
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        for (int i = 0; i <= maxX; i++) {
            double x = LEFT + plotW * i / maxX;
            String label = i == 0 ? "0%" : percentLabel(i);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
                    x, TOP, x, TOP + plotH));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    x, TOP + plotH + 18, label));
        }
        for (int i = 0; i <= 5; i++) {
            double v = maxY * i / 5;
            double y = TOP + plotH - plotH * i / 5.0;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    LEFT, y, LEFT + plotW, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    LEFT - 6, y + 4, Markdown.ms(v)));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n",
                LEFT + plotW / 2, H - 18));
        b.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\""
                + " text-anchor=\"middle\">latency (ms)</text>\n", TOP + plotH / 2, TOP + plotH / 2));
        int i = 0;
        for (String name : series.keySet()) {
            String color = COLORS[i % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (double[] pt : lines.get(i)) {
                double x = LEFT + plotW * Math.min(pt[0], maxX) / maxX;
                double y = TOP + plotH - plotH * Math.min(pt[1], maxY) / maxY;
                path.append(path.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
            }
            b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\""
                    + " points=\"%s\"/>\n", color, path));
            int ly = TOP + 16 + 18 * i;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"3\"/>\n", LEFT + 12, ly - 4, LEFT + 36, ly - 4, color));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", LEFT + 42, ly,
                    escape(name)));
            i++;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    /** 1 → 90%, 2 → 99%, 3 → 99.9% … */
    private static String percentLabel(int nines) {
        return nines == 1 ? "90%" : "99" + (nines > 2 ? "." + "9".repeat(nines - 2) : "") + "%";
    }

    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= v) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
