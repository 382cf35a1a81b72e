package dev.llmproxy.config;

import dev.llmproxy.config.FieldReader.Field;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads the upstream configuration file ({@code CONFIG_FILE}, {@code serve --config}): YAML with the keys
 * {@code upstreams}, {@code routes}, {@code default_upstream} and {@code clients}. Every mistake is reported at
 * once, each as {@code <file>:<line>: <field>: <value> (expected: <rule>)}; an unknown key is a mistake too, so a
 * typo never silently drops a setting. Stateless; each read is independent.
 */
public final class ConfigFile {

    /** The file is read whole; anything larger is not a configuration file. */
    public static final int MAX_BYTES = 1 << 20;

    static final List<String> KEYS = List.of("upstreams", "routes", "default_upstream", "clients");
    /** Letters, digits, {@code . _ : -}; no {@code /}, which would read as {@code <upstream>/<model>}. */
    static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");
    static final String ALIAS_RULE = "an alias of letters, digits, '.', '_', ':' and '-' (no '/', which names an"
            + " upstream's model)";
    static final String TARGET_RULE = "<upstream>/<model>, e.g. openai/gpt-4.1-mini";

    private ConfigFile() {
    }

    /**
     * Reads and validates {@code file}.
     *
     * @param variables the value of an environment variable for {@code ${VAR}}; empty when unset
     * @throws ConfigException listing every problem, each naming the file, line and field
     */
    public static UpstreamsConfig read(Path file, Function<String, Optional<String>> variables) {
        String text = readText(file);
        Path parent = file.toAbsolutePath().getParent();
        return parse(file.toString(), text, variables, parent == null ? Path.of(".") : parent,
                ConfigSource.file(file));
    }

    /**
     * Validates configuration text that did not come from a file of its own (the bundled example).
     *
     * @param fileName      how errors name it
     * @param baseDirectory where a relative {@code ca_file} is read from
     */
    static UpstreamsConfig parse(String fileName, String text, Function<String, Optional<String>> variables,
                                 Path baseDirectory, ConfigSource source) {
        FileProblems problems = new FileProblems(fileName);
        Optional<YamlNode> document = YamlTreeReader.read(text.startsWith("\uFEFF") ? text.substring(1) : text,
                problems);
        if (document.isEmpty()) {
            problems.addFileLevel("(empty)", "a YAML mapping with at least 'upstreams:'");
            problems.throwIfAny();
        }
        FieldReader fields = new FieldReader(problems, new VariableExpander(variables));
        List<ConfigNote> notes = new ArrayList<>();
        Field root = Field.root(document.orElseThrow());
        Map<String, Field> top = fields.mapping(root, KEYS).orElse(Map.of());

        UpstreamSpecReader upstreamReader = new UpstreamSpecReader(fields, baseDirectory, notes);
        List<UpstreamSpec> upstreams = new ArrayList<>();
        Field upstreamsField = top.get("upstreams");
        if (upstreamsField == null) {
            if (root.value() instanceof YamlNode.Mapping) {
                fields.missing(root, "upstreams", "a list of at least one upstream, each with a name and a kind");
            }
        } else {
            for (Field item : nonEmptyList(fields, upstreamsField, "a list of at least one upstream, each with a name"
                    + " and a kind")) {
                upstreamReader.read(item).ifPresent(upstreams::add);
            }
        }
        Set<String> names = upstreamReader.declaredNames();

        List<RouteSpec> routes = Optional.ofNullable(top.get("routes"))
                .map(r -> routes(fields, r, names, upstreams, notes)).orElse(List.of());
        Optional<String> defaultUpstream = Optional.ofNullable(top.get("default_upstream"))
                .flatMap(d -> defaultUpstream(fields, d, names));
        List<ClientSpec> clients = new ArrayList<>();
        Field clientsField = top.get("clients");
        if (clientsField != null) {
            ClientSpecReader clientReader = new ClientSpecReader(fields);
            for (Field item : nonEmptyList(fields, clientsField, "a list of at least one client (without 'clients:',"
                    + " PROXY_SERVER_KEY decides who may call)")) {
                clientReader.read(item).ifPresent(clients::add);
            }
        }

        problems.throwIfAny();
        return new UpstreamsConfig(upstreams, routes, defaultUpstream, clients, source, notes);
    }

