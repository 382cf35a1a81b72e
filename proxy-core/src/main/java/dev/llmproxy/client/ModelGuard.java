package dev.llmproxy.client;

import dev.llmproxy.exchange.ResponseConverter;
import dev.llmproxy.exchange.SuggestingConverter;
import dev.llmproxy.openai.CatalogModel;
import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.GitHubModelsPlan;
import dev.llmproxy.openai.ModelAdvisor;
import dev.llmproxy.openai.ModelCatalog;
import dev.llmproxy.openai.OpenAiRequests;
import dev.llmproxy.openai.Operation;
import dev.llmproxy.openai.PlanLimits;
import dev.llmproxy.openai.ProxyError;
import dev.llmproxy.openai.RequestProfile;
import io.netty.buffer.ByteBuf;

/**
 * What the proxy decides about a request's model before and around its upstream call, from the live catalog: a model
 * the configured GitHub plan cannot use (403 {@code model_not_available}), a prompt that cannot fit (400
 * {@code context_length_exceeded}), and {@code suggestions} of catalog models that can serve the same request on
 * those errors, on a daily quota that ran out and on the upstream's "unknown model" answer.
 *
 * <p>Threading: stateless; {@link #checkPrompt} may run on any thread (the handler runs large prompts off the event
 * loop), the rest is cheap enough for the event loop.
 */
final class ModelGuard {
    /** Bodies up to this size are checked on the event loop; tokenizing more would hold it for milliseconds. */
    static final int INLINE_CHECK_BYTES = 16 * 1024;

    private final ClientServices services;

    ModelGuard(ClientServices services) {
        this.services = services;
    }

    /**
     * 403 with suggestions when the plan in force cannot use the request's model at all; else null.
     *
     * @param body the request's bytes (read only to suggest alternatives)
     */
    ProxyError availability(OpenAiRequests.Prepared prepared, ByteBuf body) {
        if (services.plan() == null) {
            return null;
        }
        ModelCatalog catalog = services.catalog().current();
        CatalogModel model = catalog.find(prepared.upstreamModel()).orElse(null);
        if (model == null || PlanLimits.limitsFor(model, services.plan()).available()) {
            return null;
        }
        ProxyError error = ProxyError.of(ErrorKind.MODEL_NOT_AVAILABLE, "The model '" + model.id()
                + "' is not available on the GitHub " + services.plan().wireName() + " plan (GITHUB_MODELS_PLAN)");
        return services.advisor().withSuggestions(error, profile(prepared, body), prepared.clientModel());
    }

    /** Whether the context pre-check applies to {@code operation} (chat, legacy completions and embeddings). */
    boolean checksPrompt(Operation operation) {
        return services.promptCheck() != null && operation != Operation.AUDIO_SPEECH
                && operation != Operation.RESPONSES;
    }

    /**
     * 400 {@code context_length_exceeded} with counts and suggestions when the prompt cannot fit; else null.
     *
     * @param upstreamBytes the JSON body that goes upstream (parsed only when the prompt must be counted)
     */
    ProxyError checkPrompt(OpenAiRequests.Prepared prepared, ByteBuf upstreamBytes) {
        return services.promptCheck().check(prepared, upstreamBytes, services.plan());
    }

    /**
     * {@code error} with suggestions when it is a daily quota that ran out; other rejections unchanged.
     *
     * @param body the request's bytes, still held (read only to suggest alternatives)
     */
    ProxyError onRejected(ProxyError error, OpenAiRequests.Prepared prepared, ByteBuf body) {
        if (error.kind() != ErrorKind.DAILY_QUOTA_EXHAUSTED) {
            return error;
        }
        return services.advisor().withSuggestions(error, profile(prepared, body), prepared.upstreamModel());
    }

    /**
     * {@code converter}, adding suggestions to the upstream's "unknown model" answer.
     *
     * @param body the request's bytes, held until the request ends (read only when the upstream does not know the
     *             model)
     */
    ResponseConverter suggestingOnUnknownModel(ResponseConverter converter, OpenAiRequests.Prepared prepared,
                                               ByteBuf body) {
        return new SuggestingConverter(converter, () -> services.advisor().suggest(profile(prepared, body),
                prepared.clientModel(), ModelAdvisor.DEFAULT_SUGGESTIONS));
    }

    /** What the request needs of a model; a peeked body is parsed here (error paths only). */
    static RequestProfile profile(OpenAiRequests.Prepared prepared, ByteBuf body, GitHubModelsPlan plan) {
        return RequestProfile.of(prepared.upstreamTree(body)).withPlan(plan);
    }

    private RequestProfile profile(OpenAiRequests.Prepared prepared, ByteBuf body) {
        return profile(prepared, body, services.plan());
    }
}
