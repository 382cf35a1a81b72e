package dev.llmproxy.config;

import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Expands {@code ${VAR}} in a value of the configuration file from the environment, so keys stay out of the file.
 * Only that form: {@code $VAR} and any other {@code $} stay as written, and {@code $${} writes a literal
 * {@code ${}. An unset or blank variable is an error, never an empty key. The result is not expanded again.
 * Stateless apart from the lookup it is given.
 */
final class VariableExpander {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Why a value could not be expanded; {@link #shown} is safe to print (a variable name, never its value). */
    static final class UnresolvedException extends Exception {
        private static final long serialVersionUID = 1L;

        private final transient String shown;
        private final transient String expected;
        private final boolean malformed;

        UnresolvedException(String shown, String expected, boolean malformed) {
            super(shown, null, false, false);
            this.shown = shown;
            this.expected = expected;
            this.malformed = malformed;
        }

        /** Not a {@code ${NAME}} reference at all, rather than a reference to an unset variable. */
        boolean malformed() {
            return malformed;
        }

        String shown() {
            return shown;
        }

        String expected() {
            return expected;
        }
    }

    private final Function<String, Optional<String>> lookup;

    /** @param lookup a variable's value; empty when it is unset (blank counts as unset) */
    VariableExpander(Function<String, Optional<String>> lookup) {
        this.lookup = lookup;
    }

    /** {@code raw} with every {@code ${VAR}} replaced and every {@code $${} turned into {@code ${}. */
    String expand(String raw) throws UnresolvedException {
        if (raw.indexOf('$') < 0) {
            return raw;
        }
        StringBuilder out = new StringBuilder(raw.length());
        int i = 0;
        while (i < raw.length()) {
            if (raw.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (raw.startsWith("${", i)) {
                int end = raw.indexOf('}', i + 2);
                String name = end < 0 ? "" : raw.substring(i + 2, end);
                if (!NAME.matcher(name).matches()) {
                    throw new UnresolvedException("${" + (end < 0 ? "…" : ValueRules.printable(name) + "}"),
                            "${NAME} with NAME of letters, digits and '_' not starting with a digit,"
                                    + " or $${ for a literal ${", true);
                }
                Optional<String> value = lookup.apply(name).filter(v -> !v.isBlank());
                if (value.isEmpty()) {
                    throw new UnresolvedException("${" + name + "}",
                            name + " set in the environment or the .env file; it is unset or blank", false);
                }
                out.append(value.get());
                i = end + 1;
            } else {
                out.append(raw.charAt(i));
                i++;
            }
        }
        return out.toString();
    }
}
