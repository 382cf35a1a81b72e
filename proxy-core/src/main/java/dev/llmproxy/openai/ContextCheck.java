package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Objects;

/**
 * {@code POST /v1/check-context}: does a text or a conversation fit a model? Real token counts ({@link TokenCounter})
 * against the model's real input limit, where the reference estimated characters/4 against a table of seven legacy
 * names (REFERENCE §2.11, §7).
 *
 * <h2>Request</h2>
 * {@code {text | messages, model, max_tokens?}}: exactly one of {@code text} (a string, counted as plain text) or
 * {@code messages} (an array of message objects, counted with the chat format's overhead, as the API bills it);
 * {@code model} a string, resolved like every model name ({@link ModelCatalog#resolve}); {@code max_tokens} an
 * optional non-negative integer. An empty {@code text} is allowed (0 tokens; the reference refused it as falsy).
 *
 * <h2>Response</h2>
 * The reference's {@code estimatedTokens}, {@code limit}, {@code fits}, {@code usage} (percentage of the limit with
 * one decimal, as a string, like JavaScript's {@code toFixed(1)}), then {@code maxOutputTokens}, {@code remaining}
 * ({@code limit − estimatedTokens}; negative by as much as the prompt is over), {@code tokenizer}, {@code exact}
 * (true only for OpenAI models, whose tokenizer jtokkit has), {@code model} (the resolved id), {@code limitSource}
 * ({@code plan} when the GitHub plan's per-request cap is below the model's own limit, else where the model's limit
 * came from: {@code listing}, {@code known-models}, {@code catalog}, {@code config}, or {@code unknown}) and
 * {@code modelInputLimit} (the model's own input limit). {@code limit} is the smaller of the two (see
 * {@link TokenLimits}); when neither is known, {@code limit}, {@code fits}, {@code usage} and {@code remaining} are
 * null.
 *
 * <p>{@code fits}: the prompt is within {@code limit}, and, when {@code max_tokens} is given and the model's output
 * limit ({@code maxOutputTokens}: the catalog's, lowered by the plan's cap) is known, {@code max_tokens} is within
 * it. The two are separate limits in GitHub's catalog and plans, so they are not added together.
 *
 * <p>An unknown model is a 404 with {@code suggestions}: models that can take this prompt.
 *
 * <p>Threading: stateless; safe from any thread. Counting is CPU work proportional to the text (roughly a
 * millisecond per 10–20 KB): run large bodies off the event loop.
 */
public final class ContextCheck {
    private final LiveCatalog catalog;
    private final TokenCounter tokens;
    private final ModelAdvisor advisor;

