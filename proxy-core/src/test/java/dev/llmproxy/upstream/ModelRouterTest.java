package dev.llmproxy.upstream;

import dev.llmproxy.config.RouteSpec;
import dev.llmproxy.config.RouteTarget;
import dev.llmproxy.config.UpstreamAuth;
import dev.llmproxy.config.UpstreamKind;
import dev.llmproxy.testing.TestUpstreams;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRouterTest {
    private final Upstream local = TestUpstreams.upstream(0, "local", UpstreamKind.OPENAI_COMPATIBLE,
            UpstreamAuth.NONE, null, List.of("llama3.2:3b", "shared-model"));
    private final Upstream openai = TestUpstreams.upstream(1, "openai", UpstreamKind.OPENAI, UpstreamAuth.BEARER,
            "sk", List.of("gpt-4.1-mini", "shared-model", "Org/Fine-Tune"));
    private final List<RouteSpec> routes = List.of(new RouteSpec("fast",
            List.of(new RouteTarget("local", "llama3.2:3b"), new RouteTarget("openai", "gpt-4.1-mini"))));

    private ModelRouter router(Optional<String> defaultUpstream) {
        return new ModelRouter(List.of(local, openai), routes, defaultUpstream);
    }

    /** The hop resolution gives: with the handle {@code r}'s index holds for the id (resolving interned it). */
    private static Hop hop(ModelRouter r, Upstream upstream, String model) {
        ModelHandle handle = r.models().find(model);
        assertThat(handle).as("interned: " + model).isNotNull();
        return new Hop(upstream, model, handle);
    }

    @Test
    void aListedIdGoesToTheFirstUpstreamListingItExactlyThenIgnoringCase() {
        ModelRouter r = router(Optional.empty());
        assertThat(r.resolve("llama3.2:3b")).containsExactly(hop(r, local, "llama3.2:3b"));
        assertThat(r.resolve("shared-model")).as("file order decides").containsExactly(hop(r, local, "shared-model"));
        assertThat(r.resolve("org/fine-tune")).as("sent as listed")
                .containsExactly(hop(r, openai, "Org/Fine-Tune"));
        assertThat(r.owner("gpt-4.1-mini")).contains(openai);
    }

    @Test
    void anUpstreamPrefixNamesTheUpstreamAndTheRestIsSent() {
        ModelRouter r = router(Optional.empty());
        assertThat(r.resolve("openai/o3")).containsExactly(hop(r, openai, "o3"));
        assertThat(r.resolve("local/qwen2.5:7b/x")).containsExactly(hop(r, local, "qwen2.5:7b/x"));
    }

    @Test
    void anAliasGivesItsTargetsInOrder() {
        ModelRouter r = router(Optional.empty());
        assertThat(r.resolve("fast"))
                .containsExactly(hop(r, local, "llama3.2:3b"), hop(r, openai, "gpt-4.1-mini"));
    }

    @Test
    void anUnknownIdGoesToTheDefaultOrTheOnlyUpstreamElseNowhere() {
        assertThat(router(Optional.empty()).resolve("unknown")).isEmpty();
        ModelRouter r = router(Optional.of("openai"));
        assertThat(r.resolve("unknown")).containsExactly(hop(r, openai, "unknown"));
        ModelRouter single = new ModelRouter(List.of(local), List.of(), Optional.empty());
        assertThat(single.resolve("my-deployment")).containsExactly(hop(single, local, "my-deployment"));
        assertThat(single.resolve("acme/x")).as("not an upstream name: unchanged to the only upstream")
                .containsExactly(hop(single, local, "acme/x"));
    }

    @Test
    void aHopsHandleGivesItsMetricsLabelAndItsUpstreamGate() {
        ModelRouter r = router(Optional.of("openai"));
        Hop listed = r.resolve("org/fine-tune").get(0);
        Hop unlisted = r.resolve("made-up").get(0);
        Hop prefixed = r.resolve("openai/ORG/FINE-TUNE").get(0);

        assertThat(r.label(listed)).isEqualTo("Org/Fine-Tune");
        assertThat(r.label(unlisted)).isEqualTo("other");
        assertThat(prefixed.handle()).as("one handle, whatever the case").isSameAs(listed.handle());
        assertThat(r.label(prefixed)).isEqualTo("Org/Fine-Tune");
        assertThat(openai.gate(prefixed.handle())).isSameAs(openai.gate(listed.handle()))
                .isNotSameAs(openai.gate(unlisted.handle())).isNotSameAs(openai.gate(ModelHandle.OTHER));
    }

    @Test
    void peekingAtAnUnlistedIdSpendsNoIndex() {
        ModelRouter r = router(Optional.of("openai"));
        int before = r.models().size();

        assertThat(r.peek("made-up")).extracting(Hop::upstream, Hop::model, Hop::handle)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(openai, "made-up", ModelHandle.OTHER));
        assertThat(r.peek("local/qwen3:8b").get(0).handle()).isSameAs(ModelHandle.OTHER);
        assertThat(r.peek("Org/Fine-Tune").get(0).handle()).isSameAs(r.models().find("org/fine-tune"));
        assertThat(r.models().size()).isEqualTo(before);
    }

    @Test
    void theCombinedListHasEveryModelOnceAndAliasesNameUnknownUpstreamsAtStart() {
        ModelRouter r = router(Optional.empty());
        assertThat(r.combined().current().models()).extracting(m -> m.id())
                .containsExactly("llama3.2:3b", "shared-model", "gpt-4.1-mini", "Org/Fine-Tune");
        assertThatThrownBy(() -> new ModelRouter(List.of(local), routes, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openai");
    }
}
