package dev.llmproxy.client;

import dev.llmproxy.config.AuthConfig;
import dev.llmproxy.config.AuthMode;
import dev.llmproxy.config.ClientKeyDigest;
import dev.llmproxy.config.ClientLimits;
import dev.llmproxy.config.ClientSpec;
import dev.llmproxy.config.UpstreamAuth;
import dev.llmproxy.config.UpstreamKind;
import dev.llmproxy.testing.TestUpstreams;
import dev.llmproxy.upstream.Upstream;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ClientAuthTest {

    /** The auth rules for one bearer upstream that holds {@code serverToken}. */
    private record Auth(ClientAuth auth, Upstream upstream) {
        boolean authorized(HttpHeaders h) {
            return auth.authorized(h);
        }

        ClientAuth.UpstreamKey upstreamKey(HttpHeaders h) {
            return auth.upstreamKey(h, upstream);
        }
    }

    private static Auth auth(AuthMode mode, List<String> keys, String serverToken) {
        return new Auth(new ClientAuth(new AuthConfig(mode, keys, false), List.of()),
                TestUpstreams.upstream(0, "up", UpstreamKind.OPENAI_COMPATIBLE, UpstreamAuth.BEARER, serverToken,
                        List.of("m")));
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
    void acceptsAConfiguredKeyInAnyOfTheFourHeaders() {
        Auth a = auth(AuthMode.ENV, List.of("k-one", "k-two"), "t");
        assertThat(a.authorized(headers())).isFalse();
        assertThat(a.authorized(headers("Authorization", "Bearer k-two"))).isTrue();
        assertThat(a.authorized(headers("authorization", "bearer k-one"))).isTrue();
        assertThat(a.authorized(headers("X-Proxy-Key", "k-one"))).isTrue();
        assertThat(a.authorized(headers("X-Proxy-Server-Key", "k-two"))).isTrue();
        assertThat(a.authorized(headers("x-api-key", "k-one"))).as("a Messages client's key").isTrue();
        assertThat(a.authorized(headers("X-Proxy-Key", "k-three"))).isFalse();
        assertThat(a.authorized(headers("x-api-key", "k-three"))).isFalse();
        assertThat(a.authorized(headers("Authorization", "Basic k-one"))).isFalse();
    }

    @Test
    void envModeAlwaysSendsTheServerTokenNeverTheClientsBearer() {
        Auth a = auth(AuthMode.ENV, List.of(), "server-token");
        assertThat(a.upstreamKey(headers("Authorization", "Bearer client-key")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
        assertThat(auth(AuthMode.ENV, List.of(), null).upstreamKey(headers("Authorization", "Bearer c")))
                .isEqualTo(new ClientAuth.UpstreamKey.None());
    }

    @Test
    void requestModeForwardsTheClientsOwnKeyAndRefusesWithoutOne() {
        Auth a = auth(AuthMode.REQUEST, List.of(), "server-token");
        assertThat(a.upstreamKey(headers("Authorization", "Bearer mine")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("mine"));
        assertThat(a.upstreamKey(headers("X-OpenAI-Api-Key", "mine2")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("mine2"));
        assertThat(a.upstreamKey(headers())).isEqualTo(new ClientAuth.UpstreamKey.Missing());
    }

    @Test
    void theProxyKeyIsNeverForwardedUpstreamInAnyMode() {
        Auth request = auth(AuthMode.REQUEST, List.of("proxy-secret"), "server-token");
        assertThat(request.upstreamKey(headers("Authorization", "Bearer proxy-secret")))
                .isEqualTo(new ClientAuth.UpstreamKey.Missing());
        assertThat(request.upstreamKey(headers("Authorization", "Bearer proxy-secret", "X-OpenAI-Api-Key", "own")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("own"));
        Auth prefer = auth(AuthMode.PREFER_REQUEST, List.of("proxy-secret"), "server-token");
        assertThat(prefer.upstreamKey(headers("Authorization", "Bearer proxy-secret")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
    }

    @Test
    void preferRequestFallsBackToTheServerToken() {
        Auth a = auth(AuthMode.PREFER_REQUEST, List.of(), "server-token");
        assertThat(a.upstreamKey(headers())).isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
        assertThat(a.upstreamKey(headers("X-Proxy-Api-Key", "own"))).isEqualTo(new ClientAuth.UpstreamKey.Use("own"));
    }

    @Test
    void noRequestHeaderChangesTheMode() {
        Auth a = auth(AuthMode.ENV, List.of(), "server-token");
        assertThat(a.upstreamKey(headers("X-Proxy-Auth-Mode", "request", "Authorization", "Bearer client")))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("server-token"));
    }

    @Test
    void anUpstreamsAuthDecidesTheHeaderAndWhetherAKeyIsSentAtAll() {
        ClientAuth a = new ClientAuth(new AuthConfig(AuthMode.PREFER_REQUEST, List.of(), false), List.of());
        Upstream none = TestUpstreams.upstream(0, "local", UpstreamKind.OPENAI_COMPATIBLE, UpstreamAuth.NONE, "k",
                List.of("m"));
        assertThat(a.upstreamKey(headers("Authorization", "Bearer mine"), none))
                .isEqualTo(new ClientAuth.UpstreamKey.None());
        Upstream passthrough = TestUpstreams.upstream(1, "pt", UpstreamKind.OPENAI_COMPATIBLE,
                UpstreamAuth.PASSTHROUGH, "server", List.of("m"));
        assertThat(a.upstreamKey(headers("Authorization", "Bearer mine"), passthrough))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("mine"));
        assertThat(a.upstreamKey(headers(), passthrough)).isEqualTo(new ClientAuth.UpstreamKey.None());

        Upstream azure = TestUpstreams.upstream(2, "azure", UpstreamKind.AZURE, UpstreamAuth.API_KEY, "az-key",
                List.of("m"));
        HttpHeaders sent = new DefaultHttpHeaders();
        azure.applyHeaders(sent, "az-key");
        assertThat(sent.get("api-key")).isEqualTo("az-key");
        assertThat(sent.contains("Authorization")).isFalse();
    }

    @Test
    void configuredClientsAreIdentifiedByTheirKeysDigestInEveryKeyHeader() {
        ClientSpec teamA = new ClientSpec("team-a", ClientKeyDigest.of("key-a"), Optional.empty(),
                ClientLimits.NONE, ClientSpec.OverLimit.REJECT);
        ClientSpec teamB = new ClientSpec("team-b", ClientKeyDigest.of("key-b"), Optional.empty(),
                ClientLimits.NONE, ClientSpec.OverLimit.REJECT);
        ClientAuth a = new ClientAuth(new AuthConfig(AuthMode.PREFER_REQUEST, List.of(), false),
                List.of(teamA, teamB));
        assertThat(a.clientKeyRequired()).isTrue();
        assertThat(a.identify(headers("Authorization", "Bearer key-b"))).isEqualTo(teamB);
        assertThat(a.identify(headers("x-api-key", "key-a"))).isEqualTo(teamA);
        assertThat(a.identify(headers("X-Proxy-Key", "key-a"))).isEqualTo(teamA);
        assertThat(a.identify(headers("Authorization", "Bearer key-c"))).isNull();
        assertThat(a.authorized(headers("Authorization", "Bearer key-c"))).isFalse();
        // a client's proxy key is never taken for its own upstream key
        Upstream up = TestUpstreams.upstream(0, "up", UpstreamKind.OPENAI_COMPATIBLE, UpstreamAuth.BEARER, "server",
                List.of("m"));
        assertThat(a.upstreamKey(headers("Authorization", "Bearer key-a"), up))
                .isEqualTo(new ClientAuth.UpstreamKey.Use("server"));
    }
}
