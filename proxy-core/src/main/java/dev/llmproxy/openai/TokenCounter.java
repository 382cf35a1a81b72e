package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

import java.util.Locale;
import java.util.Map;

/**
 * Counts tokens the way OpenAI's tokenizers do, for the proxy's estimates: token accounting when an upstream sends no
 * {@code usage}, and the context pre-check. OpenAI models get their own encoding ({@code o200k_base} for the
 * gpt-4o, gpt-4.1, gpt-4.5, gpt-5 and o1/o3/o4 families; {@code cl100k_base} for gpt-4, gpt-3.5 and the
 * text-embedding models), so their counts are {@linkplain #exact exact}. Every other publisher's model (Llama,
 * Mistral, Phi, DeepSeek …) has a tokenizer jtokkit does not ship; for those {@code cl100k_base} is the stated
 * estimate, typically within ~10–20% of the real count for English text.
 *
 * <p>Special-token text in the input ({@code <|endoftext|>} …) is counted as ordinary text, as the API does for
 * user content; it never throws.
 *
 * <p>Threading: immutable; the two encodings are built once in the constructor (loading their rank tables takes a
 * few hundred milliseconds, so build one instance at start-up and pass it on) and are safe to share across event
 * loops. Counting is CPU work proportional to the text; callers on an event loop should keep the text bounded.
 */
public final class TokenCounter {
    /** Every message costs this much beyond its values: {@code <|start|>role<|message|>…<|end|>}. */
    static final int TOKENS_PER_MESSAGE = 3;
    /** A {@code name} on a message costs one more token. */
    static final int TOKENS_PER_NAME = 1;
    /** The reply is primed with {@code <|start|>assistant<|message|>}. */
    static final int REPLY_PRIMING_TOKENS = 3;

    // Function definitions, by OpenAI's published accounting (the cookbook's num_tokens_for_tools).
    /** Each function's own overhead on {@code o200k_base} models. */
    static final int FUNCTION_INIT_O200K = 7;
    /** Each function's own overhead on {@code cl100k_base} models. */
    static final int FUNCTION_INIT_CL100K = 10;
    /** A function with parameters: once for its property list. */
    static final int PROPERTIES_INIT = 3;
    /** Each property. */
    static final int PROPERTY_KEY = 3;
    /** A property with an {@code enum} (the list replaces part of the line). */
    static final int ENUM_INIT = -3;
    /** Each {@code enum} value, beyond its own tokens. */
    static final int ENUM_ITEM = 3;
    /** Once for the whole tool list. */
    static final int FUNCTIONS_END = 12;

    /** OpenAI model families on {@code o200k_base}: prefixes of the model name after the publisher. */
    private static final String[] O200K_PREFIXES = {
            "gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4"};
    /** OpenAI model families on {@code cl100k_base}. */
    private static final String[] CL100K_PREFIXES = {
            "gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002"};

    private final Encoding o200k;
    private final Encoding cl100k;

    public TokenCounter() {
        EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
        this.o200k = registry.getEncoding(EncodingType.O200K_BASE);
        this.cl100k = registry.getEncoding(EncodingType.CL100K_BASE);
    }

    /** Tokens in {@code text} under the model's encoding; 0 for null or empty text. */
    public int count(String text, String model) {
        return count(text, encoding(model));
    }

    /**
     * Prompt tokens of a chat request's {@code messages}, with the chat format's overhead as OpenAI documents it
     * (the cookbook's {@code num_tokens_from_messages}): 3 per message, the tokens of each of its string values
     * ({@code role}, {@code content}, {@code name} …), 1 more for a {@code name}, and 3 for the reply's priming.
     *
     * <p>Content given as an array of parts counts its text parts ({@code {"type":"text","text":…}}). Image and
     * audio parts are <em>not</em> counted: their cost depends on size and detail settings the proxy does not
     * model, so a prompt with images is under-estimated. A message's {@code tool_calls} count the function names and
     * arguments; other non-string values are ignored. Anything not shaped like messages counts as nothing — never
     * an exception.
     *
     * @param messages the request's {@code messages} array; null or not an array counts 0
     */
    public int countChat(JsonNode messages, String model) {
        if (messages == null || !messages.isArray()) {
            return 0;
        }
        Encoding encoding = encoding(model);
        int tokens = REPLY_PRIMING_TOKENS;
        for (JsonNode message : messages) {
            tokens += TOKENS_PER_MESSAGE;
            if (!message.isObject()) {
                continue;
            }
            for (Map.Entry<String, JsonNode> field : message.properties()) {
                JsonNode value = field.getValue();
                switch (field.getKey()) {
                    case "content" -> tokens += countContent(value, encoding);
                    case "tool_calls" -> tokens += countToolCalls(value, encoding);
                    case "name" -> tokens += count(value.textValue(), encoding) + TOKENS_PER_NAME;
                    default -> tokens += count(value.textValue(), encoding);
                }
            }
        }
        return tokens;
    }

