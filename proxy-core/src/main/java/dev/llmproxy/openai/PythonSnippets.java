package dev.llmproxy.openai;

import static dev.llmproxy.openai.SnippetLiterals.jsonString;

/**
 * The Python snippets of {@link CodeGenerator}, on the OpenAI SDK for Python. The model and prompt are JSON string
 * literals ({@link SnippetLiterals#jsonString}), which Python reads as the same string; no f-strings. Stateless.
 */
final class PythonSnippets {

    private PythonSnippets() {
    }

    static String basic(String baseUrl, String keyVariable, String model, String prompt) {
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
                """.formatted(jsonString(baseUrl), jsonString(model), keyVariable, jsonString(prompt));
    }

    static String streaming(String baseUrl, String keyVariable, String model, String prompt) {
        return """
                # Streaming chat through llm-proxy with the OpenAI SDK for Python: the answer prints as it arrives,
                # then the token usage.
                # Run: pip install openai && python streaming_chat.py
                # %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import os

                from openai import OpenAI

                client = OpenAI(
                    base_url=%1$s,
                    api_key=os.environ.get("%3$s", "no-key"),
                )

                stream = client.chat.completions.create(
                    model=%2$s,
                    messages=[{"role": "user", "content": %4$s}],
                    stream=True,
                    stream_options={"include_usage": True},
                )
                for chunk in stream:
                    if chunk.choices:
                        print(chunk.choices[0].delta.content or "", end="", flush=True)
                    usage = getattr(chunk, "usage", None)
                    if usage:
                        print("\\n[" + str(usage.prompt_tokens) + " prompt + " + str(usage.completion_tokens)
                              + " completion tokens]", end="")
                print()
                """.formatted(jsonString(baseUrl), jsonString(model), keyVariable, jsonString(prompt));
    }

    static String interactive(String baseUrl, String keyVariable, String model, String prompt) {
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
                """.formatted(jsonString(baseUrl), jsonString(model), keyVariable, jsonString(prompt));
    }
}
