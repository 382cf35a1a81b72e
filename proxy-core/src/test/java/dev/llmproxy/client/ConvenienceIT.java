package dev.llmproxy.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmproxy.openai.Json;
import dev.llmproxy.testing.FakeUpstream;
import dev.llmproxy.testing.ProxyUnderTest;
import dev.llmproxy.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The convenience endpoints compose chat calls that take the same path as direct ones (admission, metrics,
 * model resolution) and answer in their own shapes with correct statuses — the reference mapped every simple-chat
 * error to 500 and reported 403/429/500 as {@code working: true}.
 */
class ConvenienceIT {
    private static final String ANSWER = FakeUpstream.chatCompletion("Hi there");

    private FakeUpstream upstream;
    private ProxyUnderTest proxy;

    private void start(String... settings) {
        upstream = FakeUpstream.start(false);
        upstream.handler(FakeUpstream.json(200, ANSWER));
        proxy = ProxyUnderTest.start(upstream, ProxyUnderTest.settings(settings));
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void simpleChatSendsASystemPromptAndAnswersWithTheMessage() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/simple-chat", "{\"model\":\"gpt-4o-mini\",\"message\":\"Hello\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"message\":\"Hi there\"}");
        JsonNode sent = last().bodyJson();
        assertThat(sent.path("model").asText()).as("sent as the client named it").isEqualTo("gpt-4o-mini");
        assertThat(sent.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(sent.at("/messages/1/content").asText()).isEqualTo("Hello");
        assertThat(sent.path("temperature").asDouble()).isEqualTo(0.7);
    }

    @Test
    void simpleChatPassesUpstreamErrorsThroughWithTheirStatus() throws Exception {
        start();
        upstream.handler(FakeUpstream.json(404, "{\"error\":{\"code\":\"unknown_model\",\"message\":\"Unknown model\"}}"));
        HttpResponse<String> r = proxy.postJson("/v1/simple-chat", "{\"model\":\"nope\",\"message\":\"Hello\"}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(r.body()).at("/error/code").asText()).isEqualTo("unknown_model");
        assertThat(proxy.postJson("/v1/simple-chat", "{\"model\":\"m\"}").statusCode()).isEqualTo(400);
        assertThat(proxy.postJson("/v1/simple-chat", "[1]").statusCode()).isEqualTo(400);
    }

    @Test
    void testModelReportsWorkingOnlyWhenTheModelAnswered() throws Exception {
        start();
        JsonNode ok = Json.MAPPER.readTree(proxy.postJson("/v1/test-model", "{\"model\":\"gpt-4o-mini\"}").body());
        assertThat(ok.path("working").asBoolean()).isTrue();
        assertThat(ok.path("response").asText()).isEqualTo("Hi there");
        JsonNode sent = last().bodyJson();
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(10);
        assertThat(sent.at("/messages/0/content").asText()).isEqualTo("Hello");

        for (int status : new int[]{403, 429, 500}) {
            upstream.handler(FakeUpstream.json(status, "{\"error\":{\"message\":\"failure " + status + "\"}}"));
            HttpResponse<String> r = proxy.get("/v1/test-model?model=openai/gpt-4.1-mini");
            assertThat(r.statusCode()).as("a probe answers 200 and reports failure as data").isEqualTo(200);
            JsonNode failed = Json.MAPPER.readTree(r.body());
            assertThat(failed.path("working").asBoolean()).as("status " + status).isFalse();
            assertThat(failed.path("model").asText()).isEqualTo("openai/gpt-4.1-mini");
            assertThat(failed.path("status").asInt()).isEqualTo(status);
            assertThat(failed.path("error").asText()).isNotBlank();
        }
        assertThat(proxy.get("/v1/test-model").statusCode()).as("model missing").isEqualTo(400);
    }

    @Test
    void theUniversalProxyTakesAStringOrMessagesAndSpreadsOptions() throws Exception {
        start();
        HttpResponse<String> r = proxy.postJson("/v1/proxy",
                "{\"model\":\"gpt-4o-mini\",\"input\":\"Tell me\",\"options\":{\"temperature\":0.2,\"model\":\"x\"}}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(ANSWER);
        JsonNode sent = last().bodyJson();
        assertThat(sent.path("model").asText()).as("sent as the client named it").isEqualTo("gpt-4o-mini");
        assertThat(sent.at("/messages/0/content").asText()).isEqualTo("Tell me");
        assertThat(sent.path("temperature").asDouble()).isEqualTo(0.2);

        proxy.postJson("/v1/proxy", "{\"model\":\"openai/gpt-4o\",\"input\":[{\"role\":\"user\",\"content\":\"a\"}]}");
        assertThat(last().bodyJson().at("/messages/0/content").asText()).isEqualTo("a");
        assertThat(proxy.postJson("/v1/proxy", "{\"model\":\"m\",\"input\":\"x\",\"type\":\"responses\"}").statusCode())
                .isEqualTo(400);
        assertThat(proxy.postJson("/v1/proxy", "{\"input\":\"x\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void strictModeRemovesTheConvenienceEndpoints() throws Exception {
        start("STRICT_OPENAI_API", "true");
        for (String path : List.of("/v1/simple-chat", "/v1/test-model", "/v1/proxy", "/v1/history")) {
            assertThat(proxy.postJson(path, "{}").statusCode()).as(path).isEqualTo(404);
        }
        assertThat(proxy.get("/v1/stats").statusCode()).as("kept in strict mode, as in the reference").isEqualTo(200);
    }

    private RecordedRequest last() {
        List<RecordedRequest> all = upstream.requests();
        return all.get(all.size() - 1);
    }
}