    /**
     * Prompt tokens that a chat request's {@code tools} add, by OpenAI's published accounting for function
     * definitions (the cookbook's {@code num_tokens_for_tools}): per function a fixed overhead (7 on
     * {@code o200k_base}, 10 on {@code cl100k_base}) plus the tokens of {@code "name:description"}; per parameter
     * property 3 plus {@code "key:type:description"} (a final period dropped, as the cookbook does), an {@code enum}
     * adding 3 and the tokens of each value, less 3 once; 12 once for the list. Add it to {@link #countChat}.
     *
     * <p>The cookbook covers flat parameters. Nested object properties (and objects inside {@code items}) are counted
     * by the same rule, one level at a time — an estimate, as OpenAI publishes no rule for them; {@code $ref},
     * {@code anyOf} and other schema keywords are not counted.
     *
     * @param tools the request's {@code tools} array ({@code [{"type":"function","function":{…}}]}); null or empty
     *              counts 0
     */
    public int countTools(JsonNode tools, String model) {
        if (tools == null || !tools.isArray() || tools.isEmpty()) {
            return 0;
        }
        Encoding encoding = encoding(model);
        int functionInit = encoding == o200k ? FUNCTION_INIT_O200K : FUNCTION_INIT_CL100K;
        int tokens = 0;
        for (JsonNode tool : tools) {
            JsonNode function = tool.path("function");
            tokens += functionInit;
            tokens += count(function.path("name").asText("") + ":"
                    + withoutFinalPeriod(function.path("description").asText("")), encoding);
            tokens += countProperties(function.path("parameters").path("properties"), encoding);
        }
        return tokens + FUNCTIONS_END;
    }

    private static int countProperties(JsonNode properties, Encoding encoding) {
        if (!properties.isObject() || properties.isEmpty()) {
            return 0;
        }
        int tokens = PROPERTIES_INIT;
        for (Map.Entry<String, JsonNode> property : properties.properties()) {
            JsonNode schema = property.getValue();
            tokens += PROPERTY_KEY;
            JsonNode values = schema.path("enum");
            if (values.isArray()) {
                tokens += ENUM_INIT;
                for (JsonNode value : values) {
                    tokens += ENUM_ITEM + count(value.asText(), encoding);
                }
            }
            JsonNode type = schema.path("type");
            String typeText = type.isTextual() ? type.textValue() : type.isArray() ? type.toString() : "";
            tokens += count(property.getKey() + ":" + typeText + ":"
                    + withoutFinalPeriod(schema.path("description").asText("")), encoding);
            tokens += countProperties(schema.path("properties"), encoding);
            tokens += countProperties(schema.path("items").path("properties"), encoding);
        }
        return tokens;
    }

    private static String withoutFinalPeriod(String text) {
        return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    }

    /**
     * Prompt tokens of an embeddings request's {@code input}: a string, an array of strings, or token arrays (each
     * id is one token). No per-item overhead: the embeddings API adds none.
     */
    public int countInput(JsonNode input, String model) {
        if (input == null) {
            return 0;
        }
        if (input.isTextual()) {
            return count(input.textValue(), model);
        }
        if (!input.isArray()) {
            return 0;
        }
        Encoding encoding = encoding(model);
        int tokens = 0;
        for (JsonNode item : input) {
            if (item.isTextual()) {
                tokens += count(item.textValue(), encoding);
            } else if (item.isIntegralNumber()) {
                tokens++;
            } else if (item.isArray()) {
                tokens += item.size();
            }
        }
        return tokens;
    }

    /**
     * Prompt tokens of either request shape: a chat {@code messages} array (an array whose first element is an
     * object) goes to {@link #countChat}, anything else to {@link #countInput}.
     */
    public int countPrompt(JsonNode prompt, String model) {
        if (prompt != null && prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isObject()) {
            return countChat(prompt, model);
        }
        return countInput(prompt, model);
    }

