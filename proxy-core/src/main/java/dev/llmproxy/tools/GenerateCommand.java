package dev.llmproxy.tools;

import dev.llmproxy.openai.CodeGenerator;
import dev.llmproxy.openai.CodeGenerator.Language;
import dev.llmproxy.openai.CodeGenerator.Type;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code generate}: writes ready-to-run client examples for the proxy — JavaScript, Python, curl and Java; basic,
 * streaming and interactive chat — with the model and prompt embedded as data ({@link CodeGenerator}, the same
 * generator as {@code POST /api/generate-code}). Without {@code --model} it asks the proxy for its first chat model.
 * Refuses to overwrite any file unless {@code --force}; the client key is never written, the examples read it from
 * {@code LLM_PROXY_KEY}.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write ready-to-run client examples (JavaScript, Python, curl, Java; basic, streaming and"
                + " interactive chat) for this proxy, a model and a prompt.")
final class GenerateCommand implements Callable<Integer> {
    static final String DEFAULT_DIRECTORY = "generated-examples";

    @Mixin
    ProxyOptions proxy;

    @Option(names = "--out", paramLabel = "<dir>", defaultValue = DEFAULT_DIRECTORY,
            description = "Directory to write to (default: ${DEFAULT-VALUE}).")
    String out;

    @Option(names = "--model", paramLabel = "<id>",
            description = "Model the examples use (default: the proxy's first chat model).")
    String model;

    @Option(names = "--prompt", paramLabel = "<text>", defaultValue = CodeGenerator.DEFAULT_PROMPT,
            description = "Prompt the examples send (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--language", paramLabel = "<lang>", split = ",",
            description = "Languages (repeatable or comma-separated): js, python, curl, java (default: all).")
    List<String> languages = new ArrayList<>();

    @Option(names = "--type", paramLabel = "<type>", split = ",",
            description = "Kinds (repeatable or comma-separated): basic, streaming, interactive (default: all).")
    List<String> types = new ArrayList<>();

    @Option(names = "--force", description = "Replace files that exist.")
    boolean force;

    @Spec
    CommandSpec spec;

    private final ToolContext context;

    GenerateCommand(ToolContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Set<Language> chosenLanguages = chosen("--language", languages, Language.class, Language::named,
                "js, python, curl, java");
        Set<Type> chosenTypes = chosen("--type", types, Type.class, Type::named, "basic, streaming, interactive");
        if (prompt.isEmpty()) {
            throw ToolException.usage("--prompt: empty (expected: the text the examples send)");
        }
        String baseUrl = proxy.baseUrl(context.environment()) + "/v1";
        String modelId = model != null && !model.isBlank() ? model : firstChatModel();
        CodeGenerator generator = new CodeGenerator(baseUrl);

        Path directory = OutputFiles.path("--out", out);
        Map<Path, String> files = new LinkedHashMap<>();
        for (Language language : chosenLanguages) {
            for (Type type : chosenTypes) {
                files.put(directory.resolve(directoryName(language)).resolve(CodeGenerator.fileName(language, type)),
                        generator.generate(language, type, modelId, prompt));
            }
        }
        files.put(directory.resolve("README.md"), GeneratedReadme.render(baseUrl, chosenLanguages, chosenTypes));
        // all or nothing: refuse before writing the first file
        OutputFiles.checkAbsent("--out", List.copyOf(files.keySet()), force);
        PrintWriter stdout = spec.commandLine().getOut();
        files.forEach((file, content) -> {
            OutputFiles.create("--out", file, content, force);
            if (file.getFileName().toString().endsWith(".sh")) {
                OutputFiles.makeExecutable(file);
            }
            stdout.println("wrote " + file);
        });
        stdout.flush();
        return ExitCodes.OK;
    }

    /** The directory of a language's examples: {@code js}, {@code python}, {@code curl}, {@code java}. */
    static String directoryName(Language language) {
        return language == Language.BASH ? "curl" : language.wireName();
    }

    private String firstChatModel() {
        List<ProxyModel> models = ProxyModels.fetch(proxy.connect(context.environment()));
        return models.stream().filter(candidate -> !candidate.embeddings()).map(ProxyModel::id).findFirst()
                .orElseThrow(() -> ToolException.usage("--model: missing (expected: a model id; the proxy lists no"
                        + " chat model to default to)"));
    }

    private static <E extends Enum<E>> Set<E> chosen(String option, List<String> names, Class<E> type,
                                                     Function<String, E> named, String allowed) {
        if (names.isEmpty()) {
            return EnumSet.allOf(type);
        }
        Set<E> chosen = EnumSet.noneOf(type);
        for (String name : names) {
            E value = named.apply(name.trim());
            if (value == null) {
                throw ToolException.usage(option + ": " + name + " (expected: one of " + allowed + ")");
            }
            chosen.add(value);
        }
        return chosen;
    }
}
