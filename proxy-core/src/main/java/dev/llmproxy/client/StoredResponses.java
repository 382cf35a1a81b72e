package dev.llmproxy.client;

import dev.llmproxy.config.ResponsesMode;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.upstream.Hop;
import dev.llmproxy.upstream.ModelHandle;
import dev.llmproxy.upstream.Upstream;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET|DELETE /v1/responses/{id}} and {@code POST /v1/responses/{id}/cancel}: a stored response lives on the
 * native upstream that created it, so the request goes to each native upstream in file order until one does not
 * answer 404. Bridged responses are not stored, as the proxy stores nothing.
 *
 * <p>Threading: stateless; called on the client channel's event loop.
 */
final class StoredResponses {
    private final ClientServices services;

    StoredResponses(ClientServices services) {
        this.services = services;
    }

    /** Starts the request for the stored response {@code rest} ({@code id} or {@code id/cancel}); owns {@code raw}. */
    void start(String rest, ByteBuf raw, ForwardedRequest to) {
        HttpRequest request = to.request();
        if (HttpMethod.POST.equals(request.method()) && !rest.endsWith("/cancel")) {
            raw.release();
            to.sendError(ProxyError.of(ErrorKind.NOT_FOUND, "Unknown endpoint: POST /v1/responses/"
                    + PrintableText.of(rest, 200) + " (POST only for …/cancel)"));
            return;
        }
        List<Hop> natives = new ArrayList<>();
        for (Upstream u : services.upstreams().upstreams()) {
            if (u.spec().responses() == ResponsesMode.NATIVE) {
                natives.add(new Hop(u, "", ModelHandle.OTHER)); // names no model: admitted in its own bucket
            }
        }
        if (natives.isEmpty()) {
            raw.release();
            to.sendError(ProxyError.of(ErrorKind.NOT_FOUND, "No configured upstream serves the Responses API"
                    + " natively, and bridged responses are not stored: there is no response to find"));
            return;
        }
        to.forwardToEach(natives, "/responses/" + rest + Router.query(request.uri()), raw);
    }
}
