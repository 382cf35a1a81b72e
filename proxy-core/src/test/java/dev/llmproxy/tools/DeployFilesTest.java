package dev.llmproxy.tools;

import dev.llmproxy.config.ConfigLoader;
import dev.llmproxy.config.ProxyConfig;
import dev.llmproxy.config.Setting;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The operator files that ship beside the code stay valid: the shell scripts pass shellcheck, the systemd unit
 * passes {@code systemd-analyze verify}, and the unit's example environment file loads through the proxy's own
 * configuration loader.
 */
class DeployFilesTest {
    private static final Path ROOT = ScriptHarness.ROOT;
    /** Read by the unit or the logging set-up rather than by {@link ConfigLoader}. */
    private static final Set<String> NOT_SETTINGS = Set.of("JAVA_OPTS", "LOG_LEVEL");

    @Test
    void shellScriptsPassShellcheck() throws Exception {
        assumeTrue(onPath("shellcheck"), "shellcheck is not installed (.ci/run installs it)");
        ScriptHarness.Result result = ScriptHarness.run(ROOT, Map.of(), "shellcheck", "--severity=style",
                "scripts/tools.sh", "scripts/watchdog.sh", "scripts/start", "scripts/fuzz.sh");
        assertThat(result.exit()).as(result.printed()).isZero();
    }

    @Test
    void systemdUnitVerifiesCleanly() throws Exception {
        assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed");
        ScriptHarness.Result result = ScriptHarness.run(ROOT, Map.of(), "systemd-analyze", "verify", "--man=no",
                ROOT.resolve("deploy/llm-proxy.service").toString());
        // verify exits 0 on unknown keys and only says so: any output is a problem
        assertThat(result.out() + result.err()).as(result.printed()).isEmpty();
        assertThat(result.exit()).isZero();
        String unit = Files.readString(ROOT.resolve("deploy/llm-proxy.service"));
        assertThat(unit).contains("Restart=on-failure", "EnvironmentFile=/etc/llm-proxy/llm-proxy.env",
                "User=llm-proxy", "NoNewPrivileges=yes", "ProtectSystem=strict", "LimitNOFILE=")
                .doesNotContain("MemoryDenyWriteExecute=yes");
    }

    @Test
    void exampleEnvironmentLoadsThroughTheConfigLoader() {
        Map<String, String> file = ConfigLoader.readDotenv(ROOT.resolve("deploy/llm-proxy.env.example"));
        Set<String> settings = Arrays.stream(Setting.values()).map(Setting::envName).collect(Collectors.toSet());
        Map<String, String> proxySettings = new HashMap<>(file);
        proxySettings.keySet().removeAll(NOT_SETTINGS);
        assertThat(settings).as("every other key is a setting").containsAll(proxySettings.keySet());
        assertThat(file).containsKeys("JAVA_OPTS", "PROXY_SERVER_KEY", "HOST", "PORT");
        ProxyConfig config = ConfigLoader.load(Map.of(), Map.of(), proxySettings);
        assertThat(config.server().port()).isEqualTo(3010);
    }

    private static boolean onPath(String program) throws Exception {
        return ScriptHarness.run(ROOT, Map.of(), "sh", "-c", "command -v " + program).exit() == 0;
    }
}
