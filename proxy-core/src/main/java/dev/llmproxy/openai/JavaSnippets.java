package dev.llmproxy.openai;

import static dev.llmproxy.openai.SnippetLiterals.javaString;

/**
 * The Java snippets of {@link CodeGenerator}, on the official OpenAI SDK for Java ({@code com.openai:openai-java}),
 * each a single source file that {@code java} can run directly. The model and prompt are ASCII Java string literals
 * ({@link SnippetLiterals#javaString}). Class names match {@link CodeGenerator#fileName}. Stateless.
 */
final class JavaSnippets {
    /** How to run a snippet; the SDK and its dependencies must be on the class path. */
    private static final String RUN = """
            // Run: java -cp "<openai-java and its dependencies>" %s
            //   (the class path from a project that depends on com.openai:openai-java, e.g.
            //   mvn dependency:build-classpath), or add the class to such a project.
            """;

    private JavaSnippets() {
    }

    static String basic(String baseUrl, String keyVariable, String model, String prompt) {
        return """
                // Chat through llm-proxy with the OpenAI SDK for Java.
                %5$s// %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import com.openai.client.OpenAIClient;
                import com.openai.client.okhttp.OpenAIOkHttpClient;
                import com.openai.models.chat.completions.ChatCompletion;
                import com.openai.models.chat.completions.ChatCompletionCreateParams;

                public class BasicChat {
                    public static void main(String[] args) {
                        OpenAIClient client = OpenAIOkHttpClient.builder()
                                .baseUrl(%1$s)
                                .apiKey(System.getenv().getOrDefault("%3$s", "no-key"))
                                .build();
                        try {
                            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                                    .model(%2$s)
                                    .addUserMessage(%4$s)
                                    .build();
                            ChatCompletion completion = client.chat().completions().create(params);
                            System.out.println(completion.choices().get(0).message().content().orElse(""));
                        } finally {
                            client.close();
                        }
                    }
                }
                """.formatted(javaString(baseUrl), javaString(model), keyVariable, javaString(prompt),
                RUN.formatted("BasicChat.java"));
    }

    static String streaming(String baseUrl, String keyVariable, String model, String prompt) {
        return """
                // Streaming chat through llm-proxy with the OpenAI SDK for Java: the answer prints as it arrives,
                // then the token usage.
                %5$s// %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import com.openai.client.OpenAIClient;
                import com.openai.client.okhttp.OpenAIOkHttpClient;
                import com.openai.core.http.StreamResponse;
                import com.openai.models.chat.completions.ChatCompletionChunk;
                import com.openai.models.chat.completions.ChatCompletionCreateParams;
                import com.openai.models.chat.completions.ChatCompletionStreamOptions;

                public class StreamingChat {
                    public static void main(String[] args) {
                        OpenAIClient client = OpenAIOkHttpClient.builder()
                                .baseUrl(%1$s)
                                .apiKey(System.getenv().getOrDefault("%3$s", "no-key"))
                                .build();
                        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                                .model(%2$s)
                                .addUserMessage(%4$s)
                                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                                .build();
                        try (StreamResponse<ChatCompletionChunk> stream =
                                     client.chat().completions().createStreaming(params)) {
                            stream.stream().forEach(chunk -> {
                                chunk.choices().forEach(choice -> choice.delta().content().ifPresent(text -> {
                                    System.out.print(text);
                                    System.out.flush();
                                }));
                                chunk.usage().ifPresent(usage -> System.out.print("\\n[" + usage.promptTokens()
                                        + " prompt + " + usage.completionTokens() + " completion tokens]"));
                            });
                            System.out.println();
                        } finally {
                            client.close();
                        }
                    }
                }
                """.formatted(javaString(baseUrl), javaString(model), keyVariable, javaString(prompt),
                RUN.formatted("StreamingChat.java"));
    }

    static String interactive(String baseUrl, String keyVariable, String model, String prompt) {
        return """
                // Interactive, streaming chat through llm-proxy with the OpenAI SDK for Java (an empty line or
                // Ctrl-D quits).
                %5$s// %3$s: the proxy's client key (PROXY_SERVER_KEY), if it requires one.
                import com.openai.client.OpenAIClient;
                import com.openai.client.okhttp.OpenAIOkHttpClient;
                import com.openai.core.http.StreamResponse;
                import com.openai.models.chat.completions.ChatCompletionChunk;
                import com.openai.models.chat.completions.ChatCompletionCreateParams;

                import java.io.BufferedReader;
                import java.io.IOException;
                import java.io.InputStreamReader;

                public class InteractiveChat {
                    public static void main(String[] args) throws IOException {
                        OpenAIClient client = OpenAIOkHttpClient.builder()
                                .baseUrl(%1$s)
                                .apiKey(System.getenv().getOrDefault("%3$s", "no-key"))
                                .build();
                        BufferedReader input = new BufferedReader(new InputStreamReader(System.in));
                        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                                .model(%2$s)
                                .addUserMessage(%4$s)
                                .build();
                        try {
                            while (true) {
                                StringBuilder reply = new StringBuilder();
                                System.out.print("Assistant: ");
                                try (StreamResponse<ChatCompletionChunk> stream =
                                             client.chat().completions().createStreaming(params)) {
                                    stream.stream().forEach(chunk -> chunk.choices().forEach(choice ->
                                            choice.delta().content().ifPresent(text -> {
                                                reply.append(text);
                                                System.out.print(text);
                                                System.out.flush();
                                            })));
                                }
                                System.out.println();
                                System.out.print("You: ");
                                System.out.flush();
                                String line = input.readLine();
                                if (line == null || line.isBlank()) {
                                    break;
                                }
                                params = params.toBuilder()
                                        .addAssistantMessage(reply.toString())
                                        .addUserMessage(line)
                                        .build();
                            }
                        } finally {
                            client.close();
                        }
                    }
                }
                """.formatted(javaString(baseUrl), javaString(model), keyVariable, javaString(prompt),
                RUN.formatted("InteractiveChat.java"));
    }
}
