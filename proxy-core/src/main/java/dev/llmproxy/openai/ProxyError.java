package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One failure answered by the proxy: a kind plus the words for this occurrence. Renders the OpenAI envelope for a
 * response body ({@link #toJson()}) or, once an SSE stream has started, a final {@code data:} event
 * ({@link #toSseEvent()}).
 *
 * @param kind    status, type and code
 * @param message human-readable text; never contains a token or a prompt
 * @param param   the offending parameter, or null
 * @param extra   fields added beside {@code error} at the top level (e.g. the {@code rate_limit} block), or null
 * @param headers response headers that belong to this failure (e.g. {@code Retry-After}); never null
 */
public record ProxyError(ErrorKind kind, String message, String param, ObjectNode extra,
                         Map<String, String> headers) {

    public ProxyError {
        headers = headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    public static ProxyError of(ErrorKind kind) {
        return new ProxyError(kind, kind.defaultMessage(), kind.param(), null, Map.of());
    }

    public static ProxyError of(ErrorKind kind, String message) {
        return new ProxyError(kind, message, kind.param(), null, Map.of());
    }

    public static ProxyError of(ErrorKind kind, String message, String param) {
        return new ProxyError(kind, message, param, null, Map.of());
    }

    /** The same failure with one more response header. */
    public ProxyError withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ProxyError(kind, message, param, extra, more);
    }

    /** The same failure with one more top-level body field beside {@code error}. */
    public ProxyError withExtra(String field, JsonNode value) {
        ObjectNode more = extra == null ? Json.object() : extra.deepCopy();
        more.set(field, value);
        return new ProxyError(kind, message, param, more, headers);
    }

    public int status() {
        return kind.status();
    }

    /** {@code {"error":{"message","type","param","code"}}} — the four keys always present, absent values null. */
    public ObjectNode toJsonNode() {
        ObjectNode root = Json.object();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", kind.type());
        error.put("param", param);
        error.put("code", kind.code());
        if (extra != null) {
            extra.properties().forEach(f -> root.set(f.getKey(), f.getValue()));
        }
        return root;
    }

    public byte[] toJson() {
        return Json.bytes(toJsonNode());
    }

    /** {@code data: {"error":{…}}\n\n}: how a stream that already answered 200 reports a failure. */
    public byte[] toSseEvent() {
        String json = new String(toJson(), StandardCharsets.UTF_8);
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
