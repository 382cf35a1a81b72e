package dev.llmproxy.demo;

import dev.llmproxy.openai.ErrorKind;
import dev.llmproxy.openai.ProxyError;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The query of one TTS request, validated the way the real engine (REFERENCE.md §8) takes it:
 * {@code text} required, {@code voice} {@code anatol} (default) or {@code natalia}, {@code scale} 0.1–3.0 (default
 * 1.0), {@code name} the file name. {@code seconds} is the demo's own: it overrides the duration, up to
 * {@value #MAX_SECONDS} s (about 1.1 GiB), so tests and the bench can ask for large files. A parameter given twice
 * counts once, the first; an empty one counts as absent.
 *
 * @param text    the words to speak; never blank
 * @param voice   {@code anatol} or {@code natalia}
 * @param scale   amplitude multiplier
 * @param name    the file name for {@code Content-Disposition}, without {@code .wav}; never blank
 * @param samples the duration override in samples, or 0 for the text's natural length
 */
record DemoTtsRequest(String text, String voice, double scale, String name, long samples) {
    static final String DEFAULT_VOICE = "anatol";
    /** Each voice's lowest pitch in Hz: a lower one and a higher one, as the engine's male and female voices. */
    private static final Map<String, Double> VOICE_BASE_HZ = Map.of(DEFAULT_VOICE, 140.0, "natalia", 220.0);
    static final double MIN_SCALE = 0.1;
    static final double MAX_SCALE = 3.0;
    static final int MAX_SECONDS = 36_000;
    private static final String DEFAULT_NAME = "tts";
    private static final int MAX_NAME_CHARS = 100;
    /** Plain decimals only: no sign, exponent, hex, NaN or Infinity that Double.parseDouble would also take. */
    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,9}(\\.[0-9]{1,9})?|\\.[0-9]{1,9}");

    static DemoTtsRequest parse(String uri) {
        Map<String, List<String>> query = new QueryStringDecoder(uri).parameters();
        String text = first(query, "text");
        if (text == null || text.isBlank()) {
            throw invalid("text", "text: missing (expected: the text to speak, e.g. ?text=Привіт)");
        }
        String voice = first(query, "voice");
        if (voice == null) {
            voice = DEFAULT_VOICE;
        } else if (!VOICE_BASE_HZ.containsKey(voice)) {
            throw invalid("voice", "voice: " + voice + " (expected: anatol or natalia)");
        }
        double scale = 1.0;
        String scaleText = first(query, "scale");
        if (scaleText != null) {
            scale = decimal(scaleText);
            if (!(scale >= MIN_SCALE && scale <= MAX_SCALE)) {
                throw invalid("scale", "scale: " + scaleText + " (expected: a number from 0.1 to 3.0)");
            }
        }
        long samples = 0;
        String secondsText = first(query, "seconds");
        if (secondsText != null) {
            double seconds = decimal(secondsText);
            samples = Math.round(seconds * DemoWav.SAMPLE_RATE);
            if (!(seconds <= MAX_SECONDS) || samples < 1) {
                throw invalid("seconds", "seconds: " + secondsText + " (expected: a number above 0, at most "
                        + MAX_SECONDS + ")");
            }
        }
        return new DemoTtsRequest(text, voice, scale, fileName(first(query, "name")), samples);
    }

    /** The audio this request describes. */
    DemoWav wav() {
        return DemoWav.of(text, VOICE_BASE_HZ.get(voice), scale, samples);
    }

    /** Identifies the bytes: every parameter that changes them, and none that does not ({@code name}). */
    long fingerprint() {
        return new DemoHash()
                .add("demo-tts-v1").separator()
                .add(text).separator()
                .add(voice).separator()
                .add(Long.toString(Double.doubleToLongBits(scale))).separator()
                .add(Long.toString(samples))
                .value();
    }

    /** {@code name} without a trailing {@code .wav}, at most {@value #MAX_NAME_CHARS} characters; else "tts". */
    private static String fileName(String name) {
        if (name == null) {
            return DEFAULT_NAME;
        }
        String base = name.strip();
        if (base.toLowerCase(Locale.ROOT).endsWith(".wav")) {
            base = base.substring(0, base.length() - 4);
        }
        base = base.codePoints()
                .filter(cp -> !Character.isISOControl(cp))
                .limit(MAX_NAME_CHARS)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString().strip();
        return base.isEmpty() ? DEFAULT_NAME : base;
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        if (values == null || values.isEmpty() || values.get(0).isEmpty()) {
            return null;
        }
        return values.get(0);
    }

    /** A plain decimal, or NaN (which every range check rejects). */
    private static double decimal(String text) {
        return DECIMAL.matcher(text).matches() ? Double.parseDouble(text) : Double.NaN;
    }

    private static DemoRequestException invalid(String param, String message) {
        return new DemoRequestException(ProxyError.of(ErrorKind.INVALID_PARAMETER, message, param));
    }
}
