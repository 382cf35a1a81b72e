package dev.llmproxy.tools;

import dev.llmproxy.openai.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyModelsTest {

    private static List<ProxyModel> parse(String data) throws IOException {
        return ProxyModels.parse(Json.MAPPER.readTree(data));
    }

    @Test
    void readsTheSingleUpstreamShapeWithItsLimits() throws IOException {
        List<ProxyModel> models = parse("""
                [{"id":"openai/gpt-4o-mini","object":"model","owned_by":"openai",
                  "limits":{"max_input_tokens":131072,"max_output_tokens":16384},
                  "supported_output_modalities":["text"]},
                 {"id":"openai/text-embedding-3-small","owned_by":"openai","supported_output_modalities":["embeddings"]},
                 {"object":"model"}, {"id":""}]
                """);
        assertThat(models).containsExactly(
                new ProxyModel("openai/gpt-4o-mini", "default", "openai", 131072, 16384, false),
                new ProxyModel("openai/text-embedding-3-small", "default", "openai", 0, 0, true));
    }

    @Test
    void readsNamedUpstreamsAndTheLimitFieldsOfOtherServers() throws IOException {
        List<ProxyModel> models = parse("""
                [{"id":"llama3.2:3b","upstream":"local","owned_by":"library"},
                 {"id":"qwen","upstream":"vllm","max_model_len":32768},
                 {"id":"router/x","upstream":"openrouter","context_length":200000,
                  "top_provider":{"max_completion_tokens":8192}},
                 {"id":"nomic-embed-text","upstream":"local"}]
                """);
        assertThat(models).extracting(ProxyModel::upstream).containsExactly("local", "vllm", "openrouter", "local");
        assertThat(models.get(1).maxInputTokens()).isEqualTo(32768);
        assertThat(models.get(2).maxInputTokens()).isEqualTo(200000);
        assertThat(models.get(2).maxOutputTokens()).isEqualTo(8192);
        assertThat(models.get(3).embeddings()).as("no modalities: the id tells").isTrue();
        assertThat(ProxyModels.byUpstream(models)).containsOnlyKeys("local", "vllm", "openrouter");
        assertThat(ProxyModels.byUpstream(models).get("local")).hasSize(2);
    }

    @Test
    void representativeSetTakesTheFirstChatModelsOfEachUpstream() throws IOException {
        List<ProxyModel> models = parse("""
                [{"id":"a1","upstream":"a"},{"id":"a-embed","upstream":"a"},{"id":"a2","upstream":"a"},
                 {"id":"a3","upstream":"a"},{"id":"b1","upstream":"b"}]
                """);
        assertThat(ProxyModels.representative(models, 2)).extracting(ProxyModel::id).containsExactly("a1", "a2", "b1");
    }

    @Test
    void namedModelsKeepTheGivenOrderAndAcceptUnlistedIds() throws IOException {
        List<ProxyModel> models = parse("[{\"id\":\"a\",\"upstream\":\"u\"},{\"id\":\"b\",\"upstream\":\"u\"}]");
        assertThat(ProxyModels.named(models, List.of("b", "deployment-x", "a")))
                .extracting(ProxyModel::id, ProxyModel::upstream)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("b", "u"),
                        org.assertj.core.groups.Tuple.tuple("deployment-x", "?"),
                        org.assertj.core.groups.Tuple.tuple("a", "u"));
    }
}
