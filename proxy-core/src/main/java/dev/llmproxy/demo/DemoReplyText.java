package dev.llmproxy.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Composes the simulator's chat reply as a list of words: an introduction that names the demo upstream, an echo of
 * the start of the last user message, two sentences picked by the prompt's hash, and a closing hint. The same prompt
 * gives the same words on every run; a different prompt gives a different echo or different sentences.
 *
 * <p>Threading: stateless.
 */
final class DemoReplyText {
    /** How many words of the user's message are echoed. */
    static final int ECHO_WORDS = 12;
    /** Longest echoed word, in code points, so one giant "word" cannot blow up the reply. */
    static final int ECHO_WORD_MAX = 32;
    private static final String ELLIPSIS = "\u2026";
    private static final String OPEN_QUOTE = "\u201c";
    private static final String CLOSE_QUOTE = "\u201d";

    private static final List<List<String>> SENTENCES = sentences(List.of(
            "Streaming works here exactly as it would with a real model, one token at a time.",
            "Each token you see was paced by the demo upstream so that streaming is easy to watch.",
            "The proxy in front of me applies the same admission control it uses for a real upstream.",
            "Open the monitor page to watch requests, tokens and latency while you chat.",
            "The metrics endpoint reports time to first token and the gaps between chunks of this reply.",
            "Embeddings and the model list are simulated too, and their results are deterministic.",
            "Ask the same question twice and you will get the same answer, word for word.",
            "Nothing you type leaves this machine while the demo upstream is answering.",
            "Rate limits, queueing and cancellation behave here as they would in front of a real upstream.",
            "Change your prompt and a different pair of these sentences will be chosen.",
            "This reply is derived from a hash of your messages, so it stays the same across restarts.",
            "The usage numbers are estimates of roughly one prompt token per four characters."));

    private static final List<String> INTRO =
            words("Hello! This is the llm-proxy demo upstream. No real upstream is configured, so");
    private static final List<String> INTRO_END = words("was not called and this reply is simulated.");
    private static final List<String> NO_USER_MESSAGE = words("There was no user message to echo.");
    private static final List<String> EMPTY_USER_MESSAGE = words("Your message was empty.");
    private static final List<String> CLOSING = words("For real answers set OPENAI_API_KEY, OPENAI_BASE_URL,"
            + " AZURE_OPENAI_ENDPOINT or CONFIG_FILE and restart the proxy.");

    private DemoReplyText() {
    }

    /** The reply's words, none empty and none containing whitespace. */
    static List<String> words(String model, String lastUserText, long promptHash) {
        List<String> words = new ArrayList<>(80);
        words.addAll(INTRO);
        words.addAll(words(model, 8, ECHO_WORD_MAX * 2));
        words.addAll(INTRO_END);
        echo(lastUserText, words);
        SplittableRandom pick = new SplittableRandom(promptHash);
        int first = pick.nextInt(SENTENCES.size());
        int second = (first + 1 + pick.nextInt(SENTENCES.size() - 1)) % SENTENCES.size();
        words.addAll(SENTENCES.get(first));
        words.addAll(SENTENCES.get(second));
        words.addAll(CLOSING);
        return words;
    }

    private static void echo(String lastUserText, List<String> out) {
        if (lastUserText == null) {
            out.addAll(NO_USER_MESSAGE);
            return;
        }
        // One word more than is echoed, to know whether to mark the excerpt as cut.
        List<String> said = words(lastUserText, ECHO_WORDS + 1, ECHO_WORD_MAX);
        if (said.isEmpty()) {
            out.addAll(EMPTY_USER_MESSAGE);
            return;
        }
        out.add("You");
        out.add("wrote:");
        int n = Math.min(said.size(), ECHO_WORDS);
        for (int i = 0; i < n; i++) {
            String word = said.get(i);
            if (i == 0) {
                word = OPEN_QUOTE + word;
            }
            if (i == n - 1) {
                word = word + (n < said.size() ? ELLIPSIS + CLOSE_QUOTE : CLOSE_QUOTE);
            }
            out.add(word);
        }
    }

    /**
     * Up to {@code maxWords} words of {@code text}, split at any Unicode space, each clipped to {@code maxWordLength}
     * code points (marked with an ellipsis). Stops scanning once it has enough, so a huge prompt costs no more than
     * its first words.
     */
    static List<String> words(String text, int maxWords, int maxWordLength) {
        List<String> words = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n && words.size() < maxWords) {
            int cp = text.codePointAt(i);
            if (isSpace(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            int clipAt = -1;
            int codePoints = 0;
            while (i < n && !isSpace(cp = text.codePointAt(i))) {
                if (codePoints++ == maxWordLength) {
                    clipAt = i;
                }
                i += Character.charCount(cp);
            }
            words.add(clipAt < 0 ? text.substring(start, i) : text.substring(start, clipAt) + ELLIPSIS);
        }
        return words;
    }

    private static boolean isSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
    }

    private static List<String> words(String text) {
        return Collections.unmodifiableList(words(text, Integer.MAX_VALUE, Integer.MAX_VALUE));
    }

    private static List<List<String>> sentences(List<String> sentences) {
        List<List<String>> all = new ArrayList<>(sentences.size());
        for (String sentence : sentences) {
            all.add(words(sentence));
        }
        return Collections.unmodifiableList(all);
    }
}
