package dev.llmproxy.openai;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiRequestsTest {
    private final ModelCatalog catalog = ModelCatalog.bundled();

    private OpenAiRequests.Prepared prepare(Operation op, String json) {
        return OpenAiRequests.prepare(op, new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), catalog);
    }

    private static void assertError(OpenAiRequests.Prepared p, int status, String message, String param, String code) {
        assertThat(p.error()).isNotNull();
        assertThat(p.error().status()).isEqualTo(status);
        assertThat(p.error().message()).isEqualTo(message);
        assertThat(p.error().param()).isEqualTo(param);
        assertThat(p.error().kind().code()).isEqualTo(code);
    }

    @Test
    void chatValidationUsesTheReferenceMessagesInOrder() {
        assertError(prepare(Operation.CHAT_COMPLETIONS, "{\"messages\":[]}"), 400,
                "you must provide a model parameter", "model", null);
        assertError(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"\",\"messages\":[]}"), 400,
                "you must provide a model parameter", "model", null);
        assertError(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"<model-id>\"}"), 400,
                "invalid model parameter: replace placeholder with a real model id (e.g., 'openai/gpt-4o-mini'); "
                        + "call /v1/models to list available ids", "model", "model_placeholder");
        assertError(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"gpt-4o\"}"), 400,
                "you must provide a messages parameter", "messages", null);
        assertError(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"gpt-4o\",\"messages\":\"hi\"}"), 400,
                "you must provide a messages parameter", "messages", null);
    }

    @Test
    void typeErrorsTheReferenceLetThroughAreRefused() {
        assertError(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":42,\"messages\":[]}"), 400,
                "model must be a string", "model", "invalid_type");
        assertError(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[],\"stream\":\"yes\"}"), 400,
                "stream must be a boolean", "stream", "invalid_type");
        assertError(prepare(Operation.LEGACY_COMPLETIONS, "{\"model\":\"m\",\"prompt\":5}"), 400,
                "prompt must be a string or an array", "prompt", "invalid_type");
    }

    @Test
    void bodyMustBeAJsonObject() {
        assertThat(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":").error().kind()).isEqualTo(ErrorKind.INVALID_JSON);
        assertThat(prepare(Operation.CHAT_COMPLETIONS, "[1,2]").error().message())
                .isEqualTo("request body must be a JSON object");
        assertThat(prepare(Operation.CHAT_COMPLETIONS, "").error().kind()).isEqualTo(ErrorKind.INVALID_JSON);
        assertThat(prepare(Operation.CHAT_COMPLETIONS, "{} {}").error().kind()).isEqualTo(ErrorKind.INVALID_JSON);
        // a number BigDecimal cannot hold made Jackson throw an unchecked exception out of the check
        assertThat(prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[],\"t\":1e2147483648}")
                .error().kind()).isEqualTo(ErrorKind.INVALID_JSON);
    }

    @Test
    void embeddingsAndCompletionsNeedTheirInput() {
        assertError(prepare(Operation.EMBEDDINGS, "{\"model\":\"m\"}"), 400, "you must provide model and input", null, null);
        assertError(prepare(Operation.EMBEDDINGS, "{\"input\":\"x\"}"), 400, "you must provide model and input", null, null);
        assertThat(prepare(Operation.EMBEDDINGS, "{\"model\":\"m\",\"input\":null}").error()).isNull();
        assertError(prepare(Operation.LEGACY_COMPLETIONS, "{\"model\":\"m\"}"), 400, "you must provide model and prompt",
                null, null);
    }

    @Test
    void unchangedBodiesAreForwardedAsTheClientsBytes() {
        OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS,
                "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[],\"foo_unknown\":1}");
        assertThat(p.error()).isNull();
        assertThat(p.rewritten()).isNull();
        assertThat(p.upstreamModel()).isEqualTo("openai/gpt-4o-mini");
    }

    @Test
    void shortModelNamesAreResolvedAndEveryOtherFieldIsKeptExactly() {
        OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS,
                "{\"model\":\"GPT-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                        + "\"temperature\":0.70,\"top_p\":1e-7,\"seed\":123456789012345678901234567890,\"stream\":true}");
        assertThat(p.error()).isNull();
        assertThat(p.clientModel()).isEqualTo("GPT-4o-mini");
        assertThat(p.upstreamModel()).isEqualTo("openai/gpt-4o-mini");
        assertThat(p.stream()).isTrue();
        String json = new String(Json.bytes(p.rewritten()), StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"temperature\":0.70,\"top_p\":1E-7,\"seed\":123456789012345678901234567890,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}");
    }

    @Test
    void unknownModelsPassUnchanged() {
        OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"my-own/model\",\"messages\":[]}");
        assertThat(p.rewritten()).isNull();
        assertThat(p.upstreamModel()).isEqualTo("my-own/model");
    }

    @Test
    void legacyCompletionsBecomeAChatRequestWithTheResolvedModel() {
        OpenAiRequests.Prepared p = prepare(Operation.LEGACY_COMPLETIONS,
                "{\"model\":\"gpt-4o-mini\",\"prompt\":\"Say hi\",\"max_tokens\":5}");
        assertThat(p.rewritten().path("model").asText()).isEqualTo("openai/gpt-4o-mini");
        assertThat(p.rewritten().path("messages").get(0).path("content").asText()).isEqualTo("Say hi");
        assertThat(p.rewritten().has("prompt")).isFalse();
        assertThat(p.rewritten().path("max_tokens").asInt()).isEqualTo(5);
        assertThat(p.clientModel()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void streamedChatWithoutUsageGetsIncludeUsageInjectedAndKeepsEveryOtherField() {
        OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS,
                "{\"model\":\"openai/gpt-4o-mini\",\"stream\":true,\"messages\":[],\"foo_unknown\":{\"a\":[1,2.50]}}");
        assertThat(p.error()).isNull();
        assertThat(p.usageInjected()).isTrue();
        assertThat(json(p)).isEqualTo("{\"model\":\"openai/gpt-4o-mini\",\"stream\":true,\"messages\":[],"
                + "\"foo_unknown\":{\"a\":[1,2.50]},\"stream_options\":{\"include_usage\":true}}");
    }

    @Test
    void otherStreamOptionsMembersAreKeptInPlace() {
        OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"openai/gpt-4o\",\"messages\":[],"
                + "\"stream_options\":{\"include_obfuscation\":false,\"x\":1},\"stream\":true,\"n\":1}");
        assertThat(p.usageInjected()).isTrue();
        assertThat(json(p)).isEqualTo("{\"model\":\"openai/gpt-4o\",\"messages\":[],"
                + "\"stream_options\":{\"include_obfuscation\":false,\"x\":1,\"include_usage\":true},\"stream\":true,\"n\":1}");
    }

    @Test
    void includeUsageFalseOrNullIsTurnedOnInPlace() {
        OpenAiRequests.Prepared off = prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"openai/gpt-4o\",\"messages\":[],"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":false,\"x\":1}}");
        assertThat(off.usageInjected()).isTrue();
        assertThat(json(off)).endsWith("\"stream_options\":{\"include_usage\":true,\"x\":1}}");

        OpenAiRequests.Prepared nullOptions = prepare(Operation.CHAT_COMPLETIONS,
                "{\"model\":\"openai/gpt-4o\",\"stream_options\":null,\"messages\":[],\"stream\":true}");
        assertThat(nullOptions.usageInjected()).isTrue();
        assertThat(json(nullOptions)).isEqualTo("{\"model\":\"openai/gpt-4o\",\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[],\"stream\":true}");
    }

    @Test
    void aClientThatAskedForUsageIsForwardedByteExact() {
        OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"openai/gpt-4o\",\"messages\":[],"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(p.error()).isNull();
        assertThat(p.usageInjected()).isFalse();
        assertThat(p.rewritten()).isNull();
    }

    @Test
    void nonStreamRequestsAreNeverInjected() {
        for (String stream : new String[]{"", ",\"stream\":false", ",\"stream\":null"}) {
            OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS,
                    "{\"model\":\"openai/gpt-4o\",\"messages\":[]" + stream + "}");
            assertThat(p.usageInjected()).as(stream).isFalse();
            assertThat(p.rewritten()).as(stream).isNull();
        }
        OpenAiRequests.Prepared embeddings = prepare(Operation.EMBEDDINGS,
                "{\"model\":\"openai/text-embedding-3-small\",\"input\":\"x\",\"stream\":true}");
        assertThat(embeddings.usageInjected()).isFalse();
        assertThat(embeddings.rewritten()).isNull();
    }

    @Test
    void injectionCanBeTurnedOffForAnUpstreamThatRefusesStreamOptions() {
        OpenAiRequests.Prepared p = OpenAiRequests.prepare(Operation.CHAT_COMPLETIONS, new ByteArrayInputStream(
                "{\"model\":\"openai/gpt-4o\",\"messages\":[],\"stream\":true}".getBytes(StandardCharsets.UTF_8)),
                catalog, false);
        assertThat(p.error()).isNull();
        assertThat(p.usageInjected()).isFalse();
        assertThat(p.rewritten()).isNull();
    }

    @Test
    void streamOptionsOfTheWrongTypeAreLeftForTheUpstreamToRefuse() {
        for (String options : new String[]{"\"yes\"", "[]", "{\"include_usage\":\"true\"}", "{\"include_usage\":1}"}) {
            OpenAiRequests.Prepared p = prepare(Operation.CHAT_COMPLETIONS, "{\"model\":\"openai/gpt-4o\",\"messages\":[],"
                    + "\"stream\":true,\"stream_options\":" + options + "}");
            assertThat(p.usageInjected()).as(options).isFalse();
            assertThat(p.rewritten()).as(options).isNull();
        }
    }

    @Test
    void streamedLegacyCompletionsAreInjectedInTheChatRequest() {
        OpenAiRequests.Prepared p = prepare(Operation.LEGACY_COMPLETIONS,
                "{\"model\":\"gpt-4o-mini\",\"prompt\":\"Say hi\",\"stream\":true,\"stream_options\":{\"x\":1}}");
        assertThat(p.usageInjected()).isTrue();
        assertThat(json(p)).isEqualTo("{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}],"
                + "\"stream\":true,\"stream_options\":{\"x\":1,\"include_usage\":true}}");

        OpenAiRequests.Prepared asked = prepare(Operation.LEGACY_COMPLETIONS,
                "{\"model\":\"gpt-4o-mini\",\"prompt\":\"Say hi\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(asked.usageInjected()).isFalse();
        assertThat(asked.rewritten().path("stream_options").path("include_usage").booleanValue()).isTrue();
    }

    private static String json(OpenAiRequests.Prepared p) {
        return new String(Json.bytes(p.rewritten()), StandardCharsets.UTF_8);
    }
}
