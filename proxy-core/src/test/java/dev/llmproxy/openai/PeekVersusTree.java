package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.io.ByteArrayInputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The differential oracle of {@link RequestPeek}: a body checked from its bytes ({@link OpenAiRequests#prepare(
 * Operation, ByteBuf, ModelCatalog, boolean)}: peeked, or judged by the tree path when the peek does not accept it)
 * must come out as the tree path alone makes it ({@link OpenAiRequests#prepare(Operation, java.io.InputStream,
 * ModelCatalog, boolean)}): the same error (status, code, message, param), or the same model ids, stream flag, usage
 * injection, output cap, prompt and upstream JSON value — also after a route sends it to another model id. A body
 * that does not change is sent as the client's exact bytes.
 */
final class PeekVersusTree {
    static final ModelCatalog CATALOG = ModelCatalog.bundled();
    private static final String OTHER_MODEL = "route/\u00e9t\u00e9 \"target\"";

    private PeekVersusTree() {
    }

    /** Asserts agreement; returns whether the body was peeked (accepted without a tree). */
    static boolean assertAgree(Operation operation, byte[] body, boolean inject) throws IOException {
        OpenAiRequests.Prepared tree = OpenAiRequests.prepare(operation, new ByteArrayInputStream(body), CATALOG,
                inject);
        ByteBuf client = Unpooled.wrappedBuffer(body);
        try {
            OpenAiRequests.Prepared bytes = OpenAiRequests.prepare(operation, client, CATALOG, inject);
            assertThat(client.readerIndex()).isZero();
            if (tree.error() != null) {
                assertThat(bytes.error()).as("error").isNotNull();
                assertThat(bytes.error().status()).isEqualTo(tree.error().status());
                assertThat(bytes.error().kind()).isEqualTo(tree.error().kind());
                assertThat(bytes.error().message()).isEqualTo(tree.error().message());
                assertThat(bytes.error().param()).isEqualTo(tree.error().param());
                return false;
            }
            assertThat(bytes.error()).as("accepted by the tree, so by the peek path").isNull();
            assertThat(bytes.clientModel()).isEqualTo(tree.clientModel());
            assertThat(bytes.upstreamModel()).isEqualTo(tree.upstreamModel());
            assertThat(bytes.stream()).isEqualTo(tree.stream());
            assertThat(bytes.usageInjected()).isEqualTo(tree.usageInjected());
            assertThat(bytes.outputCap()).isEqualTo(tree.outputCap());
            assertThat(bytes.changesBody()).isEqualTo(tree.rewritten() != null);
            JsonNode treeBody = tree.upstreamBody();
            assertSends(bytes, client, treeBody, body);
            if (bytes.peek() != null) {
                JsonNode messages = treeBody.get("messages");
                boolean allObjects = messages != null && messages.isArray();
                if (allObjects) {
                    for (JsonNode m : messages) {
                        allObjects &= m.isObject();
                    }
                }
                assertThat(bytes.peek().messagesArray()).isEqualTo(messages != null && messages.isArray());
                assertThat(bytes.peek().messagesAllObjects()).isEqualTo(allObjects);
                assertThat(bytes.peek().hasInput()).isEqualTo(treeBody.has("input"));
            }
            // a route target: the model id changes (and stays changed when the catalog had resolved it already)
            OpenAiRequests.Prepared rerouted = bytes.withUpstreamModel(OTHER_MODEL);
            OpenAiRequests.Prepared treeRerouted = tree.withUpstreamModel(OTHER_MODEL);
            assertThat(rerouted.upstreamModel()).isEqualTo(OTHER_MODEL);
            assertSends(rerouted, client, treeRerouted.upstreamBody(), body);
            return bytes.peek() != null;
        } finally {
            assertThat(client.refCnt()).as("the caller's buffer is not released").isEqualTo(1);
            client.release();
        }
    }

    private static void assertSends(OpenAiRequests.Prepared prepared, ByteBuf client, JsonNode treeBody, byte[] body)
            throws IOException {
        ByteBuf sent = prepared.upstreamBytes(client);
        try {
            byte[] sentBytes = ByteBufUtil.getBytes(sent);
            assertThat(Json.MAPPER.readTree(sentBytes)).as("upstream JSON value").isEqualTo(treeBody);
            if (!prepared.changesBody()) {
                assertThat(sentBytes).as("unchanged: the client's bytes").isEqualTo(body);
            }
            JsonNode prompt = new dev.llmproxy.exchange.Metering(null, prepared.upstreamModel(), prepared.prompt(),
                    prepared.promptField(), false).prompt(sent);
            JsonNode treePrompt = prepared.peek() != null
                    ? treeBody.get(prepared.promptField()) : prepared.prompt();
            assertThat(prompt).as("prompt").isEqualTo(treePrompt);
            assertThat(prepared.upstreamTree(sent)).isEqualTo(treeBody);
        } finally {
            sent.release();
        }
    }
}
