package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/**
 * The context pre-check the proxy runs before spending an upstream request: a chat or embeddings body whose prompt
 * cannot fit the model's input limit (the catalog's {@code max_input_tokens}, or the GitHub plan's per-request cap
 * when that is lower, see {@link TokenLimits}) is answered 400 {@code context_length_exceeded} locally, with the
 * counts and {@code suggestions} of models that can take it.
 *
 * <h2>What is refused</h2>
 * Only what cannot fit: the count must exceed the limit, and for models whose tokenizer jtokkit lacks (every
 * non-OpenAI model, counted with {@code cl100k_base} as an estimate) it must exceed the limit by more than
 * {@link #ESTIMATE_MARGIN} — their own tokenizers may count fewer tokens, and refusing a prompt the upstream would
 * have taken is worse than letting the upstream refuse it. Models the catalog does not know, and models without a
 * known input limit, are never refused here (the upstream answers for them). Tools definitions and images are not
 * counted (see {@link TokenCounter#countChat}), so the count can only be low, never high.
 *
 * <h2>Cheap when it can be</h2>
 * Tokenizing costs CPU in proportion to the text; most prompts are far below their limit. Every token of jtokkit's
 * byte-level BPE encodings covers at least one UTF-8 byte, and JSON escapes are never shorter than the characters
 * they stand for, so the prompt's tokens never outnumber the bytes of the JSON body that carries it (the chat
 * overhead of 3 tokens per message object and 3 for the reply fits inside each message's braces and separator and
 * the body's own {@code "messages":} key). A body whose size in bytes is within the limit therefore fits without
 * being tokenized. (Malformed messages that are not objects break the argument; those bodies are tokenized.)
 *
 * <p>Threading: stateless; safe from any thread. When it tokenizes, the cost is proportional to the body, which is
 * bounded by the request-body cap.
 */
public final class PromptCheck {
    /** How far an estimated count (non-OpenAI models) may exceed the limit before the proxy refuses the prompt. */
    public static final double ESTIMATE_MARGIN = 0.10;

    private final LiveCatalog catalog;
    private final TokenCounter tokens;
    private final ModelAdvisor advisor;

