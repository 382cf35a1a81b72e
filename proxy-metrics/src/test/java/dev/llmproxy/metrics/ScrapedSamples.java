package dev.llmproxy.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text format 0.0.4 read back into samples, keyed {@code name{a="1",b="2"}} with labels sorted by name, so a test can
 * ask for one series without caring about label order or simpleclient's trailing comma.
 */
final class ScrapedSamples {
    private static final Pattern LINE =
            Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private final Map<String, Double> samples = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> labels = new LinkedHashMap<>();
    private final Map<String, String> names = new LinkedHashMap<>();

    ScrapedSamples(String text) {
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            Map<String, String> sampleLabels = new TreeMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    sampleLabels.put(l.group(1), l.group(2));
                }
            }
            String key = key(m.group(1), sampleLabels);
            samples.put(key, parse(m.group(3)));
            labels.put(key, sampleLabels);
            names.put(key, m.group(1));
        }
    }

    /** The value of one series, 0 when the series is absent (a counter that never moved). */
    double get(String name, String... labelPairs) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            wanted.put(labelPairs[i], labelPairs[i + 1]);
        }
        return samples.getOrDefault(key(name, wanted), 0.0);
    }

    boolean has(String name, String... labelPairs) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            wanted.put(labelPairs[i], labelPairs[i + 1]);
        }
        return samples.containsKey(key(name, wanted));
    }

    /** Sample name of each series. */
    Map<String, String> names() {
        return names;
    }

    /** Labels of each series. */
    Map<String, Map<String, String>> labels() {
        return labels;
    }

    private static String key(String name, Map<String, String> sortedLabels) {
        StringBuilder b = new StringBuilder(name).append('{');
        sortedLabels.forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
        return b.append('}').toString();
    }

    private static double parse(String value) {
        switch (value) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                return Double.parseDouble(value);
        }
    }
}
