package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.CodeGenerator.Language;
import dev.llmproxy.openai.CodeGenerator.Type;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java snippets compile with javac against the OpenAI SDK on the test class path, and run for real against a
 * {@link FakeUpstream}: the request carries exactly the hostile model and prompt, and no injected code ran. Java
 * literals get their own round trip through javac, since javac reads unicode escapes before it reads the source.
 */
class JavaSnippetsTest {
    private static final String KEY = "key-for-the-snippet";

    @TempDir
    static Path work;
    private static Path marker;
    private static FakeUpstream upstream;
    private static String hostileModel;
    private static String hostilePrompt;

    @BeforeAll
    static void start() {
        marker = work.resolve("INJECTED");
        String exec = "Runtime.getRuntime().exec(new String[]{\"touch\", \"" + marker + "\"})";
        hostileModel = "m\"); " + exec + "; (\"";
        hostilePrompt = String.join(" | ", "\\u0022); " + exec + "; (\\u0022", "*/ /* // ",
                "line\nbreak\r\n\ttab", "nul \u0000 then 1: \u00001 and del \u007f7", "\\u000a \\\\u000a \\",
                "</script><!-- & -->", "emoji 🚀 世界 é \u2028", "%s %n %% {0}", "lone \ud800 surrogate");
        upstream = FakeUpstream.start(false);
        upstream.handler((request, exchange) -> {
            if (request.bodyJson().path("stream").asBoolean()) {
                FakeUpstream.sse(List.of(
                        FakeUpstream.sseEvent("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                                + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"streamed \"}}]}"),
                        FakeUpstream.sseEvent("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                                + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer\"}}]}"),
                        FakeUpstream.sseEvent("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                                + "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
                                + "\"completion_tokens\":2,\"total_tokens\":5}}"),
                        FakeUpstream.sseEvent("[DONE]")), Duration.ZERO).handle(request, exchange);
            } else {
                exchange.respondJson(200, FakeUpstream.chatCompletion("plain answer"));
            }
        });
    }

    @AfterAll
    static void stop() {
        upstream.close();
    }

    @Test
    void javaLiteralsCompileBackToTheSameString() throws Exception {
        List<String> values = List.of(hostileModel, hostilePrompt, "", "\\", "\\\\u0041", "\\\u00e9", "\u0000",
                "\u00007", "\u001f\u007f\u0080\u00ff\uffff", "\"\"\"", "🚀\ud83d", "\udc00x");
        StringBuilder source = new StringBuilder("public class Literals {\n    public static final String[] VALUES = {\n");
        for (String value : values) {
            String literal = SnippetLiterals.javaString(value);
            assertThat(literal.chars()).as("plain ASCII without line breaks: %s", literal)
                    .allMatch(c -> c >= 0x20 && c < 0x7f);
            source.append("        ").append(literal).append(",\n");
        }
        source.append("    };\n}\n");
        Path dir = Files.createDirectories(work.resolve("literals"));
        compile(dir, "Literals", source.toString());
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            String[] compiled = (String[]) loader.loadClass("Literals").getField("VALUES").get(null);
            List<String> expected = values.stream().map(SnippetLiterals::wellFormed).toList();
            assertThat(compiled).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void basicSnippetSendsExactlyTheGivenModelAndPrompt() throws Exception {
        Run run = compileAndRun(Type.BASIC, "");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).isEqualTo("plain answer\n");
        assertSent(lastRequest(), false, List.of(expectedPrompt()));
        assertThat(marker).doesNotExist();
    }

    @Test
    void streamingSnippetPrintsTheTextThenTheUsage() throws Exception {
        Run run = compileAndRun(Type.STREAMING, "");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).isEqualTo("streamed answer\n[3 prompt + 2 completion tokens]\n");
        RecordedRequest request = lastRequest();
        assertSent(request, true, List.of(expectedPrompt()));
        assertThat(request.bodyJson().at("/stream_options/include_usage").asBoolean()).isTrue();
        assertThat(marker).doesNotExist();
    }

    @Test
    void interactiveSnippetSendsTheConversationEachTurn() throws Exception {
        int before = upstream.requests().size();
        Run run = compileAndRun(Type.INTERACTIVE, "and then?\n\n");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("Assistant: streamed answer\nYou: Assistant: streamed answer\nYou: ");
        assertThat(upstream.requests()).hasSize(before + 2);
        JsonNode second = upstream.requests().get(before + 1).bodyJson();
        assertThat(second.path("messages")).hasSize(3);
        assertThat(second.at("/messages/1/role").asText()).isEqualTo("assistant");
        assertThat(second.at("/messages/1/content").asText()).isEqualTo("streamed answer");
        assertThat(second.at("/messages/2/content").asText()).isEqualTo("and then?");
        assertSent(upstream.requests().get(before), true, List.of(expectedPrompt()));
        assertThat(marker).doesNotExist();
    }

    private static String expectedPrompt() {
        return SnippetLiterals.wellFormed(hostilePrompt);
    }

    private static void assertSent(RecordedRequest request, boolean stream, List<String> userMessages) {
        JsonNode body = request.bodyJson();
        assertThat(request.uri()).isEqualTo("/v1/chat/completions");
        assertThat(request.header("authorization")).isEqualTo("Bearer " + KEY);
        assertThat(body.path("model").asText()).isEqualTo(hostileModel);
        assertThat(body.path("stream").asBoolean()).isEqualTo(stream);
        assertThat(body.at("/messages/0/content").asText()).isEqualTo(userMessages.get(0));
    }

    private static RecordedRequest lastRequest() {
        List<RecordedRequest> requests = upstream.requests();
        return requests.get(requests.size() - 1);
    }

    // ------------------------------------------------------------------------------------------------ javac, java

    private record Run(int exit, String stdout, String stderr) {
    }

    private static Run compileAndRun(Type type, String input) throws Exception {
        String file = CodeGenerator.fileName(Language.JAVA, type);
        String className = file.substring(0, file.length() - ".java".length());
        String code = new CodeGenerator(upstream.baseUrl() + "/v1").generate(Language.JAVA, type, hostileModel,
                hostilePrompt);
        Path dir = Files.createDirectories(work.resolve(className));
        compile(dir, className, code);

        Path stdin = Files.writeString(dir.resolve("stdin.txt"), input);
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-cp",
                dir + File.pathSeparator + System.getProperty("java.class.path"), className)
                .redirectInput(stdin.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().put(CodeGenerator.KEY_VARIABLE, KEY);
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(className + " did not finish: " + Files.readString(err));
        }
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    /** javac in this JVM, with the test class path (the OpenAI SDK and its dependencies) and -Werror. */
    private static void compile(Path dir, String className, String source) throws Exception {
        Path file = Files.writeString(dir.resolve(className + ".java"), source, StandardCharsets.UTF_8);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-encoding", "US-ASCII", "-Xlint:all", "-Werror",
                "-cp", System.getProperty("java.class.path"), "-d", dir.toString(), file.toString()));
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        assertThat(status).as("javac %s:%n%s%n%s", className, diagnostics.toString(StandardCharsets.UTF_8), source)
                .isZero();
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
