package dev.llmproxy.openai;

import static dev.llmproxy.openai.SnippetLiterals.jsonString;

/**
 * The Node.js (ESM) snippets of {@link CodeGenerator}, on the OpenAI SDK for JavaScript. The model and prompt are
 * JSON string literals ({@link SnippetLiterals#jsonString}) in double quotes, never template literals. Stateless.
 */
final class JavaScriptSnippets {

    private JavaScriptSnippets() {
    }

    static String basic(String baseUrl, String keyVariable, String model, String prompt) {
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
                """.formatted(jsonString(baseUrl), jsonString(model), keyVariable, jsonString(prompt));
    }

    static String streaming(String baseUrl, String keyVariable, String model, String prompt) {
        return """
                // Streaming chat through llm-proxy with the OpenAI SDK for Node.js: the answer prints as it arrives,
                // then the token usage.
                // Run: npm install openai && node streaming-chat.mjs
                // %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import OpenAI from "openai";

                const client = new OpenAI({
                  baseURL: %1$s,
                  apiKey: process.env.%3$s ?? "no-key",
                });

                const stream = await client.chat.completions.create({
                  model: %2$s,
                  messages: [{ role: "user", content: %4$s }],
                  stream: true,
                  stream_options: { include_usage: true },
                });
                for await (const chunk of stream) {
                  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
                  if (chunk.usage) {
                    process.stdout.write("\\n[" + chunk.usage.prompt_tokens + " prompt + "
                      + chunk.usage.completion_tokens + " completion tokens]");
                  }
                }
                process.stdout.write("\\n");
                """.formatted(jsonString(baseUrl), jsonString(model), keyVariable, jsonString(prompt));
    }

    static String interactive(String baseUrl, String keyVariable, String model, String prompt) {
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
                """.formatted(jsonString(baseUrl), jsonString(model), keyVariable, jsonString(prompt));
    }
}
