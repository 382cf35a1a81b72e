package dev.llmproxy.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed reads of the configuration file's values: each expands {@code ${VAR}}, checks its rule, and on a mistake
 * records a problem naming the line and field and returns empty, so reading goes on and every mistake is
 * reported at once. Errors show the value as written, before expansion, so an expanded secret is never printed.
 * An alias was reported when the tree was read; reads of it return empty without a second problem.
 * Single-threaded: one instance per read of a file.
 */
final class FieldReader {

    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,19}");

    /**
     * A value of the file and where it is.
     *
     * @param path  {@code upstreams[1].limits.rpm}; empty for the document itself
     * @param line  1-based
     * @param value the value as written
     */
    record Field(String path, int line, YamlNode value) {

        static Field root(YamlNode document) {
            return new Field("", document.line(), document);
        }

        String child(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }
    }

    private final FileProblems problems;
    private final VariableExpander variables;

    FieldReader(FileProblems problems, VariableExpander variables) {
        this.problems = problems;
        this.variables = variables;
    }

    FileProblems problems() {
        return problems;
    }

    void problem(Field f, String shown, String expected) {
        problems.add(f.line(), f.path().isEmpty() ? "(document)" : f.path(), shown, expected);
    }

    /** A required key is absent from the mapping {@code parent}. */
    void missing(Field parent, String key, String expected) {
        problems.add(parent.line(), parent.child(key), "(missing)", expected);
    }

    /**
     * The members of a mapping by key, in file order; every key not in {@code keys} is reported. Empty (and
     * reported) when the value is not a mapping.
     */
    Optional<Map<String, Field>> mapping(Field f, List<String> keys) {
        if (f.value() instanceof YamlNode.Alias) {
            return Optional.empty();
        }
        if (!(f.value() instanceof YamlNode.Mapping mapping)) {
            problem(f, shown(f), "a mapping with the keys " + String.join(", ", keys));
            return Optional.empty();
        }
        Map<String, Field> fields = new LinkedHashMap<>();
        for (YamlNode.Member m : mapping.members().values()) {
            if (keys.contains(m.key())) {
                fields.put(m.key(), new Field(f.child(m.key()), m.keyLine(), m.value()));
            } else {
                problems.add(m.keyLine(), f.child(ValueRules.printable(m.key())), "(unknown key)",
                        unknownKeyRule(m.key(), keys));
            }
        }
        return Optional.of(fields);
    }

    /** The members of a mapping whose keys are free (extra headers), without their keys checked. */
    Optional<Map<String, Field>> freeMapping(Field f, String expected) {
        if (f.value() instanceof YamlNode.Alias) {
            return Optional.empty();
        }
        if (!(f.value() instanceof YamlNode.Mapping mapping)) {
            problem(f, shown(f), expected);
            return Optional.empty();
        }
        Map<String, Field> fields = new LinkedHashMap<>();
        for (YamlNode.Member m : mapping.members().values()) {
            fields.put(m.key(), new Field(f.child(ValueRules.printable(m.key())), m.keyLine(), m.value()));
        }
        return Optional.of(fields);
    }

    /** The items of a list, each with its index in the path; empty (and reported) for anything but a list. */
    Optional<List<Field>> list(Field f, String expected) {
        if (f.value() instanceof YamlNode.Alias) {
            return Optional.empty();
        }
        if (!(f.value() instanceof YamlNode.Sequence sequence)) {
            problem(f, shown(f), expected);
            return Optional.empty();
        }
        List<Field> items = new ArrayList<>(sequence.items().size());
        for (YamlNode item : sequence.items()) {
            items.add(new Field(f.path() + "[" + items.size() + "]", item.line(), item));
        }
        return Optional.of(items);
    }

    /** A non-blank scalar, expanded and stripped. */
    Optional<String> text(Field f, String expected) {
        return scalar(f, expected, false);
    }

    /** Like {@link #text}, but never shown in an error. */
    Optional<String> secret(Field f, String expected) {
        return scalar(f, expected, true);
    }

    /** An integer from {@code min} to {@code max}; {@code expected} says so. */
    Optional<Long> integer(Field f, long min, long max, String expected) {
        Optional<String> v = text(f, expected);
        if (v.isPresent() && INTEGER.matcher(v.get()).matches()) {
            try {
                long n = Long.parseLong(v.get());
                if (n >= min && n <= max) {
                    return Optional.of(n);
                }
            } catch (NumberFormatException e) {
                // beyond long: out of range like any other
            }
        }
        if (v.isPresent()) {
            problem(f, shown(f), expected);
        }
        return Optional.empty();
    }

    /** The same spellings as the environment's booleans. */
    Optional<Boolean> bool(Field f) {
        String expected = Setting.STREAM_USAGE_INJECTION.expected();
        Optional<String> v = text(f, expected);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Optional<Boolean> b = ValueRules.parseBoolean(v.get());
        if (b.isEmpty()) {
            problem(f, shown(f), expected);
        }
        return b;
    }

    /** One of an enum's wire names, in any case. */
    <E extends Enum<E> & WireName> Optional<E> choice(Field f, Class<E> type) {
        String expected = WireName.oneOf(type);
        Optional<String> v = text(f, expected);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Optional<E> e = WireName.parse(type, v.get());
        if (e.isEmpty()) {
            problem(f, shown(f), expected);
        }
        return e;
    }

    /** An absolute http(s) URL with a host and no user info, query or fragment; trailing slashes dropped. */
    Optional<URI> url(Field f) {
        Optional<String> v = text(f, ValueRules.URL_RULE);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Optional<URI> url = ValueRules.httpUrl(v.get());
        if (url.isEmpty()) {
            problem(f, shown(f), ValueRules.URL_RULE);
        }
        return url;
    }

    /** A non-empty list of non-blank, distinct values ({@code what} names one: "a model id"). */
    Optional<List<String>> texts(Field f, String what) {
        String expected = "a non-empty list of " + what + "s, e.g. [a, b]";
        Optional<List<Field>> items = list(f, expected);
        if (items.isEmpty()) {
            return Optional.empty();
        }
        if (items.get().isEmpty()) {
            problem(f, "[]", expected);
            return Optional.empty();
        }
        int before = problems.count();
        List<String> values = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Field item : items.get()) {
            Optional<String> v = text(item, what);
            if (v.isPresent() && !seen.add(v.get())) {
                problem(item, shown(item), what + " not already in the list");
            }
            v.ifPresent(values::add);
        }
        return problems.count() == before ? Optional.of(values) : Optional.empty();
    }

    /** The value as written, safe to print: escaped, without URL user info; the shape for a mapping or list. */
    String shown(Field f) {
        if (f.value() instanceof YamlNode.Scalar s) {
            return s.text().isBlank() ? "(empty)" : ValueRules.printable(ValueRules.withoutUserInfo(s.text()));
        }
        return f.value().shape();
    }

    private Optional<String> scalar(Field f, String expected, boolean secret) {
        if (f.value() instanceof YamlNode.Alias) {
            return Optional.empty();
        }
        if (!(f.value() instanceof YamlNode.Scalar s)) {
            problem(f, f.value().shape(), expected);
            return Optional.empty();
        }
        String value;
        try {
            value = variables.expand(s.text()).strip();
        } catch (VariableExpander.UnresolvedException e) {
            // a missing variable is shown by its name; a malformed reference in a secret could be part of the key
            problem(f, secret && e.malformed() ? ValueRules.HIDDEN : e.shown(), e.expected());
            return Optional.empty();
        }
        if (value.isEmpty()) {
            problem(f, "(empty)", expected);
            return Optional.empty();
        }
        return Optional.of(value);
    }

    /** {@code one of a, b, c}, with the nearest known key when the unknown one looks like a typo of it. */
    private static String unknownKeyRule(String key, List<String> keys) {
        String rule = "one of " + String.join(", ", keys);
        String normalized = key.toLowerCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
        String nearest = null;
        int best = 3;
        for (String k : keys) {
            int d = k.equals(normalized) ? 0
                    : k.startsWith(normalized) || normalized.startsWith(k) ? 1 : editDistance(normalized, k);
            if (d < best) {
                best = d;
                nearest = k;
            }
        }
        return nearest == null ? rule : rule + "; did you mean " + nearest + "?";
    }

    /** Levenshtein distance; keys are short, so the quadratic table is nothing. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
