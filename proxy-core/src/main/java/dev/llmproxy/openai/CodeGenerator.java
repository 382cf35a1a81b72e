package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code POST /api/generate-code}: a runnable client snippet for this proxy — the OpenAI SDK for JavaScript (Node.js,
 * ESM) or Python, or curl for bash — with the client's {@code model} and {@code prompt} in it (REFERENCE §2.12).
 *
 * <h2>Safe embedding (the reference substituted user input unescaped, §12.24)</h2>
 * Whatever the model and prompt contain, they stay data:
 * <ul>
 *   <li>JavaScript and Python: a JSON string literal ({@link #stringLiteral}), which both languages read as the same
 *       string. Quotes, backslashes and control characters are escaped; {@code <}, {@code >}, {@code &} and
 *       U+2028/U+2029 too, so the snippet stays inert pasted into HTML ({@code </script>}) or run by an old JS
 *       engine; no {@code \/} escape (Python would keep the backslash); lone surrogates become U+FFFD (Python
 *       cannot send them). JS uses double-quoted strings, never template literals, and Python never f-strings.</li>
 *   <li>bash: the whole JSON request body is built here, JSON-encoded, then single-quoted for the shell
 *       ({@link #shellQuote}: each {@code '} becomes {@code '"'"'}); nothing inside single quotes is expanded, and
 *       the JSON encoding leaves no raw newline or NUL. The interactive script adds later turns with
 *       {@code jq --arg}, never by pasting text into JSON or into a command.</li>
 * </ul>
 * The proxy writes no files (the reference's first call rewrote {@code ./generated-examples}).
 *
 * <h2>Request and response</h2>
 * {@code {language: js|python|bash, type: basic|interactive, model?, prompt?}} → {@code {code}}. Language and type
 * are required and matched ignoring case; a missing or empty {@code model} is {@value #DEFAULT_MODEL}, a missing or
 * empty {@code prompt} is {@value #DEFAULT_PROMPT}. An unknown language or type is a 400 (the reference answered
 * 500). Every language has both types (the reference had interactive for JS only); interactive bash needs
 * {@code jq}.
 *
 * <p>Threading: immutable; safe from any thread.
 */
public final class CodeGenerator {
    public static final String DEFAULT_MODEL = "openai/gpt-4o-mini";
    public static final String DEFAULT_PROMPT = "Hello, world!";
    /** The env variable the snippets read the proxy's client key from. */
    static final String KEY_VARIABLE = "LLM_PROXY_KEY";

    public enum Language {
        JS, PYTHON, BASH;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Type {
        BASIC, INTERACTIVE;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
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
        Language language = choice(body, "language", Language.class);
        Type type = choice(body, "type", Type.class);
        String model = optionalText(body, "model", DEFAULT_MODEL);
        String prompt = optionalText(body, "prompt", DEFAULT_PROMPT);
        ObjectNode answer = Json.object();
        answer.put("code", generate(language, type, model, prompt));
        return answer;
    }

    /** The snippet; {@code model} and {@code prompt} are embedded as data, whatever they contain. */
    public String generate(Language language, Type type, String model, String prompt) {
        model = wellFormed(Objects.requireNonNull(model, "model"));
        prompt = wellFormed(Objects.requireNonNull(prompt, "prompt"));
        return switch (language) {
            case JS -> type == Type.BASIC ? jsBasic(model, prompt) : jsInteractive(model, prompt);
            case PYTHON -> type == Type.BASIC ? pythonBasic(model, prompt) : pythonInteractive(model, prompt);
            case BASH -> type == Type.BASIC ? bashBasic(model, prompt) : bashInteractive(model, prompt);
        };
    }

    private String jsBasic(String model, String prompt) {
        return """
                // Chat through llm-proxy with the OpenAI SDK for Node.js.
                // Run: npm install openai && node basic-chat.mjs
                // %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import OpenAI from "openai";

                const client = new OpenAI({
                  baseURL: %1$s,
                  apiKey: process.env.%3$s ?? "no-key",
                });

                const completion = await client.chat.completions.create({
                  model: %2$s,
                  messages: [{ role: "user", content: %4$s }],
                });
                console.log(completion.choices[0].message.content);
                """.formatted(stringLiteral(baseUrl), stringLiteral(model), KEY_VARIABLE, stringLiteral(prompt));
    }

    private String jsInteractive(String model, String prompt) {
        return """
                // Interactive, streaming chat through llm-proxy with the OpenAI SDK for Node.js.
                // Run: npm install openai && node interactive-chat.mjs   (an empty line or Ctrl-D quits)
                // %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import OpenAI from "openai";
                import * as readline from "node:readline";

                const client = new OpenAI({
                  baseURL: %1$s,
                  apiKey: process.env.%3$s ?? "no-key",
                });
                const model = %2$s;
                const messages = [];

                async function ask(content) {
                  messages.push({ role: "user", content });
                  const stream = await client.chat.completions.create({ model, messages, stream: true });
                  let reply = "";
                  process.stdout.write("Assistant: ");
                  for await (const chunk of stream) {
                    const delta = chunk.choices[0]?.delta?.content ?? "";
                    reply += delta;
                    process.stdout.write(delta);
                  }
                  process.stdout.write("\\n");
                  messages.push({ role: "assistant", content: reply });
                }

                await ask(%4$s);
                const lines = readline.createInterface({ input: process.stdin });
                process.stdout.write("You: ");
                for await (const line of lines) {
                  if (!line.trim()) break;
                  await ask(line);
                  process.stdout.write("You: ");
                }
                lines.close();
                """.formatted(stringLiteral(baseUrl), stringLiteral(model), KEY_VARIABLE, stringLiteral(prompt));
    }

    private String pythonBasic(String model, String prompt) {
        return """
                # Chat through llm-proxy with the OpenAI SDK for Python.
                # Run: pip install openai && python basic_chat.py
                # %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import os

                from openai import OpenAI

                client = OpenAI(
                    base_url=%1$s,
                    api_key=os.environ.get("%3$s", "no-key"),
                )

                completion = client.chat.completions.create(
                    model=%2$s,
                    messages=[{"role": "user", "content": %4$s}],
                )
                print(completion.choices[0].message.content)
                """.formatted(stringLiteral(baseUrl), stringLiteral(model), KEY_VARIABLE, stringLiteral(prompt));
    }

    private String pythonInteractive(String model, String prompt) {
        return """
                # Interactive, streaming chat through llm-proxy with the OpenAI SDK for Python.
                # Run: pip install openai && python interactive_chat.py   (an empty line or Ctrl-D quits)
                # %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import os

                from openai import OpenAI

                client = OpenAI(
                    base_url=%1$s,
                    api_key=os.environ.get("%3$s", "no-key"),
                )
                model = %2$s
                messages = []


                def ask(content):
                    messages.append({"role": "user", "content": content})
                    stream = client.chat.completions.create(model=model, messages=messages, stream=True)
                    reply = ""
                    print("Assistant: ", end="", flush=True)
                    for chunk in stream:
                        delta = (chunk.choices[0].delta.content or "") if chunk.choices else ""
                        reply += delta
                        print(delta, end="", flush=True)
                    print()
                    messages.append({"role": "assistant", "content": reply})


                ask(%4$s)
                while True:
                    try:
                        line = input("You: ")
                    except EOFError:
                        break
                    if not line.strip():
                        break
                    ask(line)
                """.formatted(stringLiteral(baseUrl), stringLiteral(model), KEY_VARIABLE, stringLiteral(prompt));
    }

    private String bashBasic(String model, String prompt) {
        return """
                #!/usr/bin/env bash
                # Chat through llm-proxy with curl.
                # %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                set -euo pipefail

                BASE_URL=%1$s
                # The request body, JSON-encoded and single-quoted: the shell expands nothing inside it.
                BODY=%2$s

                curl -sS "$BASE_URL/chat/completions" \\
                  -H 'Content-Type: application/json' \\
                  -H "Authorization: Bearer ${%3$s:-no-key}" \\
                  -d "$BODY"
                echo
                """.formatted(shellQuote(baseUrl), shellQuote(chatBody(model, prompt)), KEY_VARIABLE);
    }

    private String bashInteractive(String model, String prompt) {
        ObjectNode first = Json.object();
        first.put("role", "user");
        first.put("content", prompt);
        String messages = new String(Json.bytes(Json.MAPPER.createArrayNode().add(first)),
                StandardCharsets.UTF_8);
        String modelJson = new String(Json.bytes(Json.MAPPER.getNodeFactory().textNode(model)),
                StandardCharsets.UTF_8);
        return """
                #!/usr/bin/env bash
                # Interactive chat through llm-proxy with curl and jq (an empty line or Ctrl-D quits).
                # %4$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                set -euo pipefail
                command -v jq >/dev/null || { echo "this script needs jq" >&2; exit 1; }

                BASE_URL=%1$s
                # JSON values, single-quoted: the shell expands nothing inside them; jq adds every later turn.
                MODEL=%2$s
                messages=%3$s

                while :; do
                  body=$(jq -cn --argjson model "$MODEL" --argjson messages "$messages" \\
                    '{model: $model, messages: $messages}')
                  reply=$(curl -sS "$BASE_URL/chat/completions" \\
                    -H 'Content-Type: application/json' \\
                    -H "Authorization: Bearer ${%4$s:-no-key}" \\
                    -d "$body" | jq -r '.choices[0].message.content // ("error: " + (.error.message // "no answer"))')
                  printf 'Assistant: %%s\\n' "$reply"
                  messages=$(jq -c --arg content "$reply" '. + [{role: "assistant", content: $content}]' <<<"$messages")
                  IFS= read -r -p 'You: ' line || break
                  [ -n "$line" ] || break
                  messages=$(jq -c --arg content "$line" '. + [{role: "user", content: $content}]' <<<"$messages")
                done
                """.formatted(shellQuote(baseUrl), shellQuote(modelJson), shellQuote(messages), KEY_VARIABLE);
    }

    /** {@code {"model":…,"messages":[{"role":"user","content":…}]}} as compact JSON. */
    static String chatBody(String model, String prompt) {
        ObjectNode body = Json.object();
        body.put("model", model);
        ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        message.put("content", prompt);
        return new String(Json.bytes(body), StandardCharsets.UTF_8);
    }

    /**
     * A double-quoted JSON string literal that JavaScript and Python both read back as {@code value} (lone
     * surrogates aside, which become U+FFFD). See the class comment for what is escaped and why.
     */
    public static String stringLiteral(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<', '>', '&', '\u007f', '\u2028', '\u2029' -> unicodeEscape(out, c);
                default -> {
                    if (c < 0x20) {
                        unicodeEscape(out, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1))) {
                        out.append(c).append(value.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(out, '\ufffd');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** {@code value} single-quoted for bash; each {@code '} becomes {@code '"'"'}. */
    public static String shellQuote(String value) {
        return "'" + value.replace("'", "'\"'\"'") + "'";
    }

    /** {@code value} with each lone surrogate (no character of its own; JSON encoders refuse it) as U+FFFD. */
    static String wellFormed(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1));
            if (pair) {
                if (out != null) {
                    out.append(c).append(value.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(value.length()).append(value, 0, i);
                }
                out.append('\ufffd');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? value : out.toString();
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
    }

    private static <E extends Enum<E>> E choice(JsonNode body, String field, Class<E> type) {
        JsonNode value = body.get(field);
        StringBuilder allowed = new StringBuilder();
        for (E constant : type.getEnumConstants()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(constant.name().toLowerCase(Locale.ROOT));
        }
        if (value == null || value.isNull() || (value.isTextual() && value.textValue().isEmpty())) {
            throw ProxyErrorException.of(ErrorKind.MISSING_PARAMETER,
                    field + ": missing (expected: one of " + allowed + ")", field);
        }
        if (!value.isTextual()) {
            throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER,
                    field + ": " + RequestJson.typeName(value) + " (expected: a string, one of " + allowed + ")", field);
        }
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value.textValue())) {
                return constant;
            }
        }
        String shown = value.textValue().length() <= 40 ? value.textValue() : value.textValue().substring(0, 37) + "...";
        throw ProxyErrorException.of(ErrorKind.INVALID_VALUE,
                field + ": " + Json.MAPPER.getNodeFactory().textNode(shown) + " (expected: one of " + allowed + ")",
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
