package dev.llmproxy.openai;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a model id into the words that name its family, so that the spellings of one model across providers meet:
 * {@code meta-llama/Llama-3.1-8B-Instruct}, {@code llama3.1:8b} and {@code Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf}
 * all contain {@code llama 3.1 8b}.
 *
 * <p>Rules: lower-case; keep only what follows the last {@code /} (a provider or organisation prefix says nothing
 * about the model); split at every character that is not a letter or digit, except a {@code .} between two digits
 * ({@code 3.1}, {@code 1.5b} stay whole); split where a letter is followed by a digit ({@code llama3} →
 * {@code llama 3}, {@code phi4} → {@code phi 4}, {@code o3} → {@code o 3}) but not where a digit is followed by a
 * letter ({@code 4o}, {@code 8b}, {@code 128k} stay whole).
 *
 * <p>Threading: stateless.
 */
final class ModelIdTokens {
    private ModelIdTokens() {
    }

    static List<String> of(String id) {
        String text = id.toLowerCase(Locale.ROOT);
        text = text.substring(text.lastIndexOf('/') + 1);
        List<String> tokens = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean letter = c >= 'a' && c <= 'z';
            boolean digit = c >= '0' && c <= '9';
            boolean decimalPoint = c == '.' && i > 0 && isDigit(text.charAt(i - 1))
                    && i + 1 < text.length() && isDigit(text.charAt(i + 1));
            if (!letter && !digit && !decimalPoint) {
                flush(token, tokens);
                continue;
            }
            if (digit && i > 0 && isLetter(text.charAt(i - 1))) {
                flush(token, tokens);
            }
            token.append(c);
        }
        flush(token, tokens);
        return tokens;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isLetter(char c) {
        return c >= 'a' && c <= 'z';
    }

    private static void flush(StringBuilder token, List<String> tokens) {
        if (!token.isEmpty()) {
            tokens.add(token.toString());
            token.setLength(0);
        }
    }
}
