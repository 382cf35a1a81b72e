package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code POST /v1/recommend-model}: the models that best meet a set of requirements, scored over the whole live
 * catalog (REFERENCE §2.11, §7).
 *
 * <h2>Request</h2>
 * {@code {speed, quality, contextSize, cost, task}}, every field optional, defaults as in the reference:
 * {@code speed, quality, cost} ∈ {@code low|medium|high} (default medium), {@code contextSize} ∈
 * {@code small|medium|large} (default small), {@code task} one of {@link ModelTraits#TASKS} (default general).
 * Values are matched ignoring case; a JSON {@code null} means the default; other fields are ignored. A missing
 * body means all defaults. Anything else is a 400 naming the field (the reference scored unknown values with the
 * middle weight and answered exceptions with 500).
 *
 * <h2>Scoring (the reference's formula, §7)</h2>
 * {@code score = speed·w(speed) + quality·w(quality) + context·w(contextSize) + cost·w(cost) + (task suited ? 5 : 0)}
 * where the model's 1–5 scores come from {@link ModelTraits} (from the catalog's tier, size hints, capabilities,
 * tags and limits) and the weights are high 3, medium 2, low 1 for speed and quality, large 3, medium 2, small 1
 * for context, and low 3, medium 2, high 1 for cost (asking for low cost favours models with a high cost score,
 * i.e. light on quota). Embeddings models compete only for task {@code embeddings}, and only they do. Ties go to
 * the model that suits the task, then the higher quality, then the higher speed, then catalog order.
 *
 * <h2>Response</h2>
 * {@code {recommendations:[top 3 {name, speed, quality, context, cost, tasks, score, reason}], requirements:<the
 * body as sent>, applied:<the requirements after defaults>}}; {@code name} is the catalog id.
 *
 * <p>Threading: stateless apart from the {@link LiveCatalog} it reads once per call; safe from any thread, cheap
 * (one pass over precomputed traits).
 */
public final class ModelRecommender {
    /** How many recommendations the endpoint returns (the reference's top 3). */
    public static final int TOP = 3;
    static final int TASK_BONUS = 5;

    /** A requirement level for speed, quality and cost. */
    public enum Level {
        LOW, MEDIUM, HIGH;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A requirement level for the context size. */
    public enum ContextSize {
        SMALL, MEDIUM, LARGE;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What the client asked for.
     *
     * @param task one of {@link ModelTraits#TASKS}
     */
    public record Requirements(Level speed, Level quality, ContextSize contextSize, Level cost, String task) {
        /** The reference's defaults: medium, medium, small, medium, general. */
        public static final Requirements DEFAULTS =
                new Requirements(Level.MEDIUM, Level.MEDIUM, ContextSize.SMALL, Level.MEDIUM, "general");

        public Requirements {
            Objects.requireNonNull(speed, "speed");
            Objects.requireNonNull(quality, "quality");
            Objects.requireNonNull(contextSize, "contextSize");
            Objects.requireNonNull(cost, "cost");
            if (!ModelTraits.TASKS.contains(task)) {
                throw new IllegalArgumentException("task: " + task + " (expected: one of " + ModelTraits.TASKS + ")");
            }
        }

        /**
         * Reads a request body; missing or {@code null} body → {@link #DEFAULTS}.
         *
         * @throws ProxyErrorException 400 naming the field for a non-object body, a wrong type or an unknown value
         */
        public static Requirements parse(JsonNode body) {
            if (body == null || body.isMissingNode() || body.isNull()) {
                return DEFAULTS;
            }
            if (!body.isObject()) {
                throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER, "request body: "
                        + RequestJson.typeName(body) + " (expected: a JSON object of requirements)", null);
            }
            return new Requirements(
                    level(body, "speed", DEFAULTS.speed),
                    level(body, "quality", DEFAULTS.quality),
                    contextSize(body),
                    level(body, "cost", DEFAULTS.cost),
                    task(body));
        }

        int speedWeight() {
            return weight(speed);
        }

        int qualityWeight() {
            return weight(quality);
        }

        int contextWeight() {
            return contextSize.ordinal() + 1;
        }

        /** Low cost wanted → weigh the cost score (5 = cheapest) most. */
        int costWeight() {
            return 3 - cost.ordinal();
        }

        private static int weight(Level level) {
            return level.ordinal() + 1;
        }

        ObjectNode toJson() {
            ObjectNode json = Json.object();
            json.put("speed", speed.wireName());
            json.put("quality", quality.wireName());
            json.put("contextSize", contextSize.wireName());
            json.put("cost", cost.wireName());
            json.put("task", task);
            return json;
        }

        private static Level level(JsonNode body, String field, Level fallback) {
            String value = text(body, field, "low, medium, high");
            if (value == null) {
                return fallback;
            }
            for (Level level : Level.values()) {
                if (level.wireName().equalsIgnoreCase(value)) {
                    return level;
                }
            }
            throw invalid(field, value, "one of low, medium, high");
        }

        private static ContextSize contextSize(JsonNode body) {
            String value = text(body, "contextSize", "small, medium, large");
            if (value == null) {
                return DEFAULTS.contextSize;
            }
            for (ContextSize size : ContextSize.values()) {
                if (size.wireName().equalsIgnoreCase(value)) {
                    return size;
                }
            }
            throw invalid("contextSize", value, "one of small, medium, large");
        }

        private static String task(JsonNode body) {
            String value = text(body, "task", String.join(", ", ModelTraits.TASKS));
            if (value == null) {
                return DEFAULTS.task;
            }
            String lower = value.toLowerCase(Locale.ROOT);
            if (!ModelTraits.TASKS.contains(lower)) {
                throw invalid("task", value, "one of " + String.join(", ", ModelTraits.TASKS));
            }
            return lower;
        }

        /** The field's string, null when absent or JSON null; a 400 for any other type. */
        private static String text(JsonNode body, String field, String allowed) {
            JsonNode value = body.get(field);
            if (value == null || value.isNull()) {
                return null;
            }
            if (!value.isTextual()) {
                throw ProxyErrorException.of(ErrorKind.INVALID_PARAMETER, field + ": " + abbreviate(value.toString())
                        + " is a " + RequestJson.typeName(value) + " (expected: a string, one of " + allowed + ")",
                        field);
            }
            return value.textValue();
        }

        private static ProxyErrorException invalid(String field, String value, String expected) {
            return ProxyErrorException.of(ErrorKind.INVALID_VALUE,
                    field + ": \"" + abbreviate(value) + "\" (expected: " + expected + ")", field);
        }

        private static String abbreviate(String value) {
            return value.length() <= 40 ? value : value.substring(0, 37) + "...";
        }
    }

    /**
     * One recommended model.
     *
     * @param name    the catalog id
     * @param score   the formula's value for the requirements
     * @param reason  a short English explanation
     */
    public record Recommendation(String name, int speed, int quality, int context, int cost, List<String> tasks,
                                 int score, String reason) {
        public Recommendation {
            tasks = List.copyOf(tasks);
        }

        ObjectNode toJson() {
            ObjectNode json = Json.object();
            json.put("name", name);
            json.put("speed", speed);
            json.put("quality", quality);
            json.put("context", context);
            json.put("cost", cost);
            ArrayNode taskArray = json.putArray("tasks");
            tasks.forEach(taskArray::add);
            json.put("score", score);
            json.put("reason", reason);
            return json;
        }
    }

    private final LiveCatalog catalog;

    public ModelRecommender(LiveCatalog catalog) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    /**
     * The endpoint's answer for a request body.
     *
     * @throws ProxyErrorException 400 for invalid requirements (see {@link Requirements#parse})
     */
    public ObjectNode recommend(JsonNode body) {
        Requirements requirements = Requirements.parse(body);
        ObjectNode answer = Json.object();
        ArrayNode recommendations = answer.putArray("recommendations");
        for (Recommendation recommendation : recommend(requirements, TOP)) {
            recommendations.add(recommendation.toJson());
        }
        boolean sent = body != null && body.isObject();
        answer.set("requirements", sent ? body.deepCopy() : Json.object());
        answer.set("applied", requirements.toJson());
        return answer;
    }

    /** Up to {@code max} models, best first, by the formula in the class comment. */
    public List<Recommendation> recommend(Requirements requirements, int max) {
        Objects.requireNonNull(requirements, "requirements");
        if (max < 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
        }
        boolean embeddings = requirements.task().equals("embeddings");
        List<Scored> scored = new ArrayList<>();
        List<ModelTraits> traits = catalog.snapshot().traits();
        for (int i = 0; i < traits.size(); i++) {
            ModelTraits model = traits.get(i);
            boolean candidate = embeddings ? model.outputsEmbeddings() : model.outputsText() && !model.outputsEmbeddings();
            if (candidate) {
                scored.add(new Scored(model, score(model, requirements), model.suits(requirements.task()), i));
            }
        }
        scored.sort(BEST_FIRST);
        List<Recommendation> top = new ArrayList<>(Math.min(max, scored.size()));
        for (int i = 0; i < scored.size() && i < max; i++) {
            Scored s = scored.get(i);
            ModelTraits t = s.traits();
            top.add(new Recommendation(t.model().id(), t.speed(), t.quality(), t.context(), t.cost(),
                    List.copyOf(t.tasks()), s.score(), reason(t, requirements, s.suited())));
        }
        return top;
    }

    static int score(ModelTraits model, Requirements requirements) {
        return model.speed() * requirements.speedWeight()
                + model.quality() * requirements.qualityWeight()
                + model.context() * requirements.contextWeight()
                + model.cost() * requirements.costWeight()
                + (model.suits(requirements.task()) ? TASK_BONUS : 0);
    }

    /**
     * "High quality, slow, heavy on quota, 131K-token input; suits 'complex'." The four traits in the order of the
     * client's weights (heaviest first; ties in the order quality, speed, cost, context), then the task.
     */
    static String reason(ModelTraits model, Requirements requirements, boolean suited) {
        List<Phrase> phrases = new ArrayList<>(List.of(
                new Phrase(requirements.qualityWeight(), 0, QUALITY_WORDS[model.quality() - 1]),
                new Phrase(requirements.speedWeight(), 1, SPEED_WORDS[model.speed() - 1]),
                new Phrase(requirements.costWeight(), 2, COST_WORDS[model.cost() - 1]),
                new Phrase(requirements.contextWeight(), 3, inputWords(model.model().maxInputTokens()))));
        phrases.sort(Comparator.comparingInt(Phrase::weight).reversed().thenComparingInt(Phrase::order));
        StringBuilder reason = new StringBuilder();
        for (Phrase phrase : phrases) {
            reason.append(reason.length() == 0 ? "" : ", ").append(phrase.words());
        }
        reason.setCharAt(0, Character.toUpperCase(reason.charAt(0)));
        reason.append(suited ? "; suits '" : "; not listed for '").append(requirements.task()).append("'.");
        return reason.toString();
    }

    private static final String[] QUALITY_WORDS =
            {"basic quality", "modest quality", "good quality", "high quality", "top quality"};
    private static final String[] SPEED_WORDS = {"very slow", "slow", "average speed", "fast", "very fast"};
    private static final String[] COST_WORDS = {"very heavy on quota", "heavy on quota", "moderate on quota",
            "light on quota", "very light on quota"};

    private static String inputWords(Integer maxInputTokens) {
        if (maxInputTokens == null) {
            return "unknown input limit";
        }
        if (maxInputTokens >= 1_000_000) {
            return Math.round(maxInputTokens / 1_000_000.0) + "M-token input";
        }
        if (maxInputTokens >= 1_000) {
            return Math.round(maxInputTokens / 1_000.0) + "K-token input";
        }
        return maxInputTokens + "-token input";
    }

    private record Phrase(int weight, int order, String words) {
    }

    private record Scored(ModelTraits traits, int score, boolean suited, int catalogIndex) {
    }

    private static final Comparator<Scored> BEST_FIRST = Comparator
            .comparingInt(Scored::score).reversed()
            .thenComparing(Scored::suited, Comparator.reverseOrder())
            .thenComparing(Comparator.comparingInt((Scored s) -> s.traits().quality()).reversed())
            .thenComparing(Comparator.comparingInt((Scored s) -> s.traits().speed()).reversed())
            .thenComparingInt(Scored::catalogIndex);
}
