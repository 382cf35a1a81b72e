package dev.llmproxy.exchange;

import dev.llmproxy.openai.ProxyError;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;

/** What an exchange needs from the client connection that owns it. Called on the client channel's event loop. */
public interface ClientLeg {

    Channel channel();

    /** Adds the proxy's own headers (e.g. {@code X-Upstream-Active}) to a response head about to be sent. */
    void decorate(HttpHeaders responseHeaders);

    /** Whether the connection stays open after this response (false once the proxy is draining for shutdown). */
    boolean keepAliveAfterResponse();

    /** Answers with the error envelope (no response byte has been written yet), then ends the exchange. */
    void sendError(ProxyError error);

    /**
     * The response is fully written (or abandoned). {@code reusable} false closes the client connection; true lets
     * the next pipelined or keep-alive request in.
     */
    void exchangeDone(boolean reusable);

    /** An upstream response head arrived (before any policy decision): what the upstream says about itself. */
    default void observeHead(int status, HttpHeaders headers) {
    }

    /**
     * An upstream response head with {@code status} arrived and the upstream policy would forward it: null to
     * forward it, or the error this attempt failed with instead (a retired upstream's 410; a 5xx or 429 while another
     * upstream may still serve the request).
     */
    default ProxyError judgeHead(int status, HttpHeaders headers) {
        return null;
    }

    /**
     * The exchange failed before any response byte reached the client, and has ended. Returns true when the client
     * leg took the request to the next upstream of its route (a new exchange); false to answer {@code error}.
     */
    default boolean failover(ProxyError error) {
        return false;
    }
}
