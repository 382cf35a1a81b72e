package dev.llmproxy.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The bundled example is loaded through the real reader, so it cannot drift from what the proxy accepts. */
class ExampleConfigFileTest {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    /** A value for every ${VAR} the example mentions; hashes get a real digest, keys a token. */
    private static Map<String, String> variablesOfTheExample() {
        Map<String, String> values = new HashMap<>();
        Matcher m = VARIABLE.matcher(ExampleConfigFile.text());
        while (m.find()) {
            String name = m.group(1);
            values.put(name, name.endsWith("_SHA256") ? ClientKeyDigest.of("example-" + name).hex() : "key-" + name);
        }
        return values;
    }

    private static UpstreamsConfig load(Map<String, String> variables) {
        return ConfigFile.parse(ExampleConfigFile.FILE_NAME, ExampleConfigFile.text(),
                name -> Optional.ofNullable(variables.get(name)), Path.of("."),
                ConfigSource.file(Path.of(ExampleConfigFile.FILE_NAME)));
    }

    @Test
    void theExampleLoadsAndShowsEachKindInUseARouteWithFailoverAndAClient() {
        UpstreamsConfig c = load(variablesOfTheExample());

        assertThat(c.upstreams()).extracting(UpstreamSpec::kind)
                .contains(UpstreamKind.OPENAI, UpstreamKind.AZURE, UpstreamKind.OPENAI_COMPATIBLE);
        assertThat(c.routes()).anySatisfy(r -> assertThat(r.targets()).hasSizeGreaterThan(1)
                .extracting(RouteTarget::upstream).doesNotHaveDuplicates());
        assertThat(c.clients()).isNotEmpty();
        assertThat(c.notes()).as("the example should start without warnings").isEmpty();
    }

    @Test
    void theExampleTakesItsKeysFromTheEnvironment() {
        Map<String, String> variables = variablesOfTheExample();
        variables.remove("OPENAI_API_KEY");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(variables));

        assertThat(e.problems()).singleElement().asString().contains("api_key: ${OPENAI_API_KEY} (expected:"
                + " OPENAI_API_KEY set in the environment");
        assertThat(load(variablesOfTheExample()).upstream("openai"))
                .hasValueSatisfying(u -> assertThat(u.apiKey()).contains("key-OPENAI_API_KEY"));
    }
}