    public ContextCheck(LiveCatalog catalog, TokenCounter tokens, ModelAdvisor advisor) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.advisor = Objects.requireNonNull(advisor, "advisor");
    }

    /**
     * The endpoint's result.
     *
     * @param model            the resolved catalog id
     * @param estimatedTokens  the prompt's tokens
     * @param limit            the input limit in force, or null when unknown
     * @param fits             see the class comment; null when the limit is unknown
     * @param usage            {@code estimatedTokens / limit · 100} with one decimal, or null
     * @param maxOutputTokens  the output limit in force, or null when unknown
     * @param remaining        {@code limit − estimatedTokens}, or null
     * @param tokenizer        {@code o200k_base} or {@code cl100k_base}
     * @param exact            whether the count is the model's own
     * @param limitSource      {@code plan}, or the model's own {@link LimitSource} by its wire name
     * @param modelInputLimit  the model's own input limit, or null
     * @param maxTokens        the request's {@code max_tokens}, or null
     * @param suggestions      when it does not fit: catalog ids that take the prompt, best first; else null
     */
    public record Result(String model, long estimatedTokens, Integer limit, Boolean fits, String usage,
                         Integer maxOutputTokens, Long remaining, String tokenizer, boolean exact,
                         String limitSource, Integer modelInputLimit, Long maxTokens, List<String> suggestions) {

        public ObjectNode toJson() {
            ObjectNode json = Json.object();
            json.put("estimatedTokens", estimatedTokens);
            json.put("limit", limit);
            json.put("fits", fits);
            json.put("usage", usage);
            json.put("maxOutputTokens", maxOutputTokens);
            json.put("remaining", remaining);
            json.put("tokenizer", tokenizer);
            json.put("exact", exact);
            json.put("model", model);
            json.put("limitSource", limitSource);
            json.put("modelInputLimit", modelInputLimit);
            if (suggestions != null) {
                suggestions.forEach(json.putArray("suggestions")::add);
            }
            if (maxTokens != null) {
                json.put("max_tokens", maxTokens);
            }
            return json;
        }
    }

    /**
     * Checks one request body.
     *
     * @param plan the GitHub plan whose per-request caps apply, or null when none does
     * @throws ProxyErrorException 400 for a malformed body (naming the field), 404 {@code model_not_found} with
     *                             {@code suggestions} for a model the catalog does not have
     */
    public Result check(JsonNode body, GitHubModelsPlan plan) {
        if (body == null || !body.isObject()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER, "request body: " + RequestJson.typeName(body)
                    + " (expected: a JSON object {text | messages, model, max_tokens?})", null);
        }
        String requested = model(body.get("model"));
        JsonNode text = presentOrNull(body.get("text"));
        JsonNode messages = presentOrNull(body.get("messages"));
        if (text != null && messages != null) {
            throw ProxyErrorException.of(ErrorKind.INVALID_VALUE,
                    "text, messages: both given (expected: exactly one of them)", "text");
        }
        if (text == null && messages == null) {
            throw ProxyErrorException.of(ErrorKind.MISSING_PARAMETER,
                    "text: missing (expected: a string 'text' or an array 'messages')", "text");
        }
        if (text != null && !text.isTextual()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER,
                    "text: " + RequestJson.typeName(text) + " (expected: a string)", "text");
        }
        if (messages != null) {
            checkMessages(messages);
        }
        Long maxTokens = maxTokens(body.get("max_tokens"));

        ModelCatalog models = catalog.current();
        String id = models.resolve(requested);
        long estimated = text != null ? tokens.count(text.textValue(), id) : tokens.countChat(messages, id);
        CatalogModel model = models.find(id).orElse(null);
        RequestProfile profile = (messages != null ? RequestProfile.of(body) : RequestProfile.chat())
                .withPromptTokens(estimated).withPlan(plan);
        if (model == null) {
            throw new ProxyErrorException(advisor.withSuggestions(ProxyError.of(ErrorKind.MODEL_NOT_FOUND,
                    "The model '" + requested + "' does not exist; call /v1/models to list available ids"),
                    profile, requested));
        }
        TokenLimits limits = TokenLimits.of(model, plan);
        Integer limit = limits.input();
        Boolean fits = null;
        String usage = null;
        Long remaining = null;
        if (limit != null) {
            boolean outputFits = maxTokens == null || limits.output() == null || maxTokens <= limits.output();
            fits = estimated <= limit && outputFits;
            usage = limit > 0 ? percent(estimated, limit) : null;
            remaining = limit - estimated;
        }
        List<String> suggestions = null;
        if (Boolean.FALSE.equals(fits)) {
            suggestions = advisor.suggest(profile, model.id(), ModelAdvisor.DEFAULT_SUGGESTIONS);
        }
        return new Result(model.id(), estimated, limit, fits, usage, limits.output(), remaining,
                tokens.tokenizer(model.id()), tokens.exact(model.id()), limits.inputSource(),
                model.maxInputTokens(), maxTokens, suggestions);
    }

    /** JavaScript's {@code (part / whole * 100).toFixed(1)}: the exact value of the double, half up, one decimal. */
    static String percent(long part, long whole) {
        double value = (double) part / whole * 100;
        return new BigDecimal(value).setScale(1, RoundingMode.HALF_UP).toPlainString();
    }

    private static String model(JsonNode model) {
        if (model == null || model.isNull() || (model.isTextual() && model.textValue().isEmpty())) {
            throw new ProxyErrorException(ProxyError.of(ErrorKind.MISSING_MODEL));
        }
        if (!model.isTextual()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER,
                    "model: " + RequestJson.typeName(model) + " (expected: a string)", "model");
        }
        return model.textValue();
    }

    private static void checkMessages(JsonNode messages) {
        if (!messages.isArray()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER,
                    "messages: " + RequestJson.typeName(messages) + " (expected: an array of message objects)",
                    "messages");
        }
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).isObject()) {
                throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER, "messages[" + i + "]: "
                        + RequestJson.typeName(messages.get(i)) + " (expected: a message object)", "messages");
            }
        }
    }

    private static Long maxTokens(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() && !(value.isNumber() && isWhole(value))) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER,
                    "max_tokens: " + RequestJson.typeName(value) + " (expected: a non-negative integer)", "max_tokens");
        }
        if (!value.canConvertToLong() || value.longValue() < 0) {
            throw ProxyErrorException.of(ErrorKind.INVALID_VALUE,
                    "max_tokens: " + value + " (expected: a non-negative integer)", "max_tokens");
        }
        return value.longValue();
    }

    /** {@code 100.0} is an integer to JavaScript clients; {@code 100.5} is not. */
    private static boolean isWhole(JsonNode number) {
        BigDecimal decimal = number.decimalValue();
        return decimal.signum() == 0 || decimal.scale() <= 0 || decimal.stripTrailingZeros().scale() <= 0;
    }

    private static JsonNode presentOrNull(JsonNode value) {
        return value == null || value.isNull() ? null : value;
    }
}
