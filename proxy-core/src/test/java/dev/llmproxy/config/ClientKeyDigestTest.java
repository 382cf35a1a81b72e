package dev.llmproxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class ClientKeyDigestTest {

    private static final String ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void hashesTheKeysUtf8BytesAndMatchesItsHexInEitherCase() {
        ClientKeyDigest d = ClientKeyDigest.of("abc");

        assertThat(d.hex()).isEqualTo(ABC_SHA256);
        assertThat(d.bytes()).hasSize(32);
        assertThat(ClientKeyDigest.parseHex(ABC_SHA256.toUpperCase())).contains(d);
        assertThat(d.matchesKey("abc")).isTrue();
        assertThat(d.matchesKey("abd")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", ABC_SHA256 + "0", "zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"})
    void anythingButSixtyFourHexDigitsIsNotADigest(String text) {
        assertThat(ClientKeyDigest.parseHex(text)).isEmpty();
    }

    @Test
    void itsBytesCannotBeChangedFromOutsideAndToStringShowsOnlyAPrefix() {
        ClientKeyDigest d = ClientKeyDigest.of("abc");
        d.bytes()[0] ^= 1;

        assertThat(d.hex()).isEqualTo(ABC_SHA256);
        assertThat(d.toString()).isEqualTo("sha256:ba7816bf8f01…").doesNotContain(ABC_SHA256);
    }
}
