package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.CodeGenerator.Language;
import dev.llmproxy.openai.CodeGenerator.Type;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The generated snippets keep hostile model names and prompts inert: each literal parses back to the same string,
 * and the snippets are run for real — node and python3 against a stub {@code openai} package that prints what it
 * was asked to send, bash against a stub {@code curl} that records its arguments — to show the request carries the
 * exact text and that no injected command ran (no marker file appears).
 */
class CodeGeneratorTest {
    private static final String BASE_URL = "http://127.0.0.1:3010/v1";
    private static final String REPLY = "{\"choices\":[{\"message\":{\"content\":\"stub reply\"}}]}";
    /** A stream as the proxy relays it: CRLF line ends in one event, a usage-only event, then [DONE]. */
    private static final String STREAM_REPLY = "data: {\"choices\":[{\"delta\":{\"content\":\"stub\"}}]}\r\n\r\n"
            + ": keep-alive\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\" reply\"}}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n"
            + "data: [DONE]\n\n";

    @TempDir
    static Path work;
    private static Path marker;
    private static List<String> hostile;

    private final CodeGenerator generator = new CodeGenerator(BASE_URL);

    @BeforeAll
    static void payloads() throws IOException {
        marker = work.resolve("INJECTED");
        String touch = "touch " + marker;
        hostile = List.of(
                "He said \"hi\" and it's fine",
                "'; " + touch + "; '",
                "\"; " + touch + "; \"",
                "$(" + touch + ")",
                "`" + touch + "`",
                "${HOME} $HOME $(whoami)",
                "line1\nline2\r\n\ttabbed\n" + touch,
                "</script><script>alert(1)</script><!-- & -->",
                "C:\\path\\new \\u0041 \\N{BULLET} \\x41 \\",
                "\u2028\u2029 separators",
                "emoji 🚀 and 世界 and é",
                "nul \u0000 byte, \u001b[31m escape and \u007f",
                "\"\"\" triple ''' quotes {} {0} %s %d %%",
                "\"); require(\"child_process\").execSync(\"" + touch + "\"); (\"",
                "\"); import os; os.system(\"" + touch + "\"); (\"",
                "'\"'\"' '\\'' quote games",
                "!! !$ history -d @/etc/passwd",
                "lone \ud800 surrogate");
        Files.createDirectories(work);
    }

    /** The model and prompt a generated request must carry: the input, with lone surrogates as U+FFFD. */
    private static String expected(String value) {
        return value.replace('\ud800', '\ufffd');
    }

    // ------------------------------------------------------------------------------------------------ literals

    @Test
    void stringLiteralsParseBackAsJsonToTheSameString() throws IOException {
        for (String value : hostile) {
            String literal = SnippetLiterals.jsonString(value);
            assertThat(Json.MAPPER.readTree(literal).textValue()).as(literal).isEqualTo(expected(value));
            assertThat(literal).as("nothing that closes a script tag or ends a JS line")
                    .doesNotContain("<", ">", "&", "\u2028", "\u2029", "\n", "\r", "\u0000");
            assertThat(literal.substring(1, literal.length() - 1).replace("\\\\", "").replace("\\\"", ""))
                    .as("every quote inside is escaped").doesNotContain("\"");
        }
        assertThat(SnippetLiterals.jsonString("a/b")).as("no \\/: Python would keep the backslash")
                .isEqualTo("\"a/b\"");
    }

    @Test
    void shellQuotingSurvivesBashUnchanged() throws Exception {
        assumeTrue(available("bash"), "bash is not installed");
        for (String value : hostile) {
            if (value.indexOf('\u0000') >= 0) {
                continue; // no shell string can hold NUL; the bash snippets only quote JSON, which never has one raw
            }
            Run run = run(List.of("bash", "-c", "printf '%s' " + SnippetLiterals.shellQuote(SnippetLiterals.wellFormed(value))),
                    Map.of(), null);
            assertThat(run.exit()).as(value).isZero();
            assertThat(run.stdout()).as(value).isEqualTo(expected(value));
        }
        assertThat(marker).doesNotExist();
    }

    // ------------------------------------------------------------------------------------------------ JavaScript

