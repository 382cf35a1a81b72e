package dev.llmproxy.upstream;

import io.netty.handler.codec.http.HttpObject;

/** What an upstream connection reports to the exchange it currently serves. Called on the connection's event loop. */
public interface UpstreamListener {

    /** A decoded response part; the listener owns it and must release it. */
    void onUpstreamMessage(HttpObject message);

    /** The end of one read from the socket: the moment to flush what was forwarded and decide on the next read. */
    void onUpstreamReadComplete();

    /** The connection closed or failed; {@code cause} is null for an orderly close. */
    void onUpstreamClosed(Throwable cause);
}
