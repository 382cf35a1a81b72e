package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Alternatives for a request that failed on one model: the catalog ids that can serve the same request, best first,
 * for the {@code suggestions} field of error responses (unknown model, model not available on the plan, daily quota
 * exhausted, prompt too long).
 *
 * <h2>Who can serve a request</h2>
 * A candidate outputs what the request wants (text for chat — an empty output list counts as text, a catalog
 * quirk — or embeddings), accepts every input modality the request sends, has the {@code tool-calling} capability
 * when the request declares tools and {@code streaming} when it asks for a stream (a model listed without input
 * modalities, as a plain OpenAI-compatible {@code GET /models} lists every model, is taken as text-in with unknown
 * capabilities: it serves text requests, whatever their tools or stream), has an input limit (the catalog's
 * {@code max_input_tokens}, lowered by the plan's per-request cap, see {@link TokenLimits}) of at least the prompt's
 * tokens when those are known, is available on the plan when one applies, and is not the failing model (compared
 * after short-name resolution, ignoring case).
 *
 * <h2>Best first</h2>
 * Candidates are sorted by these keys, each deciding only among equals of the one before:
 * <ol>
 *   <li>When the failing name is not in the catalog (a typo, an old name): near misses first ("did you mean"),
 *       comparing the names after {@code /}: within edit distance {@value #NEAR_MISS_DISTANCE}, closest first,
 *       then names that start with the other one.</li>
 *   <li>When the failing model is in the catalog: the closest {@linkplain ModelTraits#quality() quality} first (the
 *       higher of two equally close), and the same publisher first, so {@code gpt-4o} suggests {@code gpt-4.1}
 *       before a small model.</li>
 *   <li>The higher {@code quality + speed} ({@link ModelTraits}: from tier, size words and parameter counts in the
 *       id and name, the reasoning capability and the low-latency tag).</li>
 *   <li>The lighter on quota ({@code cost}): many failures are quota failures.</li>
 *   <li>The larger context headroom: the catalog's {@code max_input_tokens} minus the prompt's tokens.</li>
 *   <li>Catalog order.</li>
 * </ol>
 * Deterministic for a given catalog and request.
 *
 * <p>Threading: stateless apart from the {@link LiveCatalog} it reads once per call; safe from any thread. Cheap
 * (one pass over the catalog's precomputed traits), so it can run on an event loop.
 */
public final class ModelAdvisor {
    /** How many suggestions an error response carries. */
    public static final int DEFAULT_SUGGESTIONS = 3;
    /** The largest edit distance that still counts as a near miss of an unknown name. */
    static final int NEAR_MISS_DISTANCE = 3;
    private static final int NO_NEAR_MISS = Integer.MAX_VALUE;
    private static final int MAX_COMPARED_LENGTH = 100;

    private final LiveCatalog catalog;

    public ModelAdvisor(LiveCatalog catalog) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    /**
     * Up to {@code max} catalog ids that can serve {@code profile}, best first, never {@code failingModel}.
     *
     * @param failingModel the model that failed, as the client named it, or null
     */
    public List<String> suggest(RequestProfile profile, String failingModel, int max) {
        Objects.requireNonNull(profile, "profile");
        if (max < 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
        }
        LiveCatalog.Snapshot snapshot = catalog.snapshot();
        String failingId = failingModel == null ? null : snapshot.catalog().resolve(failingModel);
        ModelTraits failing = null;
        String missedName = null;
        if (failingId != null) {
            failing = findTraits(snapshot, failingId);
            if (failing == null) {
                missedName = shortName(failingId);
            }
        }
        List<Candidate> candidates = new ArrayList<>();
        List<ModelTraits> traits = snapshot.traits();
        for (int i = 0; i < traits.size(); i++) {
            ModelTraits model = traits.get(i);
            if (model == failing) {
                continue;
            }
            TokenLimits limits = TokenLimits.of(model.model(), profile.plan());
            if (!canServe(model, limits, profile)) {
                continue;
            }
            int nameDistance = missedName == null ? 0 : nameDistance(missedName, shortName(model.model().id()));
            int qualityGap = 0;
            boolean otherPublisher = false;
            if (failing != null) {
                int gap = model.quality() - failing.quality();
                // closest first; of two equally close, the better one: +1 ranks before -1
                qualityGap = gap >= 0 ? 2 * gap : -2 * gap + 1;
                otherPublisher = !model.model().ownedBy().equalsIgnoreCase(failing.model().ownedBy());
            }
            Integer catalogInput = model.model().maxInputTokens();
            long headroom = catalogInput == null ? Long.MIN_VALUE : catalogInput - Math.max(0, profile.promptTokens());
            candidates.add(new Candidate(model, nameDistance, qualityGap, otherPublisher, headroom, i));
        }
        candidates.sort(BEST_FIRST);
        List<String> ids = new ArrayList<>(Math.min(max, candidates.size()));
        for (int i = 0; i < candidates.size() && i < max; i++) {
            ids.add(candidates.get(i).traits().model().id());
        }
        return ids;
    }

    /** Whether {@code model} can serve {@code profile}, by the rules in the class comment (failing model aside). */
    public boolean canServe(CatalogModel model, RequestProfile profile) {
        return canServe(ModelTraits.of(model), TokenLimits.of(model, profile.plan()), profile);
    }

    /**
     * {@code error} with a top-level {@code suggestions} array of up to {@link #DEFAULT_SUGGESTIONS} ids (possibly
     * empty: "nothing in the catalog can serve this" is worth saying too).
     */
    public ProxyError withSuggestions(ProxyError error, RequestProfile profile, String failingModel) {
        ArrayNode ids = Json.MAPPER.createArrayNode();
        suggest(profile, failingModel, DEFAULT_SUGGESTIONS).forEach(ids::add);
        return error.withExtra("suggestions", ids);
    }

    private static boolean canServe(ModelTraits traits, TokenLimits limits, RequestProfile profile) {
        CatalogModel model = traits.model();
        boolean output = switch (profile.kind()) {
            case CHAT -> traits.outputsText() && !traits.outputsEmbeddings();
            case EMBEDDINGS -> traits.outputsEmbeddings();
        };
        if (!output) {
            return false;
        }
        // A model its listing does not describe (a plain GET /models entry: no input modalities) is taken as a text
        // model whose capabilities are unknown, not as one that can do nothing.
        boolean described = !model.inputModalities().isEmpty();
        for (String modality : profile.inputModalities()) {
            if (described ? !containsIgnoringCase(model.inputModalities(), modality) : !modality.equals("text")) {
                return false;
            }
        }
        if (described && profile.needsTools() && !containsIgnoringCase(model.capabilities(), "tool-calling")) {
            return false;
        }
        if (described && profile.needsStreaming() && !containsIgnoringCase(model.capabilities(), "streaming")) {
            return false;
        }
        if (profile.promptTokens() > 0 && (limits.input() == null || limits.input() < profile.promptTokens())) {
            return false;
        }
        return profile.plan() == null || PlanLimits.limitsFor(model, profile.plan()).available();
    }

    private static boolean containsIgnoringCase(List<String> values, String wanted) {
        for (String value : values) {
            if (value.equalsIgnoreCase(wanted)) {
                return true;
            }
        }
        return false;
    }

    private static ModelTraits findTraits(LiveCatalog.Snapshot snapshot, String id) {
        for (ModelTraits traits : snapshot.traits()) {
            if (traits.model().id().equalsIgnoreCase(id)) {
                return traits;
            }
        }
        return null;
    }

    private static String shortName(String id) {
        String lower = id.toLowerCase(Locale.ROOT);
        return lower.substring(lower.lastIndexOf('/') + 1);
    }

    /**
     * The edit distance between the names when it is at most {@link #NEAR_MISS_DISTANCE}; else
     * {@link #NEAR_MISS_DISTANCE} when one name starts with the other (at least 3 characters:
     * {@code llama-3.3-70b} for {@code llama-3.3-70b-instruct}); else {@link #NO_NEAR_MISS}. Client-controlled
     * input is cut to {@link #MAX_COMPARED_LENGTH} characters, so the quadratic distance stays bounded.
     */
    static int nameDistance(String requested, String candidate) {
        String a = requested.length() > MAX_COMPARED_LENGTH ? requested.substring(0, MAX_COMPARED_LENGTH) : requested;
        if (Math.abs(a.length() - candidate.length()) <= NEAR_MISS_DISTANCE) {
            int distance = editDistance(a, candidate);
            if (distance <= NEAR_MISS_DISTANCE) {
                return distance;
            }
        }
        String shorter = a.length() <= candidate.length() ? a : candidate;
        String longer = shorter == a ? candidate : a;
        return shorter.length() >= 3 && longer.startsWith(shorter) ? NEAR_MISS_DISTANCE : NO_NEAR_MISS;
    }

    /** Levenshtein distance, two rows. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                row[j] = Math.min(substitution, Math.min(previous[j], row[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = row;
            row = swap;
        }
        return previous[b.length()];
    }

    private record Candidate(ModelTraits traits, int nameDistance, int qualityGap, boolean otherPublisher,
                             long headroom, int catalogIndex) {
    }

    private static final Comparator<Candidate> BEST_FIRST = Comparator
            .comparingInt(Candidate::nameDistance)
            .thenComparingInt(Candidate::qualityGap)
            .thenComparing(Candidate::otherPublisher)
            .thenComparing(Comparator.comparingInt((Candidate c) -> c.traits().quality() + c.traits().speed())
                    .reversed())
            .thenComparing(Comparator.comparingInt((Candidate c) -> c.traits().cost()).reversed())
            .thenComparing(Comparator.comparingLong(Candidate::headroom).reversed())
            .thenComparingInt(Candidate::catalogIndex);
}
