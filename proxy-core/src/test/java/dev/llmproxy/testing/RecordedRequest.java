package dev.llmproxy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One request as {@link FakeUpstream} received it: method, URI, a copy of the headers, the whole body, and the id
 * of the connection it came on (ids count up from 1 per fake, so equal ids prove the proxy reused a connection).
 *
 * <p>Immutable: the accessors hand out copies. Safe to share between threads.
 */
public record RecordedRequest(String method, String uri, HttpHeaders headers, byte[] body, int connectionId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public RecordedRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        headers = headers.copy();
        body = body.clone();
    }

    @Override
    public HttpHeaders headers() {
        return headers.copy();
    }

    /** The first value of the header, or null; names are case-insensitive. */
    public String header(CharSequence name) {
        return headers.get(name);
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    public String bodyString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON; throws if it is not JSON. */
    public JsonNode bodyJson() {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("request body is not JSON: " + bodyString(), e);
        }
    }

    @Override
    public String toString() {
        return method + " " + uri + " (connection " + connectionId + ", " + body.length + " body bytes)";
    }
}
