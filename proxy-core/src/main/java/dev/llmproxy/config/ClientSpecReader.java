package dev.llmproxy.config;

import dev.llmproxy.config.FieldReader.Field;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the items of {@code clients:} into {@link ClientSpec}s, checking that names and key hashes are unique
 * across the items read so far. Single-threaded: one instance per read of a file.
 */
final class ClientSpecReader {

    static final List<String> KEYS = List.of("name", "key_sha256", "models", "limits", "over_limit");
    static final List<String> LIMIT_KEYS = List.of("rpm", "tpm", "rpd", "concurrency", "monthly_tokens");
    static final String HASH_RULE = "the 64 hex digits of the SHA-256 of the client's key, as 'llm-proxy hash-key'"
            + " prints them (never the key itself)";

    private final FieldReader fields;
    private final Map<String, Integer> names = new HashMap<>();
    private final Map<ClientKeyDigest, Integer> digests = new HashMap<>();

    ClientSpecReader(FieldReader fields) {
        this.fields = fields;
    }

    /** The client of one item of {@code clients:}; empty when the item has a problem (reported). */
    Optional<ClientSpec> read(Field item) {
        int before = fields.problems().count();
        Optional<Map<String, Field>> mapping = fields.mapping(item, KEYS);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Field> f = mapping.get();
        Optional<String> name = name(item, f.get("name"));
        Optional<ClientKeyDigest> digest = digest(item, f.get("key_sha256"));
        Optional<List<String>> models = Optional.ofNullable(f.get("models"))
                .flatMap(m -> fields.texts(m, "model id or route alias"));
        ClientLimits limits = Optional.ofNullable(f.get("limits")).map(this::limits).orElse(ClientLimits.NONE);
        ClientSpec.OverLimit overLimit = Optional.ofNullable(f.get("over_limit"))
                .flatMap(o -> fields.choice(o, ClientSpec.OverLimit.class)).orElse(ClientSpec.OverLimit.REJECT);
        if (fields.problems().count() != before || name.isEmpty() || digest.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ClientSpec(name.get(), digest.get(), models, limits, overLimit));
    }

    private Optional<String> name(Field item, Field field) {
        if (field == null) {
            fields.missing(item, "name", UpstreamSpecReader.NAME_RULE + ", unique among the clients");
            return Optional.empty();
        }
        Optional<String> name = fields.text(field, UpstreamSpecReader.NAME_RULE);
        if (name.isEmpty()) {
            return name;
        }
        if (!UpstreamSpecReader.NAME.matcher(name.get()).matches()) {
            fields.problem(field, fields.shown(field), UpstreamSpecReader.NAME_RULE + ", e.g. "
                    + UpstreamSpecReader.suggestedName(name.get()));
            return Optional.empty();
        }
        Integer earlier = names.putIfAbsent(name.get(), field.line());
        if (earlier != null) {
            fields.problem(field, name.get(), "a name no other client has; line " + earlier + " already uses it");
            return Optional.empty();
        }
        return name;
    }

    private Optional<ClientKeyDigest> digest(Field item, Field field) {
        if (field == null) {
            fields.missing(item, "key_sha256", HASH_RULE);
            return Optional.empty();
        }
        Optional<String> text = fields.secret(field, HASH_RULE);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Optional<ClientKeyDigest> digest = ClientKeyDigest.parseHex(text.get());
        if (digest.isEmpty()) {
            // shown hidden: the usual mistake is pasting the key itself here
            fields.problem(field, ValueRules.HIDDEN, HASH_RULE);
            return Optional.empty();
        }
        Integer earlier = digests.putIfAbsent(digest.get(), field.line());
        if (earlier != null) {
            fields.problem(field, digest.get().toString(), "a key no other client has; line " + earlier
                    + " has the same hash, so one key would stand for two clients");
            return Optional.empty();
        }
        return digest;
    }

    private ClientLimits limits(Field field) {
        Optional<Map<String, Field>> mapping = fields.mapping(field, LIMIT_KEYS);
        if (mapping.isEmpty()) {
            return ClientLimits.NONE;
        }
        Map<String, Field> f = mapping.get();
        return new ClientLimits(
                (int) count(f.get("rpm"), Integer.MAX_VALUE),
                count(f.get("tpm"), Long.MAX_VALUE),
                (int) count(f.get("rpd"), Integer.MAX_VALUE),
                (int) count(f.get("concurrency"), Integer.MAX_VALUE),
                count(f.get("monthly_tokens"), Long.MAX_VALUE));
    }

    private long count(Field field, long max) {
        if (field == null) {
            return 0;
        }
        return fields.integer(field, 0, max, "an integer from 0 (no limit) to " + max).orElse(0L);
    }
}
