package dev.llmproxy.stats;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough PromQL reading to list the metric names and label names an expression uses, for checking operator
 * files against the families the proxy exports. Not a parser: it drops strings, ranges and label matchers, then
 * takes every identifier that is not a function call or a keyword as a metric name.
 */
final class PromQl {
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
    private static final Pattern MATCHERS = Pattern.compile("\\{([^}]*)\\}");
    private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LEGEND_LABEL = Pattern.compile("\\{\\{\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*}}");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "atan2");

    private PromQl() {
    }

    static Set<String> metricNames(String expr) {
        String bare = GROUPING.matcher(MATCHERS.matcher(RANGE.matcher(
                STRING.matcher(expr).replaceAll("\"\"")).replaceAll(" ")).replaceAll(" ")).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(bare);
        while (identifier.find()) {
            String name = identifier.group();
            int next = identifier.end();
            while (next < bare.length() && Character.isWhitespace(bare.charAt(next))) {
                next++;
            }
            boolean call = next < bare.length() && bare.charAt(next) == '(';
            boolean partOfNumber = identifier.start() > 0
                    && (Character.isDigit(bare.charAt(identifier.start() - 1)) || bare.charAt(identifier.start() - 1) == '.');
            if (!call && !partOfNumber && !KEYWORDS.contains(name.toLowerCase())) {
                names.add(name);
            }
        }
        return names;
    }

    static Set<String> labelNames(String expr) {
        String noStrings = STRING.matcher(expr).replaceAll("\"\"");
        Set<String> labels = new TreeSet<>();
        Matcher matchers = MATCHERS.matcher(noStrings);
        while (matchers.find()) {
            Matcher label = MATCHER_LABEL.matcher(matchers.group(1));
            while (label.find()) {
                labels.add(label.group(1));
            }
        }
        Matcher grouping = GROUPING.matcher(noStrings);
        while (grouping.find()) {
            for (String label : grouping.group(1).split(",")) {
                if (!label.isBlank()) {
                    labels.add(label.trim());
                }
            }
        }
        return labels;
    }

    /** Labels a Grafana legend format ({@code "{{model}} {{kind}}"}) refers to. */
    static Set<String> legendLabels(String legendFormat) {
        Set<String> labels = new TreeSet<>();
        Matcher matcher = LEGEND_LABEL.matcher(legendFormat == null ? "" : legendFormat);
        while (matcher.find()) {
            labels.add(matcher.group(1));
        }
        return labels;
    }
}
