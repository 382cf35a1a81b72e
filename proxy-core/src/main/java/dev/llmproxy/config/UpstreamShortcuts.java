package dev.llmproxy.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The environment shortcuts that declare one upstream without a configuration file. When several are set, the
 * first of this order wins and the others are named in a start-up note: {@code OPENAI_BASE_URL} (the operator
 * named an address), then {@code AZURE_OPENAI_ENDPOINT} with {@code AZURE_OPENAI_API_KEY}, then
 * {@code OPENAI_API_KEY}, then {@code GITHUB_TOKEN}; with none, the embedded demo upstream. Stateless.
 */
final class UpstreamShortcuts {

    /** The shortcut settings, each already validated on its own. */
    record Values(Optional<URI> openAiBaseUrl, Optional<String> openAiApiKey, Optional<String> githubToken,
                  Optional<URI> azureEndpoint, Optional<String> azureApiKey) {

        /** The shortcut settings that are set, in precedence order. */
        List<Setting> set() {
            List<Setting> set = new ArrayList<>();
            addIf(set, openAiBaseUrl.isPresent(), Setting.OPENAI_BASE_URL);
            addIf(set, azureEndpoint.isPresent(), Setting.AZURE_OPENAI_ENDPOINT);
            addIf(set, azureApiKey.isPresent(), Setting.AZURE_OPENAI_API_KEY);
            addIf(set, openAiApiKey.isPresent(), Setting.OPENAI_API_KEY);
            addIf(set, githubToken.isPresent(), Setting.GITHUB_TOKEN);
            return set;
        }

        private static void addIf(List<Setting> set, boolean present, Setting s) {
            if (present) {
                set.add(s);
            }
        }
    }

    static final String PRECEDENCE = "OPENAI_BASE_URL, then AZURE_OPENAI_ENDPOINT, then OPENAI_API_KEY, then"
            + " GITHUB_TOKEN";

    private UpstreamShortcuts() {
    }

    /**
     * The one upstream the shortcuts declare, or the demo.
     *
     * @param problems receives an Azure endpoint without its key, or a key without its endpoint
     */
    static UpstreamsConfig choose(Values v, List<String> problems) {
        if (v.azureEndpoint().isPresent() != v.azureApiKey().isPresent()) {
            problems.add(v.azureEndpoint().isPresent()
                    ? Setting.AZURE_OPENAI_API_KEY.envName() + ": (unset) (expected: the key of AZURE_OPENAI_ENDPOINT,"
                    + " which is set; both or neither)"
                    : Setting.AZURE_OPENAI_ENDPOINT.envName() + ": (unset) (expected: the endpoint of"
                    + " AZURE_OPENAI_API_KEY, which is set, e.g. https://myres.openai.azure.com; both or neither)");
        }
        List<ConfigNote> notes = new ArrayList<>();
        if (v.openAiBaseUrl().isPresent()) {
            URI url = v.openAiBaseUrl().get();
            boolean github = "models.github.ai".equalsIgnoreCase(url.getHost());
            UpstreamKind kind = github ? UpstreamKind.GITHUB_MODELS : UpstreamKind.OPENAI_COMPATIBLE;
            Optional<String> key = v.openAiApiKey().or(v::githubToken);
            Setting keySource = v.openAiApiKey().isPresent() ? Setting.OPENAI_API_KEY : Setting.GITHUB_TOKEN;
            UpstreamSpec spec = spec("default", kind, url, key);
            notes.add(chosen(spec, Setting.OPENAI_BASE_URL, key.isPresent() ? ", key from " + keySource.envName()
                    : ", no key"));
            ignored(v, notes, Setting.OPENAI_BASE_URL, key.isPresent() ? keySource : Setting.OPENAI_BASE_URL);
            return shortcut(spec, Setting.OPENAI_BASE_URL, notes);
        }
        if (v.azureEndpoint().isPresent() && v.azureApiKey().isPresent()) {
            UpstreamSpec spec = spec("azure", UpstreamKind.AZURE, azureV1(v.azureEndpoint().get()), v.azureApiKey());
            notes.add(chosen(spec, Setting.AZURE_OPENAI_ENDPOINT, ", key from AZURE_OPENAI_API_KEY"));
            ignored(v, notes, Setting.AZURE_OPENAI_ENDPOINT, Setting.AZURE_OPENAI_API_KEY);
            return shortcut(spec, Setting.AZURE_OPENAI_ENDPOINT, notes);
        }
        if (v.openAiApiKey().isPresent()) {
            UpstreamKind kind = UpstreamKind.OPENAI;
            UpstreamSpec spec = spec("openai", kind, kind.defaultBaseUrl().orElseThrow(), v.openAiApiKey());
            notes.add(chosen(spec, Setting.OPENAI_API_KEY, ""));
            ignored(v, notes, Setting.OPENAI_API_KEY, Setting.OPENAI_API_KEY);
            return shortcut(spec, Setting.OPENAI_API_KEY, notes);
        }
        if (v.githubToken().isPresent()) {
            UpstreamKind kind = UpstreamKind.GITHUB_MODELS;
            UpstreamSpec spec = spec("github", kind, kind.defaultBaseUrl().orElseThrow(), v.githubToken());
            notes.add(chosen(spec, Setting.GITHUB_TOKEN, ""));
            return shortcut(spec, Setting.GITHUB_TOKEN, notes);
        }
        notes.add(ConfigNote.info("no upstream configured: the embedded demo upstream answers (set CONFIG_FILE, or"
                + " one of OPENAI_API_KEY, OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT, for a real one)"));
        return UpstreamsConfig.demo(notes);
    }

