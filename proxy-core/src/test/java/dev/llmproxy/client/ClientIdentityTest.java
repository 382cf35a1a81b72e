package dev.llmproxy.client;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ClientIdentityTest {

    @Test
    void aPresentedKeyIsTheIdentityButOnlyAsAHash() {
        HttpHeaders h = new DefaultHttpHeaders().add("Authorization", "Bearer sk-secret-value");
        String id = ClientIdentity.of(h, "10.0.0.1");
        assertThat(id).startsWith("key:").hasSize(4 + 16).doesNotContain("secret");
        assertThat(ClientIdentity.of(new DefaultHttpHeaders().add("X-Proxy-Key", "sk-secret-value"), "1.2.3.4"))
                .isEqualTo(id);
        assertThat(ClientIdentity.of(new DefaultHttpHeaders().add("X-Proxy-Key", "other"), "1.2.3.4")).isNotEqualTo(id);
    }

    @Test
    void withoutAKeyTheIpIsTheIdentity() {
        assertThat(ClientIdentity.of(new DefaultHttpHeaders(), "10.0.0.1")).isEqualTo("ip:10.0.0.1");
    }

    @Test
    void forwardedForCountsOnlyWhenTrustedAndOnlyItsLastValidEntry() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "6.6.6.6, 203.0.113.7");
        String socketPeer = ClientIdentity.ip(ch, new DefaultHttpHeaders(), false);
        assertThat(ClientIdentity.ip(ch, h, false)).isEqualTo(socketPeer);
        assertThat(ClientIdentity.ip(ch, h, true)).isEqualTo("203.0.113.7");
        assertThat(ClientIdentity.ip(ch, new DefaultHttpHeaders().add("X-Forwarded-For", "not-an-ip"), true))
                .isEqualTo(socketPeer);
        ch.finishAndReleaseAll();
    }
}