    @Test
    void javaScriptSnippetsSendExactlyTheGivenModelAndPrompt() throws Exception {
        assumeTrue(available("node"), "node is not installed");
        Path app = Files.createDirectories(work.resolve("js"));
        Path stub = Files.createDirectories(app.resolve("node_modules/openai"));
        Files.writeString(stub.resolve("package.json"), "{\"name\":\"openai\",\"version\":\"0.0.0\",\"main\":\"index.js\"}");
        Files.writeString(stub.resolve("index.js"), """
                module.exports = class OpenAI {
                  constructor(options) {
                    this.chat = { completions: { create: async (args) => {
                      console.log(JSON.stringify({ options, args }));
                      if (args.stream) {
                        return (async function* () { yield { choices: [{ delta: { content: "stub" } }] }; })();
                      }
                      return { choices: [{ message: { content: "stub reply" } }] };
                    } } };
                  }
                };
                """);
        String hostileModel = "x\"); require(\"child_process\").execSync(\"touch " + marker + "\"); (\"";
        for (Type type : Type.values()) {
            for (String prompt : hostile) {
                Path script = app.resolve("chat.mjs");
                Files.writeString(script, generator.generate(Language.JS, type, hostileModel, prompt));
                Run run = run(List.of("node", script.toString()), Map.of(), app);
                assertThat(run.exit()).as("%s: %s", type, run.stderr()).isZero();
                JsonNode sent = Json.MAPPER.readTree(firstLine(run.stdout()));
                assertThat(sent.path("options").path("baseURL").asText()).isEqualTo(BASE_URL);
                assertThat(sent.path("args").path("model").asText()).isEqualTo(hostileModel);
                assertThat(sent.path("args").path("messages").get(0).path("content").asText())
                        .as("%s", type).isEqualTo(expected(prompt));
            }
        }
        assertThat(marker).doesNotExist();
    }

    // ------------------------------------------------------------------------------------------------ Python

    @Test
    void pythonSnippetsSendExactlyTheGivenModelAndPrompt() throws Exception {
        assumeTrue(available("python3"), "python3 is not installed");
        Path app = Files.createDirectories(work.resolve("py"));
        Path stub = Files.createDirectories(app.resolve("stubs/openai"));
        Files.writeString(stub.resolve("__init__.py"), """
                import json
                from types import SimpleNamespace


                class _Completions:
                    def __init__(self, options):
                        self.options = options

                    def create(self, **args):
                        print(json.dumps({"options": self.options, "args": args}), flush=True)
                        if args.get("stream"):
                            delta = SimpleNamespace(content="stub")
                            return iter([SimpleNamespace(choices=[SimpleNamespace(delta=delta)])])
                        message = SimpleNamespace(content="stub reply")
                        return SimpleNamespace(choices=[SimpleNamespace(message=message)])


                class OpenAI:
                    def __init__(self, **options):
                        self.chat = SimpleNamespace(completions=_Completions(options))
                """);
        String hostileModel = "x\"); import os; os.system(\"touch " + marker + "\"); (\"";
        for (Type type : Type.values()) {
            for (String prompt : hostile) {
                Path script = app.resolve("chat.py");
                Files.writeString(script, generator.generate(Language.PYTHON, type, hostileModel, prompt));
                Run run = run(List.of(python(), "-W", "error", script.toString()),
                        Map.of("PYTHONPATH", app.resolve("stubs").toString(), "PYTHONIOENCODING", "utf-8"), app);
                assertThat(run.exit()).as("%s: %s", type, run.stderr()).isZero();
                JsonNode sent = Json.MAPPER.readTree(firstLine(run.stdout()));
                assertThat(sent.path("options").path("base_url").asText()).isEqualTo(BASE_URL);
                assertThat(sent.path("args").path("model").asText()).isEqualTo(hostileModel);
                assertThat(sent.path("args").path("messages").get(0).path("content").asText())
                        .as("%s", type).isEqualTo(expected(prompt));
            }
        }
        assertThat(marker).doesNotExist();
    }

    // ------------------------------------------------------------------------------------------------ bash

