package dev.llmproxy.tools;

import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.config.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The written template lists every setting and loads back through the proxy's own loader. */
class EnvTemplateTest {
    private static final Pattern ASSIGNMENT = Pattern.compile("(?m)^# ([A-Z][A-Z0-9_]*)=(.*)$");

    @TempDir
    Path dir;

    @Test
    void listsEverySettingOnceWithItsDescriptionRuleAndDefault() {
        String template = EnvTemplate.render();
        for (Setting setting : Setting.values()) {
            Matcher lines = Pattern.compile("(?m)^# " + setting.envName() + "=").matcher(template);
            assertThat(lines.results().count()).as(setting.envName()).isEqualTo(1);
            String firstWords = setting.description().split(" ")[0] + " " + setting.description().split(" ")[1];
            assertThat(template).contains("# " + firstWords);
        }
        assertThat(template).contains("# PORT=3010\n", "Accepts an integer from 0 to 65535. Default: 3010.",
                "# GITHUB_TOKEN=\n", "# TTS_VOICES=anatol,natalia\n");
        assertThat(template.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(110));
    }

    @Test
    void loadsAsTheDefaultsCommentedOrUncommented() throws IOException {
        Path commented = Files.writeString(dir.resolve("commented.env"), EnvTemplate.render());
        ProxyConfig defaults = ConfigLoader.load(Map.of(), Map.of(), Map.of());
        assertThat(ConfigLoader.readDotenv(commented)).as("a commented line sets nothing").isEmpty();

        // every default written out must be a value the loader accepts, read back unchanged
        Path uncommented = Files.writeString(dir.resolve("uncommented.env"),
                ASSIGNMENT.matcher(EnvTemplate.render()).replaceAll("$1=$2"));
        Map<String, String> read = ConfigLoader.readDotenv(uncommented);
        for (Setting setting : Setting.values()) {
            assertThat(read.get(setting.envName())).as(setting.envName())
                    .isEqualTo(setting.secret() ? "" : setting.defaultValue().orElse(""));
        }
        assertThat(ConfigLoader.load(Map.of(), Map.of(), read)).isEqualTo(defaults);
    }

    @Test
    void quotesValuesDotenvWouldOtherwiseChange() throws IOException {
        String value = "a b # c, $d 'e'";
        Path file = Files.writeString(dir.resolve("quoted.env"), "X=" + EnvTemplate.quote(value) + "\n");
        assertThat(ConfigLoader.readDotenv(file)).containsEntry("X", value);
        assertThat(EnvTemplate.quote("/metrics")).isEqualTo("/metrics");
        assertThatThrownBy(() -> EnvTemplate.quote("say \"hi\"")).as("dotenv would keep the backslashes")
                .isInstanceOf(IllegalArgumentException.class);
    }
}
