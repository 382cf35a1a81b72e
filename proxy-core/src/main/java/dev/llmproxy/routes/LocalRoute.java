package dev.llmproxy.routes;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;

/** An endpoint the proxy answers itself, on the event loop, without blocking. */
@FunctionalInterface
public interface LocalRoute {

    /**
     * @param request the request head (its body, if any, has been read and discarded)
     * @param pathArg the variable part of a template path, or null
     */
    FullHttpResponse respond(HttpRequest request, String pathArg);
}