    @Test
    void bashSnippetsParseAndPostExactlyTheJsonEncodedPrompt() throws Exception {
        assumeTrue(available("bash"), "bash is not installed");
        assumeTrue(available("jq"), "jq is not installed (the interactive bash snippet needs it)");
        Path bin = Files.createDirectories(work.resolve("bin"));
        Path capture = work.resolve("curl-args");
        Path curl = bin.resolve("curl");
        Files.writeString(curl, String.join("\n",
                "#!/usr/bin/env bash",
                ": > \"$CURL_CAPTURE\"",
                "body= previous=",
                "for a in \"$@\"; do",
                "  printf '%s\\0' \"$a\" >> \"$CURL_CAPTURE\"",
                "  [ \"$previous\" = -d ] && body=$a",
                "  previous=$a",
                "done",
                "case $body in",
                "  *'\"stream\":true'*) printf '%s' " + SnippetLiterals.shellQuote(STREAM_REPLY) + " ;;",
                "  *) printf '%s' " + SnippetLiterals.shellQuote(REPLY) + " ;;",
                "esac",
                ""));
        Files.setPosixFilePermissions(curl, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"),
                "CURL_CAPTURE", capture.toString());
        String hostileModel = "m'; touch " + marker + "; echo '\"$(touch " + marker + ")";
        List<String> prompts = new ArrayList<>(hostile);
        prompts.add("\"; rm -rf /; \""); // parsed with bash -n only: never executed, however inert it should be
        for (Type type : Type.values()) {
            for (String prompt : prompts) {
                Path script = work.resolve("chat.sh");
                Files.writeString(script, generator.generate(Language.BASH, type, hostileModel, prompt));
                Run syntax = run(List.of("bash", "-n", script.toString()), Map.of(), work);
                assertThat(syntax.exit()).as("bash -n: %s", syntax.stderr()).isZero();
                if (prompt.contains("rm -rf")) {
                    continue;
                }
                Files.deleteIfExists(capture);
                Run run = run(List.of("bash", script.toString()), env, work);
                assertThat(run.exit()).as("%s %s: %s", type, prompt, run.stderr()).isZero();
                List<String> args = List.of(Files.readString(capture, StandardCharsets.UTF_8).split("\0"));
                assertThat(args).contains(BASE_URL + "/chat/completions");
                String body = args.get(args.indexOf("-d") + 1);
                JsonNode sent = Json.MAPPER.readTree(body);
                assertThat(sent.path("model").asText()).isEqualTo(hostileModel);
                assertThat(sent.path("messages")).hasSize(1);
                assertThat(sent.path("messages").get(0).path("content").asText()).as("%s", type)
                        .isEqualTo(expected(prompt));
                switch (type) {
                    case BASIC -> {
                        assertThat(body).as("the body is exactly the JSON encoding")
                                .isEqualTo(CodeGenerator.chatBody(hostileModel, expected(prompt)));
                        assertThat(run.stdout()).startsWith(REPLY);
                    }
                    case STREAMING -> {
                        assertThat(body).as("the body is exactly the JSON encoding")
                                .isEqualTo(SnippetLiterals.chatBody(hostileModel, expected(prompt), true));
                        assertThat(args).contains("-sSN");
                        assertThat(run.stdout()).as("the text of each event, then the usage")
                                .isEqualTo("stub reply\n[3 prompt + 2 completion tokens]\n");
                    }
                    case INTERACTIVE -> assertThat(run.stdout()).contains("Assistant: stub reply");
                }
            }
        }
        assertThat(marker).doesNotExist();
    }

    // ------------------------------------------------------------------------------------------------ the endpoint

