package dev.llmproxy.config;

import java.util.Locale;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The spelling of an enum constant in the configuration file ({@code openai-compatible}, {@code api-key}), and the
 * one way to parse it, so every enum of the file accepts the same spellings and describes them the same way in
 * errors. Stateless.
 */
interface WireName {

    /** The value as written in the file and printed in errors. */
    String wireName();

    /** The constant whose wire name equals {@code value}, ignoring case and surrounding blanks. */
    static <E extends Enum<E> & WireName> Optional<E> parse(Class<E> type, String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        for (E e : type.getEnumConstants()) {
            if (e.wireName().equals(v)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** {@code one of a, b, c}: the rule printed after {@code expected:}. */
    static <E extends Enum<E> & WireName> String oneOf(Class<E> type) {
        StringJoiner names = new StringJoiner(", ", "one of ", "");
        for (E e : type.getEnumConstants()) {
            names.add(e.wireName());
        }
        return names.toString();
    }
}
