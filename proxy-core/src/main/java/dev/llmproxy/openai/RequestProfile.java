package dev.llmproxy.openai;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a request needs from a model, for choosing alternatives ({@link ModelAdvisor}). Immutable.
 *
 * @param kind            chat (text output) or embeddings
 * @param inputModalities what the request sends: {@code text}, {@code image}, {@code audio}
 * @param needsTools      the request declares tools (or legacy functions)
 * @param needsStreaming  the request asks for a stream
 * @param promptTokens    the prompt's size in tokens, or -1 when unknown (no context requirement then)
 * @param plan            the GitHub Copilot plan whose availability and per-request caps apply, or null for none
 */
public record RequestProfile(Kind kind, Set<String> inputModalities, boolean needsTools, boolean needsStreaming,
                             long promptTokens, GitHubModelsPlan plan) {

    public enum Kind { CHAT, EMBEDDINGS }

    public RequestProfile {
        Objects.requireNonNull(kind, "kind");
        TreeSet<String> modalities = new TreeSet<>();
        for (String modality : inputModalities) {
            modalities.add(modality.toLowerCase(Locale.ROOT));
        }
        inputModalities = Collections.unmodifiableSet(modalities);
        if (promptTokens < -1) {
            throw new IllegalArgumentException("promptTokens: " + promptTokens + " (expected: >= 0, or -1 for unknown)");
        }
    }

    /** A text chat with no other need. */
    public static RequestProfile chat() {
        return new RequestProfile(Kind.CHAT, Set.of("text"), false, false, -1, null);
    }

    /** Text embeddings. */
    public static RequestProfile embeddings() {
        return new RequestProfile(Kind.EMBEDDINGS, Set.of("text"), false, false, -1, null);
    }

    /**
     * The needs of a request body: embeddings when it has {@code input} and no {@code messages}, else chat, whose
     * input modalities come from the content parts ({@code image_url}, {@code input_image}, {@code image} → image;
     * {@code input_audio}, {@code audio} → audio), tools from a non-empty {@code tools} or {@code functions} array,
     * streaming from {@code stream: true}. Never throws: anything unexpected is simply not a need. Prompt tokens
     * unknown, no plan (see the {@code with…} methods).
     */
    public static RequestProfile of(JsonNode body) {
        if (body == null || !body.isObject()) {
            return chat();
        }
        if (body.has("input") && !body.has("messages")) {
            return embeddings();
        }
        Set<String> modalities = new TreeSet<>();
        modalities.add("text");
        for (JsonNode message : body.path("messages")) {
            for (JsonNode part : message.path("content")) {
                String type = part.path("type").asText("");
                switch (type) {
                    case "image_url", "input_image", "image" -> modalities.add("image");
                    case "input_audio", "audio" -> modalities.add("audio");
                    default -> { }
                }
            }
        }
        boolean tools = nonEmptyArray(body.get("tools")) || nonEmptyArray(body.get("functions"));
        boolean stream = body.path("stream").isBoolean() && body.path("stream").booleanValue();
        return new RequestProfile(Kind.CHAT, modalities, tools, stream, -1, null);
    }

    public RequestProfile withPromptTokens(long tokens) {
        return new RequestProfile(kind, inputModalities, needsTools, needsStreaming, tokens, plan);
    }

    public RequestProfile withPlan(GitHubModelsPlan newPlan) {
        return new RequestProfile(kind, inputModalities, needsTools, needsStreaming, promptTokens, newPlan);
    }

    private static boolean nonEmptyArray(JsonNode node) {
        return node != null && node.isArray() && !node.isEmpty();
    }
}
