package dev.llmproxy.config;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class SettingTest {

    @Test
    void flagIsDerivedFromTheEnvironmentName() {
        assertThat(Setting.PORT.flag()).isEqualTo("--port");
        assertThat(Setting.OPENAI_BASE_URL.flag()).isEqualTo("--openai-base-url");
        assertThat(Setting.UPSTREAM_FIRST_BYTE_TIMEOUT_MS.flag()).isEqualTo("--upstream-first-byte-timeout-ms");
    }

    @Test
    void exactlyTheKeysAreSecretAndNoneHasADefault() {
        assertThat(Arrays.stream(Setting.values()).filter(Setting::secret))
                .containsExactlyInAnyOrder(Setting.GITHUB_TOKEN, Setting.OPENAI_API_KEY, Setting.AZURE_OPENAI_API_KEY,
                        Setting.PROXY_SERVER_KEY)
                .allSatisfy(s -> assertThat(s.defaultValue()).isEmpty());
    }

    @Test
    void configFileAlsoAnswersToTheShorterConfigFlag() {
        assertThat(Setting.CONFIG_FILE.flags()).containsExactly("--config-file", "--config");
        assertThat(Setting.PORT.flags()).containsExactly("--port");
    }

    @Test
    void everySettingDescribesItselfAndItsRule() {
        assertThat(Setting.values()).allSatisfy(s -> {
            assertThat(s.description()).isNotBlank().doesNotContain("\n");
            assertThat(s.expected()).isNotBlank().doesNotContain("\n");
        });
    }
}
