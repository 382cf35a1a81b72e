package dev.llmproxy.client;

import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request smuggling against the running proxy: a request whose body length is ambiguous is answered 400 and the
 * connection closes, so the bytes that follow it — here a second request — are never read as a request, and nothing
 * reaches the upstream.
 */
class RequestFramingIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String SMUGGLED = "GET /v1/models HTTP/1.1\r\nHost: proxy\r\n\r\n";

    private FakeUpstream fake;
    private ProxyUnderTest proxy;

    @BeforeEach
    void start() {
        fake = FakeUpstream.start(false);
        proxy = ProxyUnderTest.start(fake, Map.of());
    }

    @AfterEach
    void stop() {
        proxy.close();
        fake.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // RFC 9112 §6.3: both framings; a front end that trusts Content-Length and a back end that trusts
            // chunked would disagree on where the second request starts
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            // chunked not final: the body's length is unknown
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            // Transfer-Encoding means nothing in HTTP/1.0
            "POST /v1/chat/completions HTTP/1.0\r\nHost: proxy\r\nConnection: keep-alive\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    })
    void answersAmbiguousFramingWith400AndClosesBeforeTheNextRequest(String request) throws IOException {
        String conversation = wholeConversation(request + SMUGGLED);

        assertThat(conversation).matches("(?s)HTTP/1\\.[01] 400 Bad Request\r\n.*");
        assertThat(conversation).contains("\"code\":\"bad_request\"");
        assertThat(conversation.split("HTTP/1\\.[01] ", -1)).as("one response, none for the smuggled request")
                .hasSize(2);
        assertThat(fake.requests()).isEmpty();
    }

    /** Sends {@code request} on a new socket and returns every byte the proxy sends until it closes. */
    private String wholeConversation(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