    @Test
    void answersCodeWithTheDefaultsAndTheBaseUrl() throws IOException {
        JsonNode answer = generator.generate(Json.MAPPER.readTree("{\"language\":\"js\",\"type\":\"basic\"}"));
        assertThat(answer.size()).isEqualTo(1);
        String code = answer.path("code").asText();
        assertThat(code).contains("import OpenAI from \"openai\"", "baseURL: \"" + BASE_URL + "\"",
                "model: \"openai/gpt-4o-mini\"", "content: \"Hello, world!\"");
        assertThat(generator.generate(Json.MAPPER.readTree(
                "{\"language\":\"Python\",\"type\":\"BASIC\",\"model\":\"\",\"prompt\":null}")).path("code").asText())
                .contains("base_url=\"" + BASE_URL + "\"", "model=\"openai/gpt-4o-mini\"", "\"Hello, world!\"");
        assertThat(generator.generate(Json.MAPPER.readTree(
                "{\"language\":\"bash\",\"type\":\"basic\",\"model\":\"meta/llama-3.3-70b-instruct\",\"prompt\":\"Hi\"}"))
                .path("code").asText())
                .contains("curl -sS \"$BASE_URL/chat/completions\"",
                        "BODY='{\"model\":\"meta/llama-3.3-70b-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}'");
        assertThat(generator.generate(Json.MAPPER.readTree("{\"language\":\"CURL\",\"type\":\"streaming\"}"))
                .path("code").asText()).as("curl is bash").contains("curl -sSN \"$BASE_URL/chat/completions\"");
        assertThat(generator.generate(Json.MAPPER.readTree("{\"language\":\"java\",\"type\":\"interactive\"}"))
                .path("code").asText()).contains("public class InteractiveChat", ".baseUrl(\"" + BASE_URL + "\")");
        assertThat(CodeGenerator.fileName(Language.JAVA, Type.STREAMING)).isEqualTo("StreamingChat.java");
        assertThat(CodeGenerator.fileName(Language.PYTHON, Type.BASIC)).isEqualTo("basic_chat.py");
        assertThat(CodeGenerator.fileName(Language.BASH, Type.INTERACTIVE)).isEqualTo("interactive-chat.sh");
        assertThat(new CodeGenerator("http://proxy.example:8080/v1/").generate(Language.JS, Type.BASIC, "m", "p"))
                .contains("baseURL: \"http://proxy.example:8080/v1\"");
        assertThat(Path.of("generated-examples")).as("writes no files").doesNotExist();
    }

    @Test
    void invalidRequestsAreA400NamingTheField() {
        assertThat(rejection("{\"type\":\"basic\"}").kind()).isEqualTo(ErrorKind.MISSING_PARAMETER);
        assertThat(rejection("{\"type\":\"basic\"}").param()).isEqualTo("language");
        ProxyError ruby = rejection("{\"language\":\"ruby\",\"type\":\"basic\"}");
        assertThat(ruby.status()).as("the reference answered 500").isEqualTo(400);
        assertThat(ruby.kind()).isEqualTo(ErrorKind.INVALID_VALUE);
        assertThat(ruby.message()).isEqualTo("language: \"ruby\" (expected: one of js, python, bash (or curl), java)");
        assertThat(rejection("{\"language\":\"js\",\"type\":\"fancy\"}").param()).isEqualTo("type");
        assertThat(rejection("{\"language\":\"js\"}").param()).isEqualTo("type");
        assertThat(rejection("{\"language\":7,\"type\":\"basic\"}").kind()).isEqualTo(ErrorKind.INVALID_PARAMETER);
        assertThat(rejection("{\"language\":\"js\",\"type\":\"basic\",\"model\":[\"a\"]}").param()).isEqualTo("model");
        assertThat(rejection("{\"language\":\"js\",\"type\":\"basic\",\"prompt\":{}}").param()).isEqualTo("prompt");
        assertThat(rejection("[]").message()).startsWith("request body: array");
        ProxyError longValue = rejection("{\"language\":\"" + "</script>".repeat(20) + "\",\"type\":\"basic\"}");
        assertThat(longValue.message()).hasSizeLessThan(120);

        assertThatThrownBy(() -> new CodeGenerator("file:///etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CodeGenerator("not a url")).isInstanceOf(IllegalArgumentException.class);
    }

    private ProxyError rejection(String body) {
        try {
            generator.generate(Json.MAPPER.readTree(body));
        } catch (ProxyErrorException e) {
            return e.error();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("accepted: " + body);
    }

    // ------------------------------------------------------------------------------------------------ processes

    private record Run(int exit, String stdout, String stderr) {
    }

    private static Run run(List<String> command, Map<String, String> env, Path directory) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        Run run = new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return run;
    }

    /** Debian's interpreter when there is one: a version manager's shim costs a second per run on a busy machine. */
    private static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    private static boolean available(String program) {
        try {
            Process process = new ProcessBuilder("sh", "-c", "command -v " + program).start();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
