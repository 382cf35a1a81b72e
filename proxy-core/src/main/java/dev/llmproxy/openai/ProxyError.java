package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

/**
 * One failure answered by the proxy: a kind plus the words for this occurrence. Renders the OpenAI envelope for a
 * response body ({@link #toJson()}) or, once an SSE stream has started, a final {@code data:} event
 * ({@link #toSseEvent()}).
 *
 * @param kind    status, type and code
 * @param message human-readable text; never contains a token or a prompt
 * @param param   the offending parameter, or null
 */
public record ProxyError(ErrorKind kind, String message, String param) {

    public static ProxyError of(ErrorKind kind) {
        return new ProxyError(kind, kind.defaultMessage(), kind.param());
    }

    public static ProxyError of(ErrorKind kind, String message) {
        return new ProxyError(kind, message, kind.param());
    }

    public static ProxyError of(ErrorKind kind, String message, String param) {
        return new ProxyError(kind, message, param);
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
