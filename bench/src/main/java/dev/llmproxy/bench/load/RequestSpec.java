package dev.llmproxy.bench.load;

import java.util.Map;

/**
 * The one request a load run repeats.
 *
 * @param host            server address (an IP literal or a name)
 * @param port            server port
 * @param method          {@code GET} or {@code POST}
 * @param path            request target, with its query
 * @param headers         extra request headers
 * @param body            request body ({@code POST}), empty for none
 * @param streaming       whether the answer is an SSE stream to account frame by frame
 * @param expectedContent content events a complete stream carries (for frame accounting); 0 = do not check
 */
public record RequestSpec(String host, int port, String method, String path, Map<String, String> headers,
                          byte[] body, boolean streaming, int expectedContent) {

    public static RequestSpec post(String host, int port, String path, Map<String, String> headers, String json) {
        return new RequestSpec(host, port, "POST", path, headers,
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8), false, 0);
    }

    public RequestSpec streamingWith(int expectedContentEvents) {
        return new RequestSpec(host, port, method, path, headers, body, true, expectedContentEvents);
    }

    public RequestSpec at(String newHost, int newPort, String newPath) {
        return new RequestSpec(newHost, newPort, method, newPath, headers, body, streaming, expectedContent);
    }
}
