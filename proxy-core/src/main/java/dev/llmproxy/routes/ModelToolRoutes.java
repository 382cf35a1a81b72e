package dev.llmproxy.routes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.CodeGenerator;
import dev.llmproxy.openai.ContextCheck;
import dev.llmproxy.openai.GitHubModelsPlan;
import dev.llmproxy.openai.ModelRecommender;
import dev.llmproxy.openai.ProxyErrorException;
import dev.llmproxy.openai.RequestJson;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The proxy's own model tools, answered without an upstream call: {@code POST /v1/check-context} (real token counts
 * against the model's real input limit), {@code POST /v1/recommend-model} (top 3 of the live catalog for a set of
 * requirements) and {@code POST /api/generate-code} (a runnable client snippet for this proxy). A client mistake is
 * the OpenAI error envelope with the status the domain class chose.
 *
 * <p>Threading: check-context tokenizes up to {@code MAX_REQUEST_BODY_BYTES} of text, so it runs on {@code work},
 * never on an event loop; the other two are a pass over 58 precomputed entries or a string template and answer on
 * the event loop.
 */
public final class ModelToolRoutes {
    /** What a {@code Host} header may hold to become the base URL in a generated snippet. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+](:[0-9]{1,5})?");

    private final ContextCheck contextCheck;
    private final ModelRecommender recommender;
    private final GitHubModelsPlan plan;
    private final String fallbackAuthority;
    private final Executor work;

    /**
     * @param plan              the GitHub plan whose per-request caps the context check applies, or null for none
     * @param fallbackAuthority {@code host:port} for generated snippets when a request has no usable {@code Host}
     * @param work              where token counting runs
     */
    public ModelToolRoutes(ContextCheck contextCheck, ModelRecommender recommender, GitHubModelsPlan plan,
                           String fallbackAuthority, Executor work) {
        this.contextCheck = Objects.requireNonNull(contextCheck, "contextCheck");
        this.recommender = Objects.requireNonNull(recommender, "recommender");
        this.plan = plan;
        this.fallbackAuthority = Objects.requireNonNull(fallbackAuthority, "fallbackAuthority");
        this.work = Objects.requireNonNull(work, "work");
    }

    /** {@code POST /v1/check-context}, counted on {@code work}. */
    public LocalRoute checkContext() {
        return new LocalRoute() {
            @Override
            public FullHttpResponse respond(LocalRequest request) {
                return answer(request, body -> contextCheck.check(body, plan).toJson());
            }

            @Override
            public CompletionStage<FullHttpResponse> respondAsync(LocalRequest request) {
                return OffLoop.answer(request, () -> respond(request), work);
            }
        };
    }

    /** {@code POST /v1/recommend-model}. */
    public FullHttpResponse recommendModel(LocalRequest request) {
        return answer(request, recommender::recommend);
    }

    /** {@code POST /api/generate-code}: the snippet's base URL is the one this request reached the proxy at. */
    public FullHttpResponse generateCode(LocalRequest request) {
        String host = request.head().headers().get(HttpHeaderNames.HOST);
        String authority = host != null && HOST.matcher(host).matches() ? host : fallbackAuthority;
        CodeGenerator generator = new CodeGenerator("http://" + authority + "/v1");
        return answer(request, generator::generate);
    }

    private static FullHttpResponse answer(LocalRequest request, Function<JsonNode, JsonNode> handler) {
        try {
            JsonNode body = RequestJson.parse(request.body());
            return Responses.json(request.version(), HttpResponseStatus.OK, handler.apply(body));
        } catch (ProxyErrorException e) {
            return Responses.error(request.version(), e.error());
        }
    }
}
