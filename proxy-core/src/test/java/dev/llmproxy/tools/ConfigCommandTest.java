package dev.llmproxy.tools;

import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ExampleConfigFile;
import dev.llmproxy.config.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesTheTemplatePrivatelyAndRefusesToOverwriteItWithoutForce() throws IOException {
        Path env = dir.resolve("sub/.env");
        ToolRun first = ToolRun.run(Map.of(), "", "config", "--out", env.toString());
        assertThat(first.exit()).as(first.printed()).isZero();
        assertThat(first.out()).isEqualTo("wrote " + env + "\n");
        assertThat(Files.readString(env)).isEqualTo(EnvTemplate.render());
        assertThat(ConfigLoader.readDotenv(env)).isEmpty();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(env))).isEqualTo("rw-------");

        Files.writeString(env, "PORT=8080\n");
        ToolRun again = ToolRun.run(Map.of(), "", "config", "--out", env.toString());
        assertThat(again.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err()).isEqualTo("llm-proxy config: --out: " + env + " exists (expected: a path that does not"
                + " exist yet, or --force to replace it)\n");
        assertThat(Files.readString(env)).isEqualTo("PORT=8080\n");

        ToolRun forced = ToolRun.run(Map.of(), "", "config", "--out", env.toString(), "--force");
        assertThat(forced.exit()).isZero();
        assertThat(Files.readString(env)).isEqualTo(EnvTemplate.render());
    }

    @Test
    void printsTheTemplateOnStandardOutput() {
        ToolRun run = ToolRun.run(Map.of(), "", "config", "--out", "-");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo(EnvTemplate.render());
        for (Setting setting : Setting.values()) {
            assertThat(run.out()).contains("# " + setting.envName() + "=");
        }
    }

    @Test
    void yamlWritesTheExampleConfigurationFileUnderTheSameRules() throws IOException {
        Path yaml = dir.resolve("llm-proxy.yaml");
        ToolRun run = ToolRun.run(Map.of(), "", "config", "--yaml", "--out", yaml.toString());
        assertThat(run.exit()).as(run.printed()).isZero();
        assertThat(Files.readString(yaml)).isEqualTo(ExampleConfigFile.text()).contains("upstreams:");
        assertThat(ToolRun.run(Map.of(), "", "config", "--yaml", "--out", yaml.toString()).exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(ToolRun.run(Map.of(), "", "config", "--yaml", "--out", "-").out())
                .isEqualTo(ExampleConfigFile.text());
    }
}
