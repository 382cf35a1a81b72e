package dev.llmproxy.upstream;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamTargetTest {

    @Test
    void githubModelsBaseUrl() {
        UpstreamTarget t = UpstreamTarget.of(URI.create("https://models.github.ai/inference"));
        assertThat(t.tls()).isTrue();
        assertThat(t.host()).isEqualTo("models.github.ai");
        assertThat(t.port()).isEqualTo(443);
        assertThat(t.hostHeader()).isEqualTo("models.github.ai");
        assertThat(t.uri("/chat/completions")).isEqualTo("/inference/chat/completions");
    }

    @Test
    void explicitPortAppearsInHostHeaderAndTrailingSlashIsIgnored() {
        UpstreamTarget t = UpstreamTarget.of(URI.create("http://127.0.0.1:8081/v1/"));
        assertThat(t.tls()).isFalse();
        assertThat(t.port()).isEqualTo(8081);
        assertThat(t.hostHeader()).isEqualTo("127.0.0.1:8081");
        assertThat(t.uri("/embeddings")).isEqualTo("/v1/embeddings");
    }

    @Test
    void ipv6Literal() {
        UpstreamTarget t = UpstreamTarget.of(URI.create("http://[::1]:9000"));
        assertThat(t.host()).isEqualTo("::1");
        assertThat(t.hostHeader()).isEqualTo("[::1]:9000");
        assertThat(t.uri("/models")).isEqualTo("/models");
    }
}
