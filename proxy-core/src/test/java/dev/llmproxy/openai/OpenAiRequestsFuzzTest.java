package dev.llmproxy.openai;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the request checks ({@link OpenAiRequests#prepare}) with any body for any operation: no exception; a refusal
 * is a 400 in the OpenAI envelope; an accepted request has a real model id (non-blank, at most
 * {@link OpenAiRequests#MAX_MODEL_CHARS} chars, no placeholder brackets), a {@code stream} flag that is the body's,
 * and usage injected only into a stream that then asks for it. Round trip: the body as it goes upstream, checked
 * again, is accepted with the same model and stream and needs no second injection. An input is one byte choosing the
 * operation, then the body.
 */
class OpenAiRequestsFuzzTest {
    private static final ModelCatalog CATALOG = ModelCatalog.bundled();
    private static final Operation[] OPERATIONS = Operation.values();

    @FuzzTest(maxDuration = "10m")
    void acceptsOnlyWellFormedRequestsAndRewritesThemIdempotently(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        Operation operation = OPERATIONS[(input[0] & 0xFF) % OPERATIONS.length];
        boolean inject = (input[0] & 0x80) == 0;
        byte[] body = Arrays.copyOfRange(input, 1, input.length);

        OpenAiRequests.Prepared prepared = OpenAiRequests.prepare(operation, new ByteArrayInputStream(body),
                CATALOG, inject);

        if (prepared.error() != null) {
            assertThat(prepared.error().status()).isEqualTo(400);
            JsonNode envelope = Json.MAPPER.readTree(prepared.error().toJson());
            assertThat(envelope.path("error").path("message").isTextual()).isTrue();
            assertThat(envelope.path("error").path("type").isTextual()).isTrue();
            return;
        }
        String model = prepared.clientModel();
        assertThat(model).isNotBlank().doesNotContain("<", ">");
        assertThat(model.length()).isLessThanOrEqualTo(OpenAiRequests.MAX_MODEL_CHARS);
        assertThat(prepared.upstreamModel()).isEqualTo(CATALOG.resolve(model));
        JsonNode upstreamBody = prepared.upstreamBody();
        assertThat(upstreamBody.path("model").textValue()).isEqualTo(prepared.upstreamModel());
        assertThat(prepared.stream()).isEqualTo(upstreamBody.path("stream").asBoolean(false));
        if (prepared.usageInjected()) {
            assertThat(inject && prepared.stream()).isTrue();
            assertThat(prepared.rewritten()).isSameAs(upstreamBody);
            assertThat(upstreamBody.path("stream_options").path("include_usage").booleanValue()).isTrue();
        }

        Operation again = operation == Operation.LEGACY_COMPLETIONS ? Operation.CHAT_COMPLETIONS : operation;
        OpenAiRequests.Prepared twice = OpenAiRequests.prepare(again,
                new ByteArrayInputStream(Json.MAPPER.writeValueAsBytes(upstreamBody)), CATALOG, inject);
        assertThat(twice.error()).isNull();
        assertThat(twice.upstreamModel()).isEqualTo(prepared.upstreamModel());
        assertThat(twice.stream()).isEqualTo(prepared.stream());
        assertThat(twice.rewritten()).as("checked again, nothing is left to rewrite").isNull();
    }
}
