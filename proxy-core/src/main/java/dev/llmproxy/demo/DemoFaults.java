package dev.llmproxy.demo;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;

/**
 * What a bench or test asked the demo upstream to do wrong for one chat request: answer an error status, stream a
 * reply of a chosen length, or drop the connection mid-stream.
 *
 * @param status     400..599 to answer that status instead of the reply; 0 for none
 * @param tokens     the streamed reply's length in tokens; 0 for the composed reply's own length
 * @param closeAfter close the connection after this many tokens of a stream, without its end; -1 for never
 */
record DemoFaults(int status, int tokens, int closeAfter) {

    /** The error answer for {@link #status()}: the OpenAI envelope, typed as the status class says. */
    FullHttpResponse errorResponse(ByteBufAllocator alloc) {
        String type = status >= 500 ? "server_error" : status == 429 ? "rate_limit_exceeded" : "invalid_request_error";
        String body = "{\"error\":{\"message\":\"demo upstream: status " + status + " asked for by "
                + DemoRequestHandler.STATUS_HEADER + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":null}}";
        return DemoResponses.json(alloc, HttpResponseStatus.valueOf(status), body.getBytes(StandardCharsets.UTF_8));
    }
}
