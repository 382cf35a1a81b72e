package dev.llmproxy.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a hostile client or a strange upstream gets: wrong keys count against the flood guard, a model id has a
 * length cap, an upstream's informational {@code 103} is skipped and its unasked-for {@code 101} is a 502.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileInputIT {
    private ProxyUnderTest proxy;
    private FakeUpstream upstream;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    void guessingKeysIsThrottledByTheFloodGuard() throws Exception {
        upstream = FakeUpstream.start(false);
        proxy = ProxyUnderTest.start(upstream, Map.of("PROXY_SERVER_KEY", "the-right-key-123",
                "IP_RATE_LIMIT_PER_MINUTE", "5", "IP_RATE_LIMIT_LOOPBACK", "true"));
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            statuses.add(proxy.get("/v1/models", "Authorization", "Bearer guess-" + i).statusCode());
        }
        assertThat(statuses.subList(0, 5)).containsOnly(401);
        assertThat(statuses.subList(5, 8)).as("the sixth guess in a minute is a flood").containsOnly(429);
    }

    @Test
    void aModelIdHasALengthCap() throws Exception {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("hi")));
        proxy = ProxyUnderTest.start(upstream, Map.of());
        HttpResponse<String> tooLong = proxy.postJson("/v1/chat/completions", chat("m".repeat(257)));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(tooLong.body()).path("error");
        assertThat(error.path("param").asText()).isEqualTo("model");
        assertThat(error.path("code").asText()).isEqualTo("invalid_value");
        assertThat(upstream.requests()).isEmpty();
        assertThat(proxy.postJson("/v1/chat/completions", chat("m".repeat(256))).statusCode()).isEqualTo(200);
    }

    @Test
    void anEarlyHintIsSkippedAndAnUnaskedUpgradeIs502() throws Exception {
        try (ServerSocket early = rawUpstream("HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}");
             ServerSocket upgrade = rawUpstream("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     + "Connection: Upgrade\r\n\r\n")) {
            proxy = ProxyUnderTest.start(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:" + early.getLocalPort() + "/v1",
                    "OPENAI_API_KEY", "k"));
            HttpResponse<String> hinted = proxy.postJson("/v1/chat/completions", chat("m"));
            assertThat(hinted.statusCode()).isEqualTo(200);
            assertThat(hinted.body()).isEqualTo("{\"ok\":true}");
            proxy.close();

            proxy = ProxyUnderTest.start(Map.of("OPENAI_BASE_URL",
                    "http://127.0.0.1:" + upgrade.getLocalPort() + "/v1", "OPENAI_API_KEY", "k"));
            HttpResponse<String> upgraded = proxy.postJson("/v1/chat/completions", chat("m"));
            assertThat(upgraded.statusCode()).isEqualTo(502);
            assertThat(Json.MAPPER.readTree(upgraded.body()).at("/error/code").asText())
                    .isEqualTo("upstream_bad_response");
        }
    }

    /** A server that answers every request head with {@code answer}, verbatim, then keeps the connection open. */
    private static ServerSocket rawUpstream(String answer) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread one = new Thread(() -> answer(s, answer), "raw-upstream-connection");
                    one.setDaemon(true);
                    one.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "raw-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    private static void answer(Socket socket, String answer) {
        try (Socket s = socket) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    head.write(b);
                }
                String text = head.toString(StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
                int at = text.indexOf("content-length:");
                if (at >= 0) {
                    int n = Integer.parseInt(text.substring(at + 15, text.indexOf("\r\n", at)).trim());
                    in.readNBytes(n);
                }
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            // the proxy closed it
        }
    }
}
