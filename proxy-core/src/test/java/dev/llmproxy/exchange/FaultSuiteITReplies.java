package dev.llmproxy.exchange;

import dev.llmproxy.testing.FaultyUpstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The raw bytes {@link FaultSuiteIT}'s upstream sends when it behaves: a chat completion, unary or streamed. */
final class FaultSuiteITReplies {
    static final String CONTENT = "all is well";
    static final String SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";

    private FaultSuiteITReplies() {
    }

    static String jsonHead(int contentLength) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n";
    }

    static String sseHeadWithLength(int contentLength) {
        return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " + contentLength + "\r\n\r\n";
    }

    static String completion() {
        return "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + CONTENT + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
    }

    static String event(String content) {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"content\":\"" + content + "\"}}]}\n\n";
    }

    /** The whole healthy response, head and body, as the upstream writes it. */
    static byte[] healthyBytes(FaultSuiteIT.Mode mode) {
        if (mode == FaultSuiteIT.Mode.UNARY) {
            String body = completion();
            return (jsonHead(body.getBytes(StandardCharsets.UTF_8).length) + body).getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder s = new StringBuilder(SSE_HEAD);
        for (String piece : new String[] {event(CONTENT), "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
                "data: [DONE]\n\n"}) {
            s.append(Integer.toHexString(piece.getBytes(StandardCharsets.UTF_8).length)).append("\r\n")
                    .append(piece).append("\r\n");
        }
        return s.append("0\r\n\r\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    static void healthy(FaultSuiteIT.Mode mode, FaultyUpstream.Connection c) throws IOException {
        c.write(healthyBytes(mode));
    }
}
