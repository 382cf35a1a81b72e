package dev.llmproxy.bridge;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.SseException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.responses.EasyInputMessage;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFormatTextJsonSchemaConfig;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseTextConfig;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The official SDKs, unchanged, against the proxy's protocol bridges: OpenAI's Java SDK on {@code /v1/responses}
 * (bridged onto a chat-only upstream, and passed through to a native {@code openai} upstream) and Anthropic's Java
 * SDK on {@code /v1/messages} and {@code count_tokens} (bridged). Each test asserts something the SDK could only see
 * if the bridge translated both ways: the SDK's typed objects, parsed from what the proxy made of a chat answer, and
 * the chat request the fake upstream received.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SdkBridgesIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String MODEL = "llama3.2:3b";
    private static final String CLAUDE = "claude-sonnet-4";
    private static final String WEATHER_ARGS = "{\"city\":\"Paris\"}";
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    @TempDir
    Path dir;

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;
    private final List<AutoCloseable> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    // ---------------------------------------------------------------- fixtures

    /** A proxy in front of one chat-only upstream ({@code openai-compatible}) serving {@value #MODEL}. */
    private void startChatOnly(String... settings) throws IOException {
        start("openai-compatible", MODEL, "", settings);
    }

    private void start(String kind, String model, String extra, String... settings) throws IOException {
        upstream = FakeUpstream.start(false);
        Path file = dir.resolve("llm-proxy.yaml");
        Files.writeString(file, """
                upstreams:
                  - name: local
                    kind: %s
                    base_url: %s/v1
                    models: [%s]
                %s
                """.formatted(kind, upstream.baseUrl(), model, extra), StandardCharsets.UTF_8);
        Map<String, String> all = ProxyUnderTest.settings(settings);
        all.put("CONFIG_FILE", file.toString());
        proxy = ProxyUnderTest.start(all);
    }

    private OpenAIClient openAi() {
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(proxy.openAiBaseUrl())
                .apiKey("client-key-not-for-upstream")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
        clients.add(client::close);
        return client;
    }

    /** Anthropic's SDK appends {@code v1/messages} to its base URL itself: the proxy's root, without {@code /v1}. */
    private AnthropicClient anthropic(String apiKey) {
        AnthropicClient client = AnthropicOkHttpClient.builder()
                .baseUrl(proxy.baseUrl().toString())
                .apiKey(apiKey)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
        clients.add(client::close);
        return client;
    }

    private RecordedRequest onlyRequest() {
        RecordedRequest got = upstream.awaitRequest(WAIT);
        assertThat(upstream.requests()).hasSize(1);
        return got;
    }

    /** A whole chat completion whose answer is the given tool calls ({@code id, name, arguments} triples). */
    private static String chatToolCalls(String... calls) {
        ObjectNode root = Json.object();
        root.put("id", "chatcmpl-t").put("object", "chat.completion").put("created", 1).put("model", MODEL);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant").putNull("content");
        ArrayNode toolCalls = message.putArray("tool_calls");
        for (int i = 0; i < calls.length; i += 3) {
            ObjectNode call = toolCalls.addObject();
            call.put("id", calls[i]).put("type", "function");
            call.putObject("function").put("name", calls[i + 1]).put("arguments", calls[i + 2]);
        }
        choice.put("finish_reason", "tool_calls");
        root.putObject("usage").put("prompt_tokens", 12).put("completion_tokens", 8).put("total_tokens", 20);
        return root.toString();
    }

    /** One chat stream chunk whose only choice carries {@code delta} (JSON) and {@code finishReason} (or none). */
    private static byte[] chunk(String delta, String finishReason) {
        return FakeUpstream.sseEvent("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\""
                + MODEL + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
                + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}]}");
    }

    /** The usage chunk a chat stream sends last when asked with {@code stream_options.include_usage}. */
    private static byte[] usageChunk(int prompt, int completion) {
        return FakeUpstream.sseEvent("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\""
                + MODEL + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":"
                + completion + ",\"total_tokens\":" + (prompt + completion) + "}}");
    }

    private static String text(String content) {
        return "{\"content\":" + Json.MAPPER.valueToTree(content) + "}";
    }

    /** Text deltas, a stop, a usage chunk (7 + 2) and {@code [DONE]}. */
    private static List<byte[]> textStream(String... pieces) {
        List<byte[]> chunks = new ArrayList<>();
        chunks.add(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null));
        for (String p : pieces) {
            chunks.add(chunk(text(p), null));
        }
        chunks.add(chunk("{}", "stop"));
        chunks.add(usageChunk(7, 2));
        chunks.add(FakeUpstream.sseEvent("[DONE]"));
        return chunks;
    }

    /** One call to get_weather, named in the first chunk, its arguments {@value #WEATHER_ARGS} split over three. */
    private static List<byte[]> toolCallStream() {
        String id = "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_s1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}";
        List<byte[]> chunks = new ArrayList<>();
        chunks.add(chunk(id, null));
        for (String piece : new String[]{"{\"ci", "ty\":\"Pa", "ris\"}"}) {
            chunks.add(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                    + Json.MAPPER.valueToTree(piece) + "}}]}", null));
        }
        chunks.add(chunk("{}", "tool_calls"));
        chunks.add(usageChunk(11, 6));
        chunks.add(FakeUpstream.sseEvent("[DONE]"));
        return chunks;
    }

    /** Streams {@code first} and then, once the proxy surely has it, resets the connection: no end, no [DONE]. */
    private static FakeUpstream.Behavior firstChunkThenReset(byte[] first) {
        return (request, exchange) -> exchange
                .startStream(200, Map.of("content-type", "text/event-stream"))
                .thenCompose(v -> exchange.sendChunk(first))
                .thenRun(() -> exchange.after(Duration.ofMillis(150), exchange::reset));
    }

    private static FunctionTool weatherFunction() {
        return FunctionTool.builder()
                .name("get_weather")
                .description("The weather in a city")
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties",
                                JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                        .build())
                .strict(false)
                .build();
    }

    private static Tool weatherTool() {
        return Tool.builder()
                .name("get_weather")
                .description("The weather in a city")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(Tool.InputSchema.Properties.builder()
                                .putAdditionalProperty("city",
                                        com.anthropic.core.JsonValue.from(Map.of("type", "string")))
                                .build())
                        .addRequired("city")
                        .build())
                .build();
    }

    private static List<ResponseFunctionToolCall> functionCalls(Response response) {
        return response.output().stream().filter(ResponseOutputItem::isFunctionCall)
                .map(ResponseOutputItem::asFunctionCall).toList();
    }

    private static String outputText(Response response) {
        StringBuilder text = new StringBuilder();
        response.output().stream().filter(ResponseOutputItem::isMessage).forEach(m -> m.asMessage().content()
                .forEach(c -> c.outputText().ifPresent(t -> text.append(t.text()))));
        return text.toString();
    }

    private static JsonNode json(String s) throws IOException {
        return Json.MAPPER.readTree(s);
    }

    // ---------------------------------------------------------------- Responses API, bridged

    @Test
    void responsesCreateGetsTheChatAnswerAsAResponseWithItsUsage() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("Hello from chat")));

        Response response = openAi().responses().create(ResponseCreateParams.builder()
                .model(MODEL).instructions("Be brief").input("Say hi").build());

        assertThat(response.status()).hasValue(ResponseStatus.COMPLETED);
        assertThat(response.output()).hasSize(1);
        assertThat(outputText(response)).isEqualTo("Hello from chat");
        assertThat(response.usage()).hasValueSatisfying(u -> {
            assertThat(u.inputTokens()).isEqualTo(3);
            assertThat(u.outputTokens()).isEqualTo(2);
            assertThat(u.totalTokens()).isEqualTo(5);
        });
        assertThat(response.model().asString()).isEqualTo(MODEL);
        response.validate(); // every field the SDK requires is there, in its type

        RecordedRequest got = onlyRequest();
        assertThat(got.uri()).isEqualTo("/v1/chat/completions");
        JsonNode messages = got.bodyJson().path("messages");
        assertThat(messages.get(0).path("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).toString()).contains("Be brief");
        assertThat(messages.get(1).path("role").asText()).isEqualTo("user");
        assertThat(messages.get(1).toString()).contains("Say hi");
        assertThat(got.headers().toString()).doesNotContain("client-key-not-for-upstream");
    }

    @Test
    void aChatToolCallReachesTheSdkAsAFunctionCallItem() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(200, chatToolCalls("call_abc", "get_weather", WEATHER_ARGS)));

        Response response = openAi().responses().create(ResponseCreateParams.builder()
                .model(MODEL).input("Weather in Paris?").addTool(weatherFunction()).build());

        List<ResponseFunctionToolCall> calls = functionCalls(response);
        assertThat(calls).hasSize(1);
        ResponseFunctionToolCall call = calls.get(0);
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.callId()).isEqualTo("call_abc");
        assertThat(call.arguments()).isEqualTo(WEATHER_ARGS);
        assertThat(response.status()).hasValue(ResponseStatus.COMPLETED);
        response.validate();

        JsonNode tools = onlyRequest().bodyJson().path("tools");
        assertThat(tools).hasSize(1);
        assertThat(tools.get(0).path("type").asText()).isEqualTo("function");
        assertThat(tools.get(0).at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(tools.get(0).at("/function/parameters/properties/city/type").asText()).isEqualTo("string");
    }

    @Test
    void twoParallelChatToolCallsBecomeTwoFunctionCallItemsInOrder() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(200, chatToolCalls(
                "call_1", "get_weather", WEATHER_ARGS,
                "call_2", "get_weather", "{\"city\":\"Rome\"}")));

        Response response = openAi().responses().create(ResponseCreateParams.builder()
                .model(MODEL).input("Weather in Paris and Rome?").addTool(weatherFunction())
                .parallelToolCalls(true).build());

        List<ResponseFunctionToolCall> calls = functionCalls(response);
        assertThat(calls).extracting(ResponseFunctionToolCall::callId).containsExactly("call_1", "call_2");
        assertThat(calls).extracting(ResponseFunctionToolCall::arguments)
                .containsExactly(WEATHER_ARGS, "{\"city\":\"Rome\"}");
        assertThat(calls).extracting(c -> c.id().orElseThrow()).doesNotHaveDuplicates();
        assertThat(onlyRequest().bodyJson().path("parallel_tool_calls").asBoolean()).isTrue();
    }

    @Test
    void aFunctionCallOutputInTheInputBecomesAToolMessageForThatCall() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("It is 18C and sunny in Paris.")));

        Response response = openAi().responses().create(ResponseCreateParams.builder()
                .model(MODEL)
                .addTool(weatherFunction())
                .inputOfResponse(List.of(
                        ResponseInputItem.ofEasyInputMessage(EasyInputMessage.builder()
                                .role(EasyInputMessage.Role.USER).content("Weather in Paris?").build()),
                        ResponseInputItem.ofFunctionCall(ResponseFunctionToolCall.builder()
                                .callId("call_abc").name("get_weather").arguments(WEATHER_ARGS).build()),
                        ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
                                .callId("call_abc").output("18C, sunny").build())))
                .build());

        assertThat(outputText(response)).isEqualTo("It is 18C and sunny in Paris.");
        JsonNode messages = onlyRequest().bodyJson().path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.get(0).path("role").asText()).isEqualTo("user");
        JsonNode assistant = messages.get(1);
        assertThat(assistant.path("role").asText()).isEqualTo("assistant");
        assertThat(assistant.at("/tool_calls/0/id").asText()).isEqualTo("call_abc");
        assertThat(assistant.at("/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(assistant.at("/tool_calls/0/function/arguments").asText()).isEqualTo(WEATHER_ARGS);
        JsonNode tool = messages.get(2);
        assertThat(tool.path("role").asText()).isEqualTo("tool");
        assertThat(tool.path("tool_call_id").asText()).isEqualTo("call_abc");
        assertThat(tool.toString()).contains("18C, sunny");
    }

    @Test
    void aJsonSchemaTextFormatBecomesChatsResponseFormat() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion(WEATHER_ARGS)));

        Response response = openAi().responses().create(ResponseCreateParams.builder()
                .model(MODEL).input("Where is it sunny?")
                .text(ResponseTextConfig.builder().format(ResponseFormatTextJsonSchemaConfig.builder()
                        .name("place")
                        .schema(ResponseFormatTextJsonSchemaConfig.Schema.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties",
                                        JsonValue.from(Map.of("city", Map.of("type", "string"))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                                .build())
                        .strict(true)
                        .build()).build())
                .build());

        assertThat(outputText(response)).isEqualTo(WEATHER_ARGS);
        assertThat(response.text().flatMap(t -> t.format())).hasValueSatisfying(
                f -> assertThat(f.isJsonSchema()).as("the request's format is echoed").isTrue());
        JsonNode format = onlyRequest().bodyJson().path("response_format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        assertThat(format.at("/json_schema/name").asText()).isEqualTo("place");
        assertThat(format.at("/json_schema/strict").asBoolean()).isTrue();
        assertThat(format.at("/json_schema/schema/properties/city/type").asText()).isEqualTo("string");
    }

    // ---------------------------------------------------------------- Responses API, bridged and streamed

    @Test
    void aStreamedResponseDeliversTextDeltasAndACompletedResponseWithUsage() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.sse(textStream("Hel", "lo", " there"), Duration.ofMillis(5)));

        List<ResponseStreamEvent> events = new ArrayList<>();
        try (var stream = openAi().responses().createStreaming(ResponseCreateParams.builder()
                .model(MODEL).input("Say hello").build())) {
            stream.stream().forEach(events::add);
        }

        assertThat(events.get(0).isCreated()).isTrue();
        StringBuilder text = new StringBuilder();
        events.forEach(e -> e.outputTextDelta().ifPresent(d -> text.append(d.delta())));
        assertThat(text).hasToString("Hello there");
        assertThat(events.stream().filter(ResponseStreamEvent::isOutputTextDone).findFirst().orElseThrow()
                .asOutputTextDone().text()).isEqualTo("Hello there");
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isCompleted()).as("last event: %s", last).isTrue();
        Response completed = last.asCompleted().response();
        assertThat(completed.status()).hasValue(ResponseStatus.COMPLETED);
        assertThat(outputText(completed)).isEqualTo("Hello there");
        assertThat(completed.usage()).hasValueSatisfying(u -> {
            assertThat(u.inputTokens()).isEqualTo(7);
            assertThat(u.outputTokens()).isEqualTo(2);
        });
        for (int i = 0; i < events.size(); i++) {
            events.get(i).validate();
        }

        JsonNode chat = onlyRequest().bodyJson();
        assertThat(chat.path("stream").asBoolean()).isTrue();
        assertThat(chat.at("/stream_options/include_usage").asBoolean()).isTrue();
    }

    @Test
    void aStreamedToolCallWithSplitArgumentsArrivesWhole() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.sse(toolCallStream(), Duration.ofMillis(5)));

        List<ResponseStreamEvent> events = new ArrayList<>();
        try (var stream = openAi().responses().createStreaming(ResponseCreateParams.builder()
                .model(MODEL).input("Weather in Paris?").addTool(weatherFunction()).build())) {
            stream.stream().forEach(events::add);
        }

        StringBuilder deltas = new StringBuilder();
        events.forEach(e -> e.functionCallArgumentsDelta().ifPresent(d -> deltas.append(d.delta())));
        assertThat(deltas).hasToString(WEATHER_ARGS);
        assertThat(events.stream().filter(ResponseStreamEvent::isFunctionCallArgumentsDone).toList())
                .singleElement().satisfies(e -> assertThat(e.asFunctionCallArgumentsDone().arguments())
                        .isEqualTo(WEATHER_ARGS));
        ResponseOutputItem done = events.stream().filter(ResponseStreamEvent::isOutputItemDone)
                .map(e -> e.asOutputItemDone().item()).toList().get(0);
        assertThat(done.isFunctionCall()).isTrue();
        assertThat(done.asFunctionCall().callId()).isEqualTo("call_s1");
        assertThat(done.asFunctionCall().name()).isEqualTo("get_weather");
        assertThat(done.asFunctionCall().arguments()).isEqualTo(WEATHER_ARGS);

        Response completed = events.get(events.size() - 1).asCompleted().response();
        assertThat(functionCalls(completed)).singleElement().satisfies(c -> {
            assertThat(c.arguments()).isEqualTo(WEATHER_ARGS);
            assertThat(c.callId()).isEqualTo("call_s1");
        });
        assertThat(completed.usage().orElseThrow().outputTokens()).isEqualTo(6);
    }

    @Test
    void aResponsesStreamCutAfterItsFirstChunkEndsInResponseFailed() throws Exception {
        startChatOnly();
        upstream.handler(firstChunkThenReset(chunk("{\"role\":\"assistant\",\"content\":\"Hel\"}", null)));

        List<ResponseStreamEvent> events = new ArrayList<>();
        Throwable thrown;
        try (var stream = openAi().responses().createStreaming(ResponseCreateParams.builder()
                .model(MODEL).input("Say hello").build())) {
            thrown = catchThrowable(() -> stream.stream().forEach(events::add));
        }

        assertThat(thrown).as("the SDK reads response.failed as an event, not an exception").isNull();
        assertThat(events).anySatisfy(e -> assertThat(e.outputTextDelta()).hasValueSatisfying(
                d -> assertThat(d.delta()).isEqualTo("Hel")));
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isFailed()).as("last event: %s", last).isTrue();
        Response failed = last.asFailed().response();
        assertThat(failed.status()).hasValue(ResponseStatus.FAILED);
        assertThat(failed.error()).hasValueSatisfying(error -> {
            assertThat(error.code().asString()).isEqualTo("server_error");
            assertThat(error.message()).isNotBlank();
        });
        assertThat(events).noneMatch(ResponseStreamEvent::isCompleted);
    }

    // ---------------------------------------------------------------- Responses API, native

    private static final String NATIVE_RESPONSE = """
            {"id":"resp_native_1","object":"response","created_at":1700000000,"status":"completed",\
            "background":false,"error":null,"incomplete_details":null,"instructions":null,\
            "max_output_tokens":null,"model":"gpt-4.1-mini-2025-04-14","output":[{"id":"msg_n1","type":"message",\
            "status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],\
            "logprobs":[],"text":"Native hello"}]}],"parallel_tool_calls":true,"previous_response_id":null,\
            "reasoning":{"effort":null,"summary":null},"store":false,"temperature":1.0,\
            "text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled",\
            "usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":0},"output_tokens":4,\
            "output_tokens_details":{"reasoning_tokens":0},"total_tokens":13},"user":null,"metadata":{},\
            "x_upstream_only":"kept"}""";

    private void startNative() throws IOException {
        start("openai", "gpt-4.1-mini", "    api_key: sk-upstream-test");
    }

    @Test
    void aNativeUpstreamGetsTheSdksRequestAndItsAnswerReachesTheSdkUnchanged() throws Exception {
        startNative();
        upstream.handler(FakeUpstream.json(200, NATIVE_RESPONSE));

        Response response = openAi().responses().create(ResponseCreateParams.builder()
                .model("gpt-4.1-mini").input("hi").maxOutputTokens(50L).build());

        assertThat(response.id()).isEqualTo("resp_native_1");
        assertThat(response.model().toString()).as("the upstream's model, not rewritten")
                .contains("gpt-4.1-mini-2025-04-14");
        assertThat(outputText(response)).isEqualTo("Native hello");
        assertThat(response.output().get(0).asMessage().id()).isEqualTo("msg_n1");
        assertThat(response.usage().orElseThrow().totalTokens()).isEqualTo(13);
        assertThat(response._allProperties()).containsKey("x_upstream_only");

        RecordedRequest got = onlyRequest();
        assertThat(got.method()).isEqualTo("POST");
        assertThat(got.uri()).isEqualTo("/v1/responses");
        assertThat(got.bodyJson()).isEqualTo(json("{\"input\":\"hi\",\"model\":\"gpt-4.1-mini\","
                + "\"max_output_tokens\":50}"));
        assertThat(got.header("Authorization")).isEqualTo("Bearer sk-upstream-test");
    }

    @Test
    void aNativeUpstreamsEventStreamReachesTheSdkUnchanged() throws Exception {
        startNative();
        String inProgress = NATIVE_RESPONSE.replace("\"status\":\"completed\",\"background\"",
                "\"status\":\"in_progress\",\"background\"");
        List<byte[]> sse = List.of(
                ("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
                        + "\"response\":" + inProgress + "}\n\n").getBytes(StandardCharsets.UTF_8),
                ("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
                        + "\"sequence_number\":1,\"item_id\":\"msg_n1\",\"output_index\":0,\"content_index\":0,"
                        + "\"delta\":\"Native \",\"logprobs\":[],\"obfuscation\":\"x1\"}\n\n")
                        .getBytes(StandardCharsets.UTF_8),
                ("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
                        + "\"sequence_number\":2,\"item_id\":\"msg_n1\",\"output_index\":0,\"content_index\":0,"
                        + "\"delta\":\"hello\",\"logprobs\":[],\"obfuscation\":\"x2\"}\n\n")
                        .getBytes(StandardCharsets.UTF_8),
                ("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":3,"
                        + "\"response\":" + NATIVE_RESPONSE + "}\n\n").getBytes(StandardCharsets.UTF_8));
        upstream.handler(FakeUpstream.sse(sse, Duration.ofMillis(5)));

        List<ResponseStreamEvent> events = new ArrayList<>();
        try (var stream = openAi().responses().createStreaming(ResponseCreateParams.builder()
                .model("gpt-4.1-mini").input("hi").build())) {
            stream.stream().forEach(events::add);
        }

        assertThat(events).hasSize(4);
        assertThat(events.get(0).asCreated().response().id()).isEqualTo("resp_native_1");
        assertThat(events.get(1).asOutputTextDelta().delta()).isEqualTo("Native ");
        assertThat(events.get(1).asOutputTextDelta().itemId()).isEqualTo("msg_n1");
        assertThat(events.get(1).asOutputTextDelta()._allProperties()).containsKey("obfuscation");
        assertThat(events.get(2).asOutputTextDelta().delta()).isEqualTo("hello");
        Response completed = events.get(3).asCompleted().response();
        assertThat(completed.id()).isEqualTo("resp_native_1");
        assertThat(completed.usage().orElseThrow().inputTokens()).isEqualTo(9);

        RecordedRequest got = onlyRequest();
        assertThat(got.uri()).isEqualTo("/v1/responses");
        JsonNode body = got.bodyJson();
        assertThat(body.path("model").asText()).isEqualTo("gpt-4.1-mini");
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.has("messages")).as("not bridged").isFalse();
    }

    // ---------------------------------------------------------------- Messages API

    private static MessageCreateParams.Builder messages(String user) {
        return MessageCreateParams.builder().model(CLAUDE).maxTokens(100).addUserMessage(user);
    }

    @Test
    void messagesCreateGetsTheChatAnswerAsAMessage() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("Hello from chat")));

        Message message = anthropic("anthropic-client-key").messages().create(
                messages("Say hi").system("Be brief").build());

        assertThat(message.content()).singleElement().satisfies(block ->
                assertThat(block.asText().text()).isEqualTo("Hello from chat"));
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().inputTokens()).isEqualTo(3);
        assertThat(message.usage().outputTokens()).isEqualTo(2);
        assertThat(message.model().asString()).isEqualTo(CLAUDE);
        message.validate();

        RecordedRequest got = onlyRequest();
        assertThat(got.uri()).isEqualTo("/v1/chat/completions");
        JsonNode chat = got.bodyJson();
        assertThat(chat.path("max_tokens").asInt()).isEqualTo(100);
        assertThat(chat.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(chat.path("messages").toString()).contains("Be brief").contains("Say hi");
        assertThat(got.header("x-api-key")).isNull();
        assertThat(got.headers().toString()).doesNotContain("anthropic-client-key");
    }

    @Test
    void aChatToolCallReachesTheSdkAsAToolUseBlock() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(200, chatToolCalls("call_abc", "get_weather", WEATHER_ARGS)));

        Message message = anthropic("k").messages().create(messages("Weather in Paris?").addTool(weatherTool())
                .build());

        assertThat(message.stopReason()).hasValue(StopReason.TOOL_USE);
        assertThat(message.content()).singleElement().satisfies(block -> {
            assertThat(block.isToolUse()).isTrue();
            ToolUseBlock use = block.asToolUse();
            assertThat(use.id()).isEqualTo("call_abc");
            assertThat(use.name()).isEqualTo("get_weather");
            assertThat(use._input().convert(OBJECT)).isEqualTo(Map.of("city", "Paris"));
        });
        message.validate();

        JsonNode tools = onlyRequest().bodyJson().path("tools");
        assertThat(tools.get(0).at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(tools.get(0).at("/function/parameters/properties/city/type").asText()).isEqualTo("string");
    }

    @Test
    void aStreamedMessageDeliversTextDeltasAndTheFinalUsage() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.sse(textStream("Hel", "lo", " there"), Duration.ofMillis(5)));

        MessageAccumulator accumulator = MessageAccumulator.create();
        StringBuilder text = new StringBuilder();
        try (var stream = anthropic("k").messages().createStreaming(messages("Say hello").build())) {
            stream.stream().peek(accumulator::accumulate).forEach(e -> e.contentBlockDelta()
                    .flatMap(d -> d.delta().text()).ifPresent(t -> text.append(t.text())));
        }

        assertThat(text).hasToString("Hello there");
        Message message = accumulator.message();
        assertThat(message.content()).singleElement().satisfies(b ->
                assertThat(b.asText().text()).isEqualTo("Hello there"));
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().outputTokens()).isEqualTo(2);
        assertThat(message.usage().inputTokens()).isEqualTo(7);
        assertThat(onlyRequest().bodyJson().at("/stream_options/include_usage").asBoolean()).isTrue();
    }

    @Test
    void aStreamedToolCallAccumulatesItsInputJsonDeltas() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.sse(toolCallStream(), Duration.ofMillis(5)));

        MessageAccumulator accumulator = MessageAccumulator.create();
        StringBuilder partialJson = new StringBuilder();
        try (var stream = anthropic("k").messages().createStreaming(messages("Weather in Paris?")
                .addTool(weatherTool()).build())) {
            stream.stream().peek(accumulator::accumulate).forEach(e -> e.contentBlockDelta()
                    .flatMap(d -> d.delta().inputJson()).ifPresent(j -> partialJson.append(j.partialJson())));
        }

        assertThat(partialJson).hasToString(WEATHER_ARGS);
        Message message = accumulator.message();
        assertThat(message.stopReason()).hasValue(StopReason.TOOL_USE);
        assertThat(message.content()).singleElement().satisfies(block -> {
            ToolUseBlock use = block.asToolUse();
            assertThat(use.id()).isEqualTo("call_s1");
            assertThat(use.name()).isEqualTo("get_weather");
            assertThat(use._input().convert(OBJECT)).isEqualTo(Map.of("city", "Paris"));
        });
        assertThat(message.usage().outputTokens()).isEqualTo(6);
    }

    @Test
    void countTokensIsAnsweredByTheProxyAlone() throws Exception {
        startChatOnly();

        MessageTokensCount count = anthropic("k").messages().countTokens(MessageCountTokensParams.builder()
                .model(CLAUDE).system("Be brief").addUserMessage("Count the tokens of this sentence, please.")
                .build());

        assertThat(count.inputTokens()).isPositive();
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void anUpstream500IsTheSdksInternalServerErrorInAnthropicsEnvelope() throws Exception {
        startChatOnly();
        upstream.handler(FakeUpstream.json(500,
                "{\"error\":{\"message\":\"upstream exploded\",\"type\":\"server_error\",\"param\":null,"
                        + "\"code\":null}}"));

        assertThatThrownBy(() -> anthropic("k").messages().create(messages("Say hi").build()))
                .isInstanceOfSatisfying(InternalServerException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(500);
                    assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).contains("upstream exploded"));
                    assertThat(e.type()).hasValueSatisfying(t -> assertThat(t.asString()).isEqualTo("api_error"));
                });
    }

    /**
     * A client presenting its key as {@code x-api-key}, as Anthropic's API documents it (and its other SDKs and
     * tools send it): this SDK version sends {@code apiKey} as {@code Authorization: Bearer} unless the request
     * already has an {@code X-Api-Key} header.
     */
    private AnthropicClient anthropicWithXApiKey(String baseUrl, String key) {
        AnthropicClient client = AnthropicOkHttpClient.builder()
                .baseUrl(baseUrl)
                .apiKey(key)
                .putHeader("X-Api-Key", key)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
        clients.add(client::close);
        return client;
    }

    @Test
    void theSdksKeyIsTheProxyKeyAndNeverGoesUpstream() throws Exception {
        String key = "sdk-proxy-key-0123456789";
        startChatOnly("PROXY_SERVER_KEY", key);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("keyed")));

        Message message = anthropic(key).messages().create(messages("Say hi").build());

        assertThat(message.content().get(0).asText().text()).isEqualTo("keyed");
        RecordedRequest got = onlyRequest();
        assertThat(got.header("x-api-key")).isNull();
        assertThat(got.headers().toString()).doesNotContain(key);

        assertThatThrownBy(() -> anthropic("wrong-key-0123456789").messages().create(messages("Say hi").build()))
                .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(401);
                    assertThat(e.body().convert(OBJECT)).as("Anthropic's envelope")
                            .containsEntry("type", "error");
                    assertThat(e.type()).hasValueSatisfying(
                            t -> assertThat(t.asString()).isEqualTo("authentication_error"));
                });
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void theProxyKeyIsAcceptedAsXApiKeyAndNeverGoesUpstream() throws Exception {
        String key = "sdk-proxy-key-0123456789";
        startChatOnly("PROXY_SERVER_KEY", key);
        upstream.handler(FakeUpstream.json(200, FakeUpstream.chatCompletion("keyed")));
        // what the SDK so configured sends: the key as x-api-key alone (asked of the fake directly)
        anthropicWithXApiKey(upstream.baseUrl().toString(), key).messages().create(messages("Say hi").build());
        RecordedRequest direct = upstream.awaitRequest(WAIT);
        assertThat(direct.header("x-api-key")).isEqualTo(key);
        assertThat(direct.header("Authorization")).isNull();

        Message message = anthropicWithXApiKey(proxy.baseUrl().toString(), key).messages().create(
                messages("Say hi").build());

        assertThat(message.content().get(0).asText().text()).isEqualTo("keyed");
        RecordedRequest got = upstream.awaitRequest(WAIT);
        assertThat(got.uri()).isEqualTo("/v1/chat/completions");
        assertThat(got.header("x-api-key")).isNull();
        assertThat(got.headers().toString()).doesNotContain(key);
        MessageTokensCount count = anthropicWithXApiKey(proxy.baseUrl().toString(), key).messages().countTokens(
                MessageCountTokensParams.builder().model(CLAUDE).addUserMessage("Count me").build());
        assertThat(count.inputTokens()).isPositive();
        assertThat(upstream.requests()).hasSize(2);
    }

    @Test
    void aMessagesStreamCutAfterItsFirstChunkEndsInAnErrorEvent() throws Exception {
        startChatOnly();
        upstream.handler(firstChunkThenReset(chunk("{\"role\":\"assistant\",\"content\":\"Hel\"}", null)));

        List<RawMessageStreamEvent> events = new ArrayList<>();
        Throwable thrown;
        try (var stream = anthropic("k").messages().createStreaming(messages("Say hello").build())) {
            thrown = catchThrowable(() -> stream.stream().forEach(events::add));
        }

        assertThat(events).anySatisfy(e -> assertThat(e.contentBlockDelta().flatMap(d -> d.delta().text()))
                .hasValueSatisfying(t -> assertThat(t.text()).isEqualTo("Hel")));
        assertThat(events).noneMatch(RawMessageStreamEvent::isMessageStop);
        assertThat(thrown).as("Anthropic's SDK throws on an error event").isInstanceOf(SseException.class);
        AnthropicServiceException error = (AnthropicServiceException) thrown;
        assertThat(error.body().convert(OBJECT)).containsEntry("type", "error");
        assertThat(error.type()).hasValueSatisfying(t -> assertThat(t.asString()).isEqualTo("api_error"));
        assertThat(error.apiMessage()).hasValueSatisfying(m -> assertThat(m).isNotBlank());
    }
}
