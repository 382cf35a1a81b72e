package dev.llmproxy.demo;

import java.util.Objects;

/**
 * The demo's synthetic speech: a WAV file (RIFF/WAVE, PCM 16-bit little-endian, mono, 16 kHz) whose every byte is a
 * pure function of (text, voice, scale, duration, offset), so any byte range can be produced on demand and a file of
 * any size costs no memory. Each character of the text becomes {@value #MILLIS_PER_CHAR} ms of a rising tone whose
 * pitch comes from the character and the voice, faded in and out so the joins do not click; the amplitude follows
 * {@code scale}. A duration override repeats the text's tones until it is filled.
 *
 * <p>A character's tone depends only on its note, one of {@value #NOTES} semitones, so each note's tone is rendered
 * once, on first use (integer phase arithmetic and one sine table), and copied from then on: at most 24 × 3.2 KB per
 * file whatever the text or the duration, and bytes at memory-copy speed, so the bench measures the network path
 * rather than this generator.
 *
 * <p>Threading: the bytes are a pure function of the parameters, but the tone cache is filled without
 * synchronisation: use one instance from one thread at a time (each request builds its own).
 */
final class DemoWav {
    static final int SAMPLE_RATE = 16_000;
    static final int BYTES_PER_SAMPLE = 2;
    static final int HEADER_BYTES = 44;
    static final int MILLIS_PER_CHAR = 100;
    static final int SAMPLES_PER_CHAR = SAMPLE_RATE * MILLIS_PER_CHAR / 1000;
    /** Two octaves of semitones. */
    static final int NOTES = 24;
    /** The RIFF sizes are unsigned 32-bit: stay well inside them. */
    static final long MAX_SAMPLES = 36_000L * SAMPLE_RATE;

    /** Fade-in and fade-out of each character's tone, in samples (16 ms); a power of two for the shift. */
    private static final int RAMP_SHIFT = 8;
    private static final int RAMP = 1 << RAMP_SHIFT;
    private static final int SINE_BITS = 12;
    private static final short[] SINE = sineTable();
    /** Full-scale amplitude at scale 1.0; 3.0 then stays just below clipping. */
    private static final double BASE_AMPLITUDE = 0.3 * Short.MAX_VALUE;
    /** Each tone rises by this factor over its character, a little like intonation. */
    private static final double GLIDE = 1.25;

    private final long samples;
    /** Per character of the text, its note. */
    private final byte[] notes;
    /** Per note, the 32-bit fixed-point phase step (cycles per sample × 2^32) at the tone's start. */
    private final long[] startSteps;
    /** Per note, the step's increase per sample, in the same unit. */
    private final long[] stepSlopes;
    private final int amplitude;
    private final byte[] header;
    /** Per note, its rendered tone (little-endian samples), or null until first used. */
    private final byte[][] tones = new byte[NOTES][];

    private DemoWav(long samples, byte[] notes, long[] startSteps, long[] stepSlopes, int amplitude) {
        this.samples = samples;
        this.notes = notes;
        this.startSteps = startSteps;
        this.stepSlopes = stepSlopes;
        this.amplitude = amplitude;
        this.header = header(samples * BYTES_PER_SAMPLE);
    }

    /**
     * @param text         non-empty; one tone per code point
     * @param baseHz       the voice's lowest pitch
     * @param scale        amplitude multiplier, 0.1 to 3.0
     * @param totalSamples the duration in samples, or 0 for {@value #MILLIS_PER_CHAR} ms per character
     */
    static DemoWav of(String text, double baseHz, double scale, long totalSamples) {
        Objects.requireNonNull(text, "text");
        int[] codePoints = text.codePoints().toArray();
        if (codePoints.length == 0) {
            throw new IllegalArgumentException("text: empty (expected: at least one character)");
        }
        long samples = totalSamples > 0 ? totalSamples : (long) codePoints.length * SAMPLES_PER_CHAR;
        if (samples > MAX_SAMPLES) {
            throw new IllegalArgumentException("samples: " + samples + " (expected: at most " + MAX_SAMPLES + ")");
        }
        byte[] notes = new byte[codePoints.length];
        for (int i = 0; i < codePoints.length; i++) {
            // spread so that neighbouring letters sound apart
            notes[i] = (byte) Math.floorMod(codePoints[i] * 7, NOTES);
        }
        long[] startSteps = new long[NOTES];
        long[] stepSlopes = new long[NOTES];
        for (int note = 0; note < NOTES; note++) {
            double startHz = baseHz * Math.pow(2, note / 12.0);
            startSteps[note] = step(startHz);
            stepSlopes[note] = (step(startHz * GLIDE) - startSteps[note]) / SAMPLES_PER_CHAR;
        }
        int amplitude = (int) Math.round(BASE_AMPLITUDE * scale);
        return new DemoWav(samples, notes, startSteps, stepSlopes, amplitude);
    }

    /** The whole file's length: header plus samples. */
    long length() {
        return HEADER_BYTES + samples * BYTES_PER_SAMPLE;
    }

    long samples() {
        return samples;
    }

