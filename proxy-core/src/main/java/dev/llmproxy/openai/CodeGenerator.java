package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Runnable client examples for this proxy, with a caller's {@code model} and {@code prompt} in them: the OpenAI SDK
 * for JavaScript (Node.js, ESM), Python and Java, and curl for bash; each as a basic, a streaming and an interactive
 * chat. {@code POST /api/generate-code} answers one snippet (REFERENCE §2.12); {@code llm-proxy generate} writes them
 * all to a directory.
 *
 * <h2>Safe embedding (the reference substituted user input unescaped, §12.24)</h2>
 * Whatever the model and prompt contain, they stay data ({@link SnippetLiterals}):
 * <ul>
 *   <li>JavaScript and Python: a JSON string literal, which both languages read as the same string, escaped so that
 *       it also stays inert pasted into HTML ({@code </script>}). JS uses double-quoted strings, never template
 *       literals, and Python never f-strings.</li>
 *   <li>Java: an ASCII string literal with octal escapes for control characters (a unicode escape of a line feed
 *       would end the literal) and unicode escapes for the rest.</li>
 *   <li>bash: the whole JSON request body is built here, JSON-encoded, then single-quoted for the shell; later turns
 *       of the interactive script go through {@code jq --arg}.</li>
 * </ul>
 * Lone surrogates become U+FFFD (no language can send them). The proxy writes no files (the reference's first call
 * rewrote {@code ./generated-examples}).
 *
 * <h2>Request and response</h2>
 * {@code {language: js|python|bash|java, type: basic|streaming|interactive, model?, prompt?}} → {@code {code}};
 * {@code curl} is another name for {@code bash}. Language and type are required and matched ignoring case; a missing
 * or empty {@code model} is {@value #DEFAULT_MODEL}, a missing or empty {@code prompt} is {@value #DEFAULT_PROMPT}.
 * An unknown language or type is a 400 (the reference answered 500). Every language has every type (the reference
 * had interactive for JS only); the streaming and interactive bash scripts use {@code jq}.
 *
 * <p>Threading: immutable; safe from any thread.
 */
public final class CodeGenerator {
    public static final String DEFAULT_MODEL = "openai/gpt-4o-mini";
    public static final String DEFAULT_PROMPT = "Hello, world!";
    /** The env variable the snippets read the proxy's client key from. */
    public static final String KEY_VARIABLE = "LLM_PROXY_KEY";

    public enum Language {
        JS("js"), PYTHON("python"), BASH("bash", "curl"), JAVA("java");

        private final List<String> wireNames;

        Language(String... wireNames) {
            this.wireNames = List.of(wireNames);
        }

        /** The name the endpoint and {@code generate --language} take. */
        public String wireName() {
            return wireNames.get(0);
        }

        /** The language one of whose names is {@code name}, ignoring case; null when none is. */
        public static Language named(String name) {
            for (Language language : values()) {
                for (String wireName : language.wireNames) {
                    if (wireName.equalsIgnoreCase(name)) {
                        return language;
                    }
                }
            }
            return null;
        }

        static String allowed() {
            return "one of js, python, bash (or curl), java";
        }
    }

    public enum Type {
        BASIC, STREAMING, INTERACTIVE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The type named {@code name}, ignoring case; null when none is. */
        public static Type named(String name) {
            for (Type type : values()) {
                if (type.name().equalsIgnoreCase(name)) {
                    return type;
                }
            }
            return null;
        }

        static String allowed() {
            return "one of basic, streaming, interactive";
        }
    }

    private final String baseUrl;

    /**
     * @param baseUrl the proxy's OpenAI base URL as clients reach it, e.g. {@code http://127.0.0.1:3010/v1}
     */
    public CodeGenerator(String baseUrl) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        URI uri;
        try {
            uri = URI.create(baseUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("baseUrl: " + baseUrl + " (expected: an http or https URL)", e);
        }
        if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new IllegalArgumentException("baseUrl: " + baseUrl + " (expected: an http or https URL)");
        }
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    /**
     * The endpoint's answer {@code {code}} for a request body.
     *
     * @throws ProxyErrorException 400 naming the field for a missing or unknown language or type, a non-string
     *                             model or prompt, or a body that is not an object
     */
    public ObjectNode generate(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER, "request body: " + RequestJson.typeName(body)
                    + " (expected: a JSON object {language, type, model?, prompt?})", null);
        }
        Language language = choice(body, "language", Language::named, Language.allowed());
        Type type = choice(body, "type", Type::named, Type.allowed());
        String model = optionalText(body, "model", DEFAULT_MODEL);
        String prompt = optionalText(body, "prompt", DEFAULT_PROMPT);
        ObjectNode answer = Json.object();
        answer.put("code", generate(language, type, model, prompt));
        return answer;
    }

    /** The snippet; {@code model} and {@code prompt} are embedded as data, whatever they contain. */
    public String generate(Language language, Type type, String model, String prompt) {
        model = SnippetLiterals.wellFormed(Objects.requireNonNull(model, "model"));
        prompt = SnippetLiterals.wellFormed(Objects.requireNonNull(prompt, "prompt"));
        return switch (language) {
            case JS -> switch (type) {
                case BASIC -> JavaScriptSnippets.basic(baseUrl, KEY_VARIABLE, model, prompt);
                case STREAMING -> JavaScriptSnippets.streaming(baseUrl, KEY_VARIABLE, model, prompt);
                case INTERACTIVE -> JavaScriptSnippets.interactive(baseUrl, KEY_VARIABLE, model, prompt);
            };
            case PYTHON -> switch (type) {
                case BASIC -> PythonSnippets.basic(baseUrl, KEY_VARIABLE, model, prompt);
                case STREAMING -> PythonSnippets.streaming(baseUrl, KEY_VARIABLE, model, prompt);
                case INTERACTIVE -> PythonSnippets.interactive(baseUrl, KEY_VARIABLE, model, prompt);
            };
            case BASH -> switch (type) {
                case BASIC -> ShellSnippets.basic(baseUrl, KEY_VARIABLE, model, prompt);
                case STREAMING -> ShellSnippets.streaming(baseUrl, KEY_VARIABLE, model, prompt);
                case INTERACTIVE -> ShellSnippets.interactive(baseUrl, KEY_VARIABLE, model, prompt);
            };
            case JAVA -> switch (type) {
                case BASIC -> JavaSnippets.basic(baseUrl, KEY_VARIABLE, model, prompt);
                case STREAMING -> JavaSnippets.streaming(baseUrl, KEY_VARIABLE, model, prompt);
                case INTERACTIVE -> JavaSnippets.interactive(baseUrl, KEY_VARIABLE, model, prompt);
            };
        };
    }

    /**
     * The file name a snippet runs under, as its "Run:" comment says: {@code basic-chat.mjs}, {@code basic_chat.py},
     * {@code basic-chat.sh}, {@code BasicChat.java} (a Java file must be named after its public class).
     */
    public static String fileName(Language language, Type type) {
        String word = type.wireName();
        return switch (language) {
            case JS -> word + "-chat.mjs";
            case PYTHON -> word + "_chat.py";
            case BASH -> word + "-chat.sh";
            case JAVA -> Character.toUpperCase(word.charAt(0)) + word.substring(1) + "Chat.java";
        };
    }

    /** {@code {"model":…,"messages":[{"role":"user","content":…}]}} as compact JSON: what the basic curl snippet posts. */
    static String chatBody(String model, String prompt) {
        return SnippetLiterals.chatBody(model, prompt, false);
    }

    private static <E> E choice(JsonNode body, String field, Function<String, E> named, String allowed) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull() || (value.isTextual() && value.textValue().isEmpty())) {
            throw ProxyErrorException.of(ErrorKind.MISSING_PARAMETER,
                    field + ": missing (expected: " + allowed + ")", field);
        }
        if (!value.isTextual()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER,
                    field + ": " + RequestJson.typeName(value) + " (expected: a string, " + allowed + ")", field);
        }
        E constant = named.apply(value.textValue());
        if (constant != null) {
            return constant;
        }
        String shown = value.textValue().length() <= 40 ? value.textValue() : value.textValue().substring(0, 37) + "...";
        throw ProxyErrorException.of(ErrorKind.INVALID_VALUE,
                field + ": " + Json.MAPPER.getNodeFactory().textNode(shown) + " (expected: " + allowed + ")",
                field);
    }

    private static String optionalText(JsonNode body, String field, String fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isTextual()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER,
                    field + ": " + RequestJson.typeName(value) + " (expected: a string)", field);
        }
        return value.textValue().isEmpty() ? fallback : value.textValue();
    }
}