    /** The encoding used for {@code model}: {@code "o200k_base"} or {@code "cl100k_base"}. */
    public String tokenizer(String model) {
        return encoding(model).getName();
    }

    /**
     * True when the count is the model's real one: OpenAI models of a known family. Other publishers, and OpenAI
     * ids of a family this class does not know, are estimates.
     */
    public boolean exact(String model) {
        String name = openAiName(model);
        return name != null && (startsWithAny(name, O200K_PREFIXES) || startsWithAny(name, CL100K_PREFIXES));
    }

    private Encoding encoding(String model) {
        String name = openAiName(model);
        if (name == null) {
            return cl100k;
        }
        if (startsWithAny(name, O200K_PREFIXES)) {
            return o200k;
        }
        if (startsWithAny(name, CL100K_PREFIXES)) {
            return cl100k;
        }
        return o200k; // a newer OpenAI family: its current encoding is the better guess
    }

    /**
     * The model name without its {@code openai/} publisher, lower-cased, when the model is OpenAI's: either the
     * catalog id {@code openai/…} or a bare name of a known OpenAI family ({@code gpt-4o-mini}). Null otherwise.
     */
    private static String openAiName(String model) {
        if (model == null) {
            return null;
        }
        String lower = model.toLowerCase(Locale.ROOT);
        int slash = lower.indexOf('/');
        if (slash >= 0) {
            return lower.startsWith("openai/") ? lower.substring(slash + 1) : null;
        }
        return startsWithAny(lower, O200K_PREFIXES) || startsWithAny(lower, CL100K_PREFIXES) ? lower : null;
    }

    private static boolean startsWithAny(String name, String[] prefixes) {
        for (String prefix : prefixes) {
            if (name.startsWith(prefix) && isFamilyBoundary(name, prefix.length())) {
                return true;
            }
        }
        return false;
    }

    /** {@code o1} matches {@code o1} and {@code o1-mini}, not {@code o10}; {@code gpt-4} does not match {@code gpt-4o}. */
    private static boolean isFamilyBoundary(String name, int end) {
        if (end == name.length()) {
            return true;
        }
        char next = name.charAt(end);
        return next == '-' || next == '.' || next == '_' || next == ':' || next == '@';
    }

    private static int countContent(JsonNode content, Encoding encoding) {
        if (content == null || content.isNull()) {
            return 0;
        }
        if (content.isTextual()) {
            return count(content.textValue(), encoding);
        }
        int tokens = 0;
        if (content.isArray()) {
            for (JsonNode part : content) {
                JsonNode text = part.get("text");
                if (text != null && text.isTextual()) {
                    tokens += count(text.textValue(), encoding);
                }
            }
        }
        return tokens;
    }

    private static int countToolCalls(JsonNode toolCalls, Encoding encoding) {
        int tokens = 0;
        if (toolCalls != null && toolCalls.isArray()) {
            for (JsonNode call : toolCalls) {
                JsonNode function = call.path("function");
                tokens += count(function.path("name").textValue(), encoding);
                tokens += count(function.path("arguments").textValue(), encoding);
            }
        }
        return tokens;
    }

    /** Texts longer than this are counted piece by piece: BPE on one huge "word" costs far more than linear time. */
    static final int PIECE_CHARS = 16 * 1024;

    private static int count(String text, Encoding encoding) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        if (text.length() <= PIECE_CHARS) {
            return encoding.countTokensOrdinary(text);
        }
        // Cut just before whitespace where there is some (the tokenizer's own pre-split puts a word's leading space
        // with the word, so the count stays exact); a run without whitespace is cut where the piece ends, which may
        // count a token or two more than the model would at each cut, in exchange for linear time.
        int tokens = 0;
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + PIECE_CHARS);
            if (end < text.length()) {
                int cut = end;
                while (cut > start + PIECE_CHARS / 2 && !Character.isWhitespace(text.charAt(cut))) {
                    cut--;
                }
                if (cut > start + PIECE_CHARS / 2) {
                    end = cut;
                } else if (Character.isHighSurrogate(text.charAt(end - 1))) {
                    end--; // never split a surrogate pair
                }
            }
            tokens += encoding.countTokensOrdinary(text.substring(start, end));
            start = end;
        }
        return tokens;
    }
}