    /**
     * Copies the file's bytes {@code [offset, offset + length)} into {@code dst} at {@code dstOffset}.
     *
     * @throws IndexOutOfBoundsException when the range is not inside the file or the array
     */
    void read(long offset, byte[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        if (offset < 0 || length < 0 || offset > length() - length) {
            throw new IndexOutOfBoundsException("bytes " + offset + "+" + length + " of " + length());
        }
        int at = dstOffset;
        int end = dstOffset + length;
        long position = offset;
        while (at < end && position < HEADER_BYTES) {
            dst[at++] = header[(int) position++];
        }
        if (at == end) {
            return;
        }
        long sample = (position - HEADER_BYTES) / BYTES_PER_SAMPLE;
        if (((position - HEADER_BYTES) & 1) == 1) {
            // A range may start on a sample's high byte.
            dst[at++] = (byte) (sample(sample++) >> 8);
        }
        int whole = (end - at) / BYTES_PER_SAMPLE;
        at = samples(sample, whole, dst, at);
        sample += whole;
        if (at < end) {
            dst[at] = (byte) sample(sample);
        }
    }

    /**
     * Writes {@code count} samples from sample {@code first} as little-endian pairs at {@code at}; returns the index
     * after them. The same values as {@link #sample}, copied a character's run at a time from the rendered tones.
     */
    private int samples(long first, int count, byte[] dst, int at) {
        long charIndex = first / SAMPLES_PER_CHAR;
        int k = (int) (first - charIndex * SAMPLES_PER_CHAR);
        int c = (int) (charIndex % notes.length);
        int left = count;
        while (left > 0) {
            int run = Math.min(left, SAMPLES_PER_CHAR - k);
            System.arraycopy(tone(notes[c]), k * BYTES_PER_SAMPLE, dst, at, run * BYTES_PER_SAMPLE);
            at += run * BYTES_PER_SAMPLE;
            left -= run;
            k = 0;
            if (++c == notes.length) {
                c = 0;
            }
        }
        return at;
    }

    /** The note's whole tone as little-endian samples, rendered on first use. */
    private byte[] tone(int note) {
        byte[] tone = tones[note];
        if (tone == null) {
            tone = new byte[SAMPLES_PER_CHAR * BYTES_PER_SAMPLE];
            for (int k = 0, at = 0; k < SAMPLES_PER_CHAR; k++) {
                int value = value(startSteps[note], stepSlopes[note], k);
                tone[at++] = (byte) value;
                tone[at++] = (byte) (value >> 8);
            }
            tones[note] = tone;
        }
        return tone;
    }

    /** Sample {@code n} as a signed 16-bit value. */
    int sample(long n) {
        long charIndex = n / SAMPLES_PER_CHAR;
        int k = (int) (n - charIndex * SAMPLES_PER_CHAR);
        int note = notes[(int) (charIndex % notes.length)];
        return value(startSteps[note], stepSlopes[note], k);
    }

    /** Sample {@code k} of a character's tone. */
    private int value(long startStep, long stepSlope, int k) {
        // Phase of a linear chirp, in cycles × 2^32: start·k + slope·k²/2. Only the low 32 bits matter, and long
        // overflow keeps them exact.
        long phase = startStep * k + ((stepSlope * k * k) >> 1);
        int sine = SINE[(int) ((phase >>> (32 - SINE_BITS)) & ((1 << SINE_BITS) - 1))];
        int envelope = Math.min(RAMP, Math.min(k, SAMPLES_PER_CHAR - 1 - k));
        return (int) (((long) sine * amplitude * envelope) >> (15 + RAMP_SHIFT));
    }

    private static long step(double hz) {
        return Math.round(hz / SAMPLE_RATE * (1L << 32));
    }

    private static short[] sineTable() {
        short[] table = new short[1 << SINE_BITS];
        for (int i = 0; i < table.length; i++) {
            table[i] = (short) Math.round(Math.sin(2 * Math.PI * i / table.length) * Short.MAX_VALUE);
        }
        return table;
    }

    /** The canonical 44-byte header of a PCM WAV with one {@code fmt } and one {@code data} chunk. */
    private static byte[] header(long dataBytes) {
        byte[] h = new byte[HEADER_BYTES];
        ascii(h, 0, "RIFF");
        le32(h, 4, 36 + dataBytes);
        ascii(h, 8, "WAVE");
        ascii(h, 12, "fmt ");
        le32(h, 16, 16);                                   // fmt chunk size
        le16(h, 20, 1);                                    // PCM
        le16(h, 22, 1);                                    // mono
        le32(h, 24, SAMPLE_RATE);
        le32(h, 28, (long) SAMPLE_RATE * BYTES_PER_SAMPLE); // byte rate
        le16(h, 32, BYTES_PER_SAMPLE);                     // block align
        le16(h, 34, 8 * BYTES_PER_SAMPLE);                 // bits per sample
        ascii(h, 36, "data");
        le32(h, 40, dataBytes);
        return h;
    }

    private static void ascii(byte[] dst, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            dst[at + i] = (byte) s.charAt(i);
        }
    }

    private static void le16(byte[] dst, int at, int value) {
        dst[at] = (byte) value;
        dst[at + 1] = (byte) (value >>> 8);
    }

    private static void le32(byte[] dst, int at, long value) {
        for (int i = 0; i < 4; i++) {
            dst[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
