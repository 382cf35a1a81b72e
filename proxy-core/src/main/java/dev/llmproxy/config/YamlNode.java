package dev.llmproxy.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML value with the line it was written on, which Jackson's own tree does not keep and every error message
 * of the configuration file needs. Immutable.
 */
sealed interface YamlNode permits YamlNode.Scalar, YamlNode.Mapping, YamlNode.Alias, YamlNode.Sequence {

    /** 1-based line of the value (of the first key, for a mapping; of the first item, for a block list). */
    int line();

    /** How the value is named in an error when it has the wrong shape: {@code (a mapping)}, {@code (a list)}. */
    String shape();

    /**
     * A scalar as written (quotes removed, escapes resolved), before {@code ${VAR}} expansion.
     *
     * @param text the scalar's text; empty for {@code ~}, {@code null} and an absent value
     */
    record Scalar(String text, int line) implements YamlNode {
        @Override
        public String shape() {
            return "(a value)";
        }
    }

    /**
     * @param members by key, in file order
     */
    record Mapping(Map<String, Member> members, int line) implements YamlNode {
        public Mapping {
            members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }

        @Override
        public String shape() {
            return "(a mapping)";
        }
    }

    /** One {@code key: value} of a mapping; errors about the key point at {@code keyLine}. */
    record Member(String key, int keyLine, YamlNode value) {
    }

    /** A YAML alias ({@code *name}): refused, since it would copy a value the reader never checked in place. */
    record Alias(String anchor, int line) implements YamlNode {
        @Override
        public String shape() {
            return "*" + anchor;
        }
    }

    record Sequence(List<YamlNode> items, int line) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String shape() {
            return "(a list)";
        }
    }
}
