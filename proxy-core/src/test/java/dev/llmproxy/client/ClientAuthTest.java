package dev.llmproxy.client;

import dev.llmproxy.config.AuthConfig;
import dev.llmproxy.config.AuthMode;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ClientAuthTest {

    private static ClientAuth auth(AuthMode mode, List<String> keys, String serverToken) {
        return new ClientAuth(new AuthConfig(mode, keys, false), Optional.ofNullable(serverToken));
    }

    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    @Test
    void withoutConfiguredKeysEveryoneIsAuthorized() {
        assertThat(auth(AuthMode.ENV, List.of(), "t").authorized(headers())).isTrue();
    }

    @Test
    void acceptsAConfiguredKeyInAnyOfTheThreeHeaders() {
        ClientAuth a = auth(AuthMode.ENV, List.of("k-one", "k-two"), "t");
        assertThat(a.authorized(headers())).isFalse();
        assertThat(a.authorized(headers("Authorization", "Bearer k-two"))).isTrue();
        assertThat(a.authorized(headers("authorization", "bearer k-one"))).isTrue();
        assertThat(a.authorized(headers("X-Proxy-Key", "k-one"))).isTrue();
        assertThat(a.authorized(headers("X-Proxy-Server-Key", "k-two"))).isTrue();
        assertThat(a.authorized(headers("X-Proxy-Key", "k-three"))).isFalse();
        assertThat(a.authorized(headers("Authorization", "Basic k-one"))).isFalse();
    }

    @Test
    void envModeAlwaysSendsTheServerTokenNeverTheClientsBearer() {
        ClientAuth a = auth(AuthMode.ENV, List.of(), "server-token");
        assertThat(a.upstreamKey(headers("Authorization", "Bearer client-key")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
        assertThat(auth(AuthMode.ENV, List.of(), null).upstreamKey(headers("Authorization", "Bearer c")))
                .isEqualTo(new ClientAuth.UpstreamKey.None());
    }

    @Test
    void requestModeForwardsTheClientsOwnKeyAndRefusesWithoutOne() {
        ClientAuth a = auth(AuthMode.REQUEST, List.of(), "server-token");
        assertThat(a.upstreamKey(headers("Authorization", "Bearer mine")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("mine"));
        assertThat(a.upstreamKey(headers("X-OpenAI-Api-Key", "mine2")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("mine2"));
        assertThat(a.upstreamKey(headers())).isEqualTo(new ClientAuth.UpstreamKey.Missing());
    }

    @Test
    void theProxyKeyIsNeverForwardedUpstreamInAnyMode() {
        ClientAuth request = auth(AuthMode.REQUEST, List.of("proxy-secret"), "server-token");
        assertThat(request.upstreamKey(headers("Authorization", "Bearer proxy-secret")))
                .isEqualTo(new ClientAuth.UpstreamKey.Missing());
        assertThat(request.upstreamKey(headers("Authorization", "Bearer proxy-secret", "X-OpenAI-Api-Key", "own")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("own"));
        ClientAuth prefer = auth(AuthMode.PREFER_REQUEST, List.of("proxy-secret"), "server-token");
        assertThat(prefer.upstreamKey(headers("Authorization", "Bearer proxy-secret")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
    }

    @Test
    void preferRequestFallsBackToTheServerToken() {
        ClientAuth a = auth(AuthMode.PREFER_REQUEST, List.of(), "server-token");
        assertThat(a.upstreamKey(headers())).isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
        assertThat(a.upstreamKey(headers("X-Proxy-Api-Key", "own"))).isEqualTo(new ClientAuth.UpstreamKey.Use("own"));
    }

    @Test
    void noRequestHeaderChangesTheMode() {
        ClientAuth a = auth(AuthMode.ENV, List.of(), "server-token");
        assertThat(a.upstreamKey(headers("X-Proxy-Auth-Mode", "request", "Authorization", "Bearer client")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
    }
}
