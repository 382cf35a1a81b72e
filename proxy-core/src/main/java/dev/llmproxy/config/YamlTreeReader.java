package dev.llmproxy.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads one YAML document into a {@link YamlNode} tree that remembers each value's line, by walking the tokens of
 * Jackson's streaming YAML parser. Structural mistakes YAML itself lets through — a key given twice, an alias, a
 * second document — are reported too, since each would silently change what the file means. Single-threaded:
 * one instance per read.
 */
final class YamlTreeReader {

    private static final YAMLFactory YAML = YAMLFactory.builder().build();

    private final FileProblems problems;
    private JsonParser parser;

    private YamlTreeReader(FileProblems problems) {
        this.problems = problems;
    }

    /**
     * The document's root, or empty when the text holds no document (an empty file, only comments).
     *
     * @throws ConfigException on a YAML syntax error (at its line); duplicate keys, aliases and extra documents are
     *                         added to {@code problems} instead, so they are reported with everything else
     */
    static Optional<YamlNode> read(String text, FileProblems problems) {
        return new YamlTreeReader(problems).document(text);
    }

    private Optional<YamlNode> document(String text) {
        try (JsonParser p = YAML.createParser(text)) {
            parser = p;
            JsonToken first = parser.nextToken();
            if (first == null) {
                return Optional.empty();
            }
            YamlNode root = node(first, "");
            if (parser.nextToken() != null) {
                problems.add(line(), "(document)", "a second YAML document",
                        "one document: remove the '---' line and what follows, or merge it into the first");
            }
            return Optional.of(root);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : lineOf(e);
            String problem = String.valueOf(e.getProblem());
            if (e.getContext() != null && e.getContextMark() != null) {
                // "while parsing a block mapping" points at where the broken structure began
                problem += "; " + e.getContext() + " that starts on line " + (e.getContextMark().getLine() + 1);
            }
            throw syntaxError(line, problem);
        } catch (JsonProcessingException e) {
            throw syntaxError(lineOf(e), String.valueOf(e.getOriginalMessage()));
        } catch (IOException e) {
            // the text is in memory: only a parser limit can end up here
            throw syntaxError(0, e.toString());
        }
    }

    private YamlNode node(JsonToken token, String path) throws IOException {
        int line = line();
        switch (token) {
            case START_OBJECT -> {
                Map<String, YamlNode.Member> members = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    int keyLine = line();
                    String keyPath = path.isEmpty() ? key : path + "." + key;
                    YamlNode value = node(parser.nextToken(), keyPath);
                    YamlNode.Member earlier = members.putIfAbsent(key, new YamlNode.Member(key, keyLine, value));
                    if (earlier != null) {
                        problems.add(keyLine, keyPath, "(given twice)",
                                "each key once per mapping; it was first given on line " + earlier.keyLine());
                    }
                }
                return new YamlNode.Mapping(members, line);
            }
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                JsonToken t;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                    items.add(node(t, path + "[" + items.size() + "]"));
                }
                return new YamlNode.Sequence(items, line);
            }
            case VALUE_NULL -> {
                return new YamlNode.Scalar("", line);
            }
            default -> {
                if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
                    YamlNode.Alias alias = new YamlNode.Alias(ValueRules.printable(parser.getText()), line);
                    problems.add(line, path.isEmpty() ? "(document)" : path, alias.shape(),
                            "no YAML aliases: write the value out");
                    return alias;
                }
                return new YamlNode.Scalar(parser.getText(), line);
            }
        }
    }

    private int line() {
        return parser.currentTokenLocation().getLineNr();
    }

    private static int lineOf(JsonProcessingException e) {
        return e.getLocation() == null ? 0 : e.getLocation().getLineNr();
    }

    private ConfigException syntaxError(int line, String problem) {
        String text = ValueRules.printable(problem.strip());
        return new ConfigException(List.of((line > 0 ? problems.at(line) : problems.fileName() + ": ")
                + "YAML syntax: " + text + " (expected: valid YAML; indent with spaces, quote values that contain"
                + " ': ' or start with a special character)"));
    }
}
