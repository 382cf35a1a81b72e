package dev.llmproxy.tools;

import dev.llmproxy.openai.CodeGenerator;
import dev.llmproxy.openai.CodeGenerator.Language;
import dev.llmproxy.openai.CodeGenerator.Type;

import java.util.Set;

/**
 * The {@code README.md} that {@code generate} writes beside the examples: what each file is and how to run it. It
 * names no model or prompt (those are in the examples, escaped for their language; Markdown has no such escaping).
 * Stateless.
 */
final class GeneratedReadme {

    private GeneratedReadme() {
    }

    static String render(String baseUrl, Set<Language> languages, Set<Type> types) {
        StringBuilder out = new StringBuilder();
        out.append("# Client examples for llm-proxy\n\n")
                .append("Written by `llm-proxy generate` for the proxy at `").append(baseUrl.replace("`", "%60"))
                .append("`. Each sends the model and prompt it was generated with; basic prints the whole answer,")
                .append(" streaming prints it as it arrives and then the token usage, interactive keeps a")
                .append(" conversation going until an empty line.\n\n")
                .append("When the proxy requires a client key, set it first: `export ")
                .append(CodeGenerator.KEY_VARIABLE).append("=...`\n\n")
                .append("| File | Run |\n|---|---|\n");
        for (Language language : languages) {
            for (Type type : types) {
                String file = GenerateCommand.directoryName(language) + "/" + CodeGenerator.fileName(language, type);
                out.append("| `").append(file).append("` | `").append(command(language, file)).append("` |\n");
            }
        }
        if (languages.contains(Language.JAVA)) {
            out.append("\nThe Java examples need the OpenAI SDK for Java (`com.openai:openai-java`) and its")
                    .append(" dependencies on the class path, e.g. from `mvn dependency:build-classpath` in a")
                    .append(" project that depends on it.\n");
        }
        if (languages.contains(Language.BASH)) {
            out.append("\nThe streaming and interactive curl scripts use `jq` (the streaming one prints the raw")
                    .append(" events without it).\n");
        }
        return out.toString();
    }

    private static String command(Language language, String file) {
        return switch (language) {
            case JS -> "npm install openai && node " + file;
            case PYTHON -> "pip install openai && python3 " + file;
            case BASH -> "bash " + file;
            case JAVA -> "java -cp \"$CLASSPATH\" " + file;
        };
    }
}