    private static String readText(Path file) {
        String expected = "a readable UTF-8 YAML file of at most " + MAX_BYTES + " bytes";
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw problem(file, "(a directory)", expected);
            }
            try (InputStream in = Files.newInputStream(file)) {
                // not Files.size: a named pipe or /dev/stdin has none
                bytes = in.readNBytes(MAX_BYTES + 1);
            }
        } catch (NoSuchFileException e) {
            throw problem(file, "(no such file)", expected);
        } catch (IOException e) {
            throw problem(file, "(" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " "
                    + ValueRules.printable(e.getMessage())) + ")", expected);
        }
        if (bytes.length > MAX_BYTES) {
            throw problem(file, "(larger than " + MAX_BYTES + " bytes)", expected);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw problem(file, "(not UTF-8 text)", expected);
        }
    }

    private static ConfigException problem(Path file, String shown, String expected) {
        return new ConfigException(List.of(file + ": " + shown + " (expected: " + expected + ")"));
    }

    private static List<Field> nonEmptyList(FieldReader fields, Field field, String expected) {
        List<Field> items = fields.list(field, expected).orElse(List.of());
        if (items.isEmpty() && field.value() instanceof YamlNode.Sequence) {
            fields.problem(field, "[]", expected);
        }
        return items;
    }

    private static List<RouteSpec> routes(FieldReader fields, Field field, Set<String> names,
                                          List<UpstreamSpec> upstreams, List<ConfigNote> notes) {
        Optional<Map<String, Field>> mapping = fields.freeMapping(field, "a mapping of aliases to lists of"
                + " <upstream>/<model> targets, e.g. fast: [local/llama3.2:3b, openai/gpt-4.1-mini]");
        if (mapping.isEmpty()) {
            return List.of();
        }
        List<RouteSpec> routes = new ArrayList<>();
        for (Map.Entry<String, Field> e : mapping.get().entrySet()) {
            String alias = e.getKey();
            Field route = e.getValue();
            int before = fields.problems().count();
            if (!ALIAS.matcher(alias).matches()) {
                fields.problem(route, ValueRules.printable(alias), ALIAS_RULE);
            } else if (names.contains(alias)) {
                fields.problem(route, alias, "an alias that is not also an upstream's name, since " + alias
                        + "/<model> already means that upstream");
            }
            List<RouteTarget> targets = new ArrayList<>();
            for (Field item : nonEmptyList(fields, route, "a list of at least one target " + TARGET_RULE
                    + ", tried in order")) {
                target(fields, item, names).ifPresent(t -> {
                    targets.add(t);
                    noteUnlistedModel(fields, item, t, upstreams, notes);
                });
            }
            if (fields.problems().count() == before && !targets.isEmpty()) {
                routes.add(new RouteSpec(alias, targets));
            }
        }
        return routes;
    }

    /** Split at the first {@code /}: the model part may itself hold {@code /} and {@code :}. */
    private static Optional<RouteTarget> target(FieldReader fields, Field item, Set<String> names) {
        Optional<String> text = fields.text(item, TARGET_RULE);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        int slash = text.get().indexOf('/');
        if (slash <= 0 || slash == text.get().length() - 1) {
            fields.problem(item, fields.shown(item), TARGET_RULE);
            return Optional.empty();
        }
        String upstream = text.get().substring(0, slash);
        if (!names.contains(upstream)) {
            fields.problem(item, fields.shown(item), "<upstream>/<model> where <upstream> is a configured upstream: "
                    + (names.isEmpty() ? "none is" : "one of " + String.join(", ", names)));
            return Optional.empty();
        }
        return Optional.of(new RouteTarget(upstream, text.get().substring(slash + 1)));
    }

    /** Not an error: upstreams serve models their listing omits, but a fixed list that misses it is probably a typo. */
    private static void noteUnlistedModel(FieldReader fields, Field item, RouteTarget target,
                                          List<UpstreamSpec> upstreams, List<ConfigNote> notes) {
        for (UpstreamSpec u : upstreams) {
            if (u.name().equals(target.upstream()) && u.models().isPresent()
                    && !u.models().get().contains(target.model())) {
                notes.add(ConfigNote.warning(fields.problems().at(item.line()) + item.path() + ": " + target
                        + ": upstream " + u.name() + "'s models list does not name " + target.model()
                        + "; it is sent unchanged all the same"));
            }
        }
    }

    private static Optional<String> defaultUpstream(FieldReader fields, Field field, Set<String> names) {
        String rule = "the name of a configured upstream: " + (names.isEmpty() ? "none is" : "one of "
                + String.join(", ", names));
        Optional<String> name = fields.text(field, rule);
        if (name.isPresent() && !names.contains(name.get())) {
            fields.problem(field, fields.shown(field), rule);
            return Optional.empty();
        }
        return name;
    }
}
