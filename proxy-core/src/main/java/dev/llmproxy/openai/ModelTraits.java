package dev.llmproxy.openai;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the proxy infers about one catalog model to rank it: a size class and 1–5 scores for speed, quality, quota
 * cost and context, plus the tasks it suits. Derived from the catalog's own data only (tier, id, name, tags,
 * capabilities, modalities, limits), so a refreshed catalog is ranked without a hand-kept table. Immutable.
 *
 * <h2>Derivation (5 = best on every scale)</h2>
 * <ul>
 *   <li><b>Size</b>, from the first hint that applies: a size word in the id or name ({@code nano} → TINY;
 *       {@code mini}, {@code small} → SMALL; {@code medium} → MEDIUM; {@code large}, {@code plus} → LARGE), else a
 *       parameter count ({@code 3b}, {@code 70b}: ≤4B TINY, ≤12B SMALL, ≤40B MEDIUM, larger LARGE; a
 *       mixture-of-experts id names its active parameters, {@code 17b-128e} is MEDIUM), else the tier GitHub gives
 *       it ({@code high} and {@code custom} hold the big and premium models → LARGE; {@code low},
 *       {@code embeddings}, unknown tiers and models without a tier (upstreams other than GitHub) → MEDIUM).</li>
 *   <li><b>Quality</b>: TINY 1, SMALL 2, MEDIUM 3, LARGE 4; +1 with the {@code reasoning} capability.</li>
 *   <li><b>Speed</b>: TINY 5, SMALL 4, MEDIUM 3, LARGE 2; −1 with the {@code reasoning} capability (it thinks
 *       before it answers); +1 with the {@code low latency} tag.</li>
 *   <li><b>Cost</b> (of GitHub Models quota; 5 = cheapest): by tier, embeddings 5, low 4, high 3, custom 1, other
 *       and none 3 (the free allowance per day is 150 requests on low, 50 on high, 8–30 on custom); +1 for TINY and
 *       SMALL, −1 for LARGE (paid usage is priced by size).</li>
 *   <li><b>Context</b> from {@code max_input_tokens}: ≤8,192 → 1, ≤32,768 → 2, ≤131,072 → 3, ≤262,144 → 4,
 *       more → 5; unknown → 1.</li>
 * </ul>
 * Every score is clamped to 1–5. {@link #tasks()} is described at {@link #TASKS}.
 *
 * @param model   the catalog entry
 * @param size    the size class
 * @param speed   1–5
 * @param quality 1–5
 * @param cost    1–5, 5 = lightest on quota
 * @param context 1–5
 * @param tasks   the entries of {@link #TASKS} this model suits, in that order
 */
public record ModelTraits(CatalogModel model, Size size, int speed, int quality, int cost, int context,
                          Set<String> tasks) {

    /** Size classes, smallest first. */
    public enum Size { TINY, SMALL, MEDIUM, LARGE }

    /**
     * Every task name the recommender accepts, and when a model suits it:
     * <ul>
     *   <li>{@code general}: a chat model tagged multipurpose, conversation, understanding, instruction or
     *       multilingual;</li>
     *   <li>{@code quick}: speed ≥ 4; {@code simple}: TINY or SMALL; {@code budget}: cost ≥ 4;
     *       {@code complex}: quality ≥ 4; {@code research}: quality ≥ 4 and context ≥ 3;
     *       {@code analysis}: quality ≥ 3 and reasoning (capability or tag) or the understanding tag;</li>
     *   <li>{@code reasoning}: the reasoning capability or tag; {@code coding}, {@code rag},
     *       {@code multilingual}: the tag of that name; {@code conversation}: tag conversation or multipurpose;</li>
     *   <li>{@code vision}: image input; {@code audio}: audio input; {@code multimodal}: more than one input
     *       modality or the multimodal tag;</li>
     *   <li>{@code long-context}: at least 200,000 input tokens or the {@code large context} tag;
     *       {@code documents}: long-context, or tagged rag or summarization; {@code summarization}: tagged
     *       summarization, or long-context;</li>
     *   <li>{@code tools}: the tool-calling capability; {@code agents}: an agents, agentsV2 or assistants
     *       capability or the agents tag;</li>
     *   <li>{@code embeddings}: outputs embeddings (the only task embeddings models suit, with rag and
     *       multilingual).</li>
     * </ul>
     */
    public static final List<String> TASKS = List.of(
            "general", "quick", "simple", "budget", "complex", "research", "analysis", "reasoning", "coding",
            "vision", "audio", "multimodal", "long-context", "documents", "summarization", "rag", "multilingual",
            "conversation", "tools", "agents", "embeddings");

    private static final Pattern PARAMETERS = Pattern.compile("(\\d+(?:\\.\\d+)?)b");
    private static final Pattern WORD_SPLIT = Pattern.compile("[^a-z0-9.+]+");
    private static final int LONG_CONTEXT_TOKENS = 200_000;

    public ModelTraits {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(size, "size");
        tasks = Collections.unmodifiableSet(new LinkedHashSet<>(tasks));
    }

    /** The traits of {@code model}, by the rules above. */
    public static ModelTraits of(CatalogModel model) {
        Size size = size(model);
        boolean reasoning = hasCapability(model, "reasoning");
        int quality = clamp(size.ordinal() + 1 + (reasoning ? 1 : 0));
        int speed = clamp(5 - size.ordinal() - (reasoning ? 1 : 0) + (hasTag(model, "low latency") ? 1 : 0));
        int cost = clamp(tierCost(model.rateLimitTier()) + switch (size) {
            case TINY, SMALL -> 1;
            case MEDIUM -> 0;
            case LARGE -> -1;
        });
        int context = contextScore(model.maxInputTokens());
        ModelTraits partial = new ModelTraits(model, size, speed, quality, cost, context, Set.of());
        return new ModelTraits(model, size, speed, quality, cost, context, partial.deriveTasks());
    }

    /** The model serves chat: it outputs text (an empty output list counts as text: a catalog quirk, see CATALOG-FORMAT). */
    public boolean outputsText() {
        return model.outputModalities().isEmpty() || model.outputModalities().contains("text");
    }

    public boolean outputsEmbeddings() {
        return model.outputModalities().contains("embeddings");
    }

    public boolean suits(String task) {
        return tasks.contains(task);
    }

    private Set<String> deriveTasks() {
        List<String> suited = new ArrayList<>();
        boolean chat = outputsText() && !outputsEmbeddings();
        boolean reasoning = hasCapability(model, "reasoning") || hasTag(model, "reasoning");
        boolean longContext = (model.maxInputTokens() != null && model.maxInputTokens() >= LONG_CONTEXT_TOKENS)
                || hasTag(model, "large context");
        for (String task : TASKS) {
            boolean fits = switch (task) {
                case "embeddings" -> outputsEmbeddings();
                case "rag", "multilingual" -> hasTag(model, task);
                default -> chat && switch (task) {
                    case "general" -> hasAnyTag(model, "multipurpose", "conversation", "understanding", "instruction",
                            "multilingual");
                    case "quick" -> speed >= 4;
                    case "simple" -> size == Size.TINY || size == Size.SMALL;
                    case "budget" -> cost >= 4;
                    case "complex" -> quality >= 4;
                    case "research" -> quality >= 4 && context >= 3;
                    case "analysis" -> quality >= 3 && (reasoning || hasTag(model, "understanding"));
                    case "reasoning" -> reasoning;
                    case "coding" -> hasTag(model, "coding");
                    case "vision" -> model.inputModalities().contains("image");
                    case "audio" -> model.inputModalities().contains("audio");
                    case "multimodal" -> model.inputModalities().size() > 1 || hasTag(model, "multimodal");
                    case "long-context" -> longContext;
                    case "documents" -> longContext || hasAnyTag(model, "rag", "summarization");
                    case "summarization" -> longContext || hasTag(model, "summarization");
                    case "conversation" -> hasAnyTag(model, "conversation", "multipurpose");
                    case "tools" -> hasCapability(model, "tool-calling");
                    case "agents" -> hasAnyCapability(model, "agents", "agentsV2", "assistants")
                            || hasTag(model, "agents");
                    default -> false;
                };
            };
            if (fits) {
                suited.add(task);
            }
        }
        return new LinkedHashSet<>(suited);
    }

    static Size size(CatalogModel model) {
        List<String> words = words(model);
        if (words.contains("nano")) {
            return Size.TINY;
        }
        if (words.contains("mini") || words.contains("small")) {
            return Size.SMALL;
        }
        if (words.contains("medium")) {
            return Size.MEDIUM;
        }
        if (words.contains("large") || words.contains("plus") || words.contains("r+")) {
            return Size.LARGE;
        }
        for (String word : words) {
            Matcher parameters = PARAMETERS.matcher(word);
            if (parameters.matches()) {
                double billions = Double.parseDouble(parameters.group(1));
                if (billions <= 4) {
                    return Size.TINY;
                }
                if (billions <= 12) {
                    return Size.SMALL;
                }
                return billions <= 40 ? Size.MEDIUM : Size.LARGE;
            }
        }
        String tier = model.rateLimitTier();
        return switch (tier == null ? "" : tier.toLowerCase(Locale.ROOT)) {
            case "high", "custom" -> Size.LARGE;
            default -> Size.MEDIUM; // also every upstream without GitHub's tiers
        };
    }

    /** The id's name part and the display name, lower-cased and split into words ({@code 3.5}, {@code 70b} stay whole). */
    private static List<String> words(CatalogModel model) {
        String id = model.id().toLowerCase(Locale.ROOT);
        String text = id.substring(id.indexOf('/') + 1) + " " + model.name().toLowerCase(Locale.ROOT);
        List<String> words = new ArrayList<>();
        for (String word : WORD_SPLIT.split(text)) {
            if (!word.isEmpty()) {
                words.add(word);
            }
        }
        return words;
    }

    private static int tierCost(String tier) {
        if (tier == null) {
            return 3; // an upstream without GitHub's tiers: no quota class to go by
        }
        return switch (tier.toLowerCase(Locale.ROOT)) {
            case "embeddings" -> 5;
            case "low" -> 4;
            case "custom" -> 1;
            default -> 3; // high, and tiers this proxy does not know
        };
    }

    static int contextScore(Integer maxInputTokens) {
        if (maxInputTokens == null || maxInputTokens <= 8_192) {
            return 1;
        }
        if (maxInputTokens <= 32_768) {
            return 2;
        }
        if (maxInputTokens <= 131_072) {
            return 3;
        }
        return maxInputTokens <= 262_144 ? 4 : 5;
    }

    private static int clamp(int score) {
        return Math.max(1, Math.min(5, score));
    }

    private static boolean hasCapability(CatalogModel model, String capability) {
        for (String c : model.capabilities()) {
            if (c.equalsIgnoreCase(capability)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasAnyCapability(CatalogModel model, String... capabilities) {
        for (String capability : capabilities) {
            if (hasCapability(model, capability)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasTag(CatalogModel model, String tag) {
        for (String t : model.tags()) {
            if (t.equalsIgnoreCase(tag)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasAnyTag(CatalogModel model, String... tags) {
        for (String tag : tags) {
            if (hasTag(model, tag)) {
                return true;
            }
        }
        return false;
    }
}