    public PromptCheck(LiveCatalog catalog, TokenCounter tokens, ModelAdvisor advisor) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.advisor = Objects.requireNonNull(advisor, "advisor");
    }

    /**
     * What the check decided, and whether it had to tokenize.
     *
     * @param error        the 400 to answer, or null when the request may go upstream
     * @param promptTokens the counted tokens, or -1 when the check did not count (unknown model or limit, or the
     *                     body's size proved it fits)
     */
    record Verdict(ProxyError error, long promptTokens) {
        static final Verdict PASS_UNCOUNTED = new Verdict(null, -1);
    }

    /** {@link #check(JsonNode, long, String, GitHubModelsPlan)} without the body's size: always tokenizes. */
    public ProxyError check(JsonNode body, String model, GitHubModelsPlan plan) {
        return check(body, -1, model, plan);
    }

    /**
     * Null when the prompt of {@code body} fits {@code model}; else the 400 {@code context_length_exceeded} error
     * with {@code context: {prompt_tokens, limit, model, tokenizer, exact, limit_source}} and {@code suggestions}.
     *
     * @param body      the request body as it goes upstream: a chat body ({@code messages}) or an embeddings body
     *                  ({@code input}); anything else passes
     * @param bodyBytes the size in bytes of the JSON text that carries {@code body}'s prompt (the client's body or
     *                  its rewrite), or -1 when unknown
     * @param model     the model the request goes to (a catalog id or a name that resolves to one)
     * @param plan      the GitHub plan whose caps apply, or null when none does
     */
    public ProxyError check(JsonNode body, long bodyBytes, String model, GitHubModelsPlan plan) {
        return evaluate(body, bodyBytes, model, plan).error();
    }

    /**
     * The same check for a prepared request and the bytes it sends upstream. A peeked request is parsed into a tree
     * only when its prompt must be counted: the peek tells whether {@code messages} is an array of objects or an
     * {@code input} is there, and most bodies fit by their size alone.
     */
    public ProxyError check(OpenAiRequests.Prepared prepared, ByteBuf upstreamBytes, GitHubModelsPlan plan) {
        long bodyBytes = upstreamBytes.readableBytes();
        RequestPeek peek = prepared.peek();
        if (peek == null) {
            return check(prepared.upstreamBody(), bodyBytes, prepared.upstreamModel(), plan);
        }
        boolean chat = peek.messagesArray();
        if (!chat && !peek.hasInput()) {
            return null;
        }
        long refuseAbove = refuseAbove(prepared.upstreamModel(), plan);
        if (refuseAbove < 0 || bodyBytes <= refuseAbove && (!chat || peek.messagesAllObjects())) {
            return null;
        }
        return check(prepared.upstreamTree(upstreamBytes), bodyBytes, prepared.upstreamModel(), plan);
    }

    /** The count above which {@code requestedModel}'s prompt is refused, or -1 when the model or its limit is unknown. */
    private long refuseAbove(String requestedModel, GitHubModelsPlan plan) {
        ModelCatalog models = catalog.current();
        CatalogModel model = models.find(models.resolve(requestedModel)).orElse(null);
        if (model == null) {
            return -1;
        }
        TokenLimits limits = TokenLimits.of(model, plan);
        if (limits.input() == null) {
            return -1;
        }
        return tokens.exact(model.id()) ? limits.input()
                : (long) Math.floor(limits.input() * (1 + ESTIMATE_MARGIN));
    }

    Verdict evaluate(JsonNode body, long bodyBytes, String requestedModel, GitHubModelsPlan plan) {
        if (body == null || !body.isObject() || requestedModel == null) {
            return Verdict.PASS_UNCOUNTED;
        }
        JsonNode messages = body.get("messages");
        JsonNode input = body.get("input");
        boolean chat = messages != null && messages.isArray();
        if (!chat && input == null) {
            return Verdict.PASS_UNCOUNTED;
        }
        ModelCatalog models = catalog.current();
        CatalogModel model = models.find(models.resolve(requestedModel)).orElse(null);
        if (model == null) {
            return Verdict.PASS_UNCOUNTED;
        }
        TokenLimits limits = TokenLimits.of(model, plan);
        if (limits.input() == null) {
            return Verdict.PASS_UNCOUNTED;
        }
        boolean exact = tokens.exact(model.id());
        long refuseAbove = exact ? limits.input() : (long) Math.floor(limits.input() * (1 + ESTIMATE_MARGIN));
        if (bodyBytes >= 0 && bodyBytes <= refuseAbove && (!chat || allObjects(messages))) {
            return Verdict.PASS_UNCOUNTED;
        }
        long count = chat ? tokens.countChat(messages, model.id()) : tokens.countInput(input, model.id());
        if (count <= refuseAbove) {
            return new Verdict(null, count);
        }
        return new Verdict(tooLong(body, chat, count, model, limits, exact, plan), count);
    }

    private ProxyError tooLong(JsonNode body, boolean chat, long count, CatalogModel model, TokenLimits limits,
                               boolean exact, GitHubModelsPlan plan) {
        String tokenizer = tokens.tokenizer(model.id());
        String limitWords = limits.inputFromPlan()
                ? limits.input() + " tokens per request (the GitHub " + plan.wireName()
                + " plan's limit; the model itself accepts " + model.maxInputTokens() + ")"
                : limits.input() + " tokens";
        String message = "This model's maximum input is " + limitWords + ". However, your "
                + (chat ? "messages" : "input") + " resulted in " + count + " tokens"
                + (exact ? "" : " (estimated with " + tokenizer + ")")
                + ". Please reduce the length of the " + (chat ? "messages" : "input")
                + ", or use a model with a larger input limit (see suggestions).";
        ObjectNode context = Json.object();
        context.put("prompt_tokens", count);
        context.put("limit", limits.input());
        context.put("model", model.id());
        context.put("tokenizer", tokenizer);
        context.put("exact", exact);
        context.put("limit_source", limits.inputSource());
        ProxyError error = ProxyError.of(ErrorKind.CONTEXT_LENGTH_EXCEEDED, message, chat ? "messages" : "input")
                .withExtra("context", context);
        RequestProfile profile = RequestProfile.of(body).withPromptTokens(count).withPlan(plan);
        return advisor.withSuggestions(error, profile, model.id());
    }

    private static boolean allObjects(JsonNode messages) {
        for (JsonNode message : messages) {
            if (!message.isObject()) {
                return false;
            }
        }
        return true;
    }
}
