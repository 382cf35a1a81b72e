package dev.llmproxy.netty;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HeaderNameSetTest {

    @Test
    void looksUpCaseInsensitivelyForStringsAndAsciiStrings() {
        HeaderNameSet set = new HeaderNameSet("connection", "keep-alive", "x-proxy-key");
        assertThat(set.contains("Connection")).isTrue();
        assertThat(set.contains(AsciiString.of("KEEP-ALIVE"))).isTrue();
        assertThat(set.contains("X-Proxy-Key")).isTrue();
        assertThat(set.contains("x-proxy-keys")).isFalse();
        assertThat(set.contains("")).isFalse();
    }

    @Test
    void survivesCollisionsWithManyNames() {
        String[] names = new String[200];
        for (int i = 0; i < names.length; i++) {
            names[i] = "h" + i;
        }
        HeaderNameSet set = new HeaderNameSet(names);
        for (String n : names) {
            assertThat(set.contains(n.toUpperCase())).isTrue();
        }
        assertThat(set.contains("h200")).isFalse();
    }
}
