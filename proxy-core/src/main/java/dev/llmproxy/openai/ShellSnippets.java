package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static dev.llmproxy.openai.SnippetLiterals.chatBody;
import static dev.llmproxy.openai.SnippetLiterals.json;
import static dev.llmproxy.openai.SnippetLiterals.shellQuote;

/**
 * The bash + curl snippets of {@link CodeGenerator}. The whole JSON request body is built here, JSON-encoded, then
 * single-quoted ({@link SnippetLiterals#shellQuote}): nothing inside single quotes is expanded, and the JSON
 * encoding leaves no raw newline or NUL. The interactive script adds later turns with {@code jq --arg}, never by
 * pasting text into JSON or into a command. Stateless.
 */
final class ShellSnippets {

    private ShellSnippets() {
    }

    static String basic(String baseUrl, String keyVariable, String model, String prompt) {
        return """
                #!/usr/bin/env bash
                # Chat through llm-proxy with curl.
                # Run: bash basic-chat.sh
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
                """.formatted(shellQuote(baseUrl), shellQuote(chatBody(model, prompt, false)), keyVariable);
    }

    static String streaming(String baseUrl, String keyVariable, String model, String prompt) {
        return """
                #!/usr/bin/env bash
                # Streaming chat through llm-proxy with curl: the answer prints as it arrives (text with jq, the raw
                # server-sent events without it), then the token usage.
                # Run: bash streaming-chat.sh
                # %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                set -euo pipefail

                BASE_URL=%1$s
                # The request body, JSON-encoded and single-quoted: the shell expands nothing inside it.
                BODY=%2$s

                print_events() {
                  if ! command -v jq >/dev/null; then
                    cat
                    return
                  fi
                  local line
                  while IFS= read -r line; do
                    line=${line%%$'\\r'}
                    case $line in
                      'data: [DONE]') break ;;
                      data:*)
                        jq -j '(.choices[0].delta.content // ""),
                          (if .usage then "\\n[\\(.usage.prompt_tokens) prompt + \\(.usage.completion_tokens) completion tokens]" else empty end),
                          (if .error then "\\nerror: \\(.error.message)" else empty end)' <<<"${line#data:}" ;;
                      '{'*) printf '%%s\\n' "$line" >&2 ;;  # an error answered before the stream started
                    esac
                  done
                  echo
                }

                curl -sSN "$BASE_URL/chat/completions" \\
                  -H 'Content-Type: application/json' \\
                  -H "Authorization: Bearer ${%3$s:-no-key}" \\
                  -d "$BODY" | print_events
                """.formatted(shellQuote(baseUrl), shellQuote(chatBody(model, prompt, true)), keyVariable);
    }

    static String interactive(String baseUrl, String keyVariable, String model, String prompt) {
        ArrayNode firstTurn = Json.MAPPER.createArrayNode();
        ObjectNode first = firstTurn.addObject();
        first.put("role", "user");
        first.put("content", prompt);
        return """
                #!/usr/bin/env bash
                # Interactive chat through llm-proxy with curl and jq (an empty line or Ctrl-D quits).
                # Run: bash interactive-chat.sh
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
                """.formatted(shellQuote(baseUrl), shellQuote(json(Json.MAPPER.getNodeFactory().textNode(model))),
                shellQuote(json(firstTurn)), keyVariable);
    }
}