    /** The note for a configuration file: it decides, and which shortcuts that were set define nothing. */
    static ConfigNote fileNote(Path file, UpstreamsConfig fromFile, Values v) {
        List<String> set = names(v.set());
        String text = "upstreams from CONFIG_FILE " + file + ": " + fromFile.summary();
        return ConfigNote.info(set.isEmpty() ? text : text + "; " + String.join(", ", set)
                + " declare no upstream while CONFIG_FILE is set (the file's ${VAR} may still use them)");
    }

    /** {@code https://myres.openai.azure.com}, with or without {@code /openai} or {@code /openai/v1}, → the v1 API. */
    static URI azureV1(URI endpoint) {
        String url = endpoint.toString();
        if (url.endsWith(UpstreamSpecReader.AZURE_PATH)) {
            return endpoint;
        }
        return URI.create(url.endsWith("/openai") ? url + "/v1" : url + UpstreamSpecReader.AZURE_PATH);
    }

    private static UpstreamSpec spec(String name, UpstreamKind kind, URI baseUrl, Optional<String> key) {
        return new UpstreamSpec(name, kind, Optional.of(baseUrl), key, kind.defaultAuth(), Optional.empty(),
                kind.defaultResponses(), UpstreamLimits.NONE, kind.defaultCatalogUrl(), UpstreamOverrides.NONE,
                Map.of());
    }

    private static UpstreamsConfig shortcut(UpstreamSpec spec, Setting chosenBy, List<ConfigNote> notes) {
        if ("models.github.ai".equalsIgnoreCase(spec.baseUrl().orElseThrow().getHost())) {
            notes.add(ConfigNote.githubModelsRetired("upstream " + spec.name() + ": "));
        }
        return new UpstreamsConfig(List.of(spec), List.of(), Optional.empty(), List.of(),
                ConfigSource.environment(chosenBy), notes);
    }

    private static ConfigNote chosen(UpstreamSpec spec, Setting chosenBy, String key) {
        return ConfigNote.info("upstream " + spec.name() + " (" + spec.kind().wireName() + ", "
                + spec.baseUrl().orElseThrow() + key + ") from " + chosenBy.envName());
    }

    /** Names the shortcut settings that are set but unused, since the precedence picked another. */
    private static void ignored(Values v, List<ConfigNote> notes, Setting chosen, Setting usedKey) {
        List<Setting> unused = new ArrayList<>(v.set());
        unused.remove(chosen);
        unused.remove(usedKey);
        if (!unused.isEmpty()) {
            notes.add(ConfigNote.warning(String.join(", ", names(unused)) + " also set and ignored: " + chosen.envName()
                    + " takes precedence (order: " + PRECEDENCE + "; use CONFIG_FILE for several upstreams)"));
        }
    }

    private static List<String> names(List<Setting> settings) {
        List<String> names = new ArrayList<>(settings.size());
        for (Setting s : settings) {
            names.add(s.envName());
        }
        return names;
    }
}
