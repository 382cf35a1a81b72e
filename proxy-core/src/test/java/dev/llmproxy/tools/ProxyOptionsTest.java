package dev.llmproxy.tools;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProxyOptionsTest {

    private static ProxyOptions options(String url, String key) {
        ProxyOptions options = new ProxyOptions();
        options.url = url;
        options.key = key;
        return options;
    }

    @Test
    void urlComesFromTheOptionThenProxyUrlThenTheDefault() {
        assertThat(options(null, null).baseUrl(Map.of())).hasToString("http://127.0.0.1:3010");
        assertThat(options(null, null).baseUrl(Map.of("PROXY_URL", "http://10.1.2.3:8080/"))).hasToString(
                "http://10.1.2.3:8080");
        assertThat(options("https://proxy.example", null).baseUrl(Map.of("PROXY_URL", "http://x:1")))
                .hasToString("https://proxy.example");
    }

    @Test
    void aUrlThatIsNotHttpIsAUsageError() {
        for (String bad : new String[] {"ftp://host", "127.0.0.1:3010", "http://", "http://h/?q=1", "not a url"}) {
            assertThatThrownBy(() -> options(bad, null).baseUrl(Map.of())).as(bad)
                    .isInstanceOfSatisfying(ToolException.class, e -> {
                        assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                        assertThat(e.getMessage()).startsWith("--url: " + bad + " (expected: an http or https URL");
                    });
        }
    }

    @Test
    void keyComesFromTheOptionThenProxyKeyThenTheFirstServerKey() {
        assertThat(options(null, null).clientKey(Map.of())).isNull();
        assertThat(options(null, null).clientKey(Map.of("PROXY_SERVER_KEY", " , k1 ,k2"))).isEqualTo("k1");
        assertThat(options(null, null).clientKey(Map.of("PROXY_SERVER_KEY", "k1", "PROXY_KEY", "mine")))
                .isEqualTo("mine");
        assertThat(options(null, "flag").clientKey(Map.of("PROXY_KEY", "mine"))).isEqualTo("flag");
    }

    @Test
    void aKeyThatCannotGoInAHeaderIsRefusedWithoutShowingIt() {
        assertThatThrownBy(() -> options(null, "se cret\r\n").clientKey(Map.of()))
                .isInstanceOf(ToolException.class)
                .hasMessage("--key: (hidden) (expected: visible ASCII characters without spaces)");
    }
}
