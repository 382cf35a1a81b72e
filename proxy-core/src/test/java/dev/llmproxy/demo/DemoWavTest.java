package dev.llmproxy.demo;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The generator alone: header fields, length rules, and that any split of a read gives the same bytes. */
class DemoWavTest {

    @Test
    void writesACanonicalPcmHeaderForTheDataThatFollows() {
        DemoWav wav = DemoWav.of("Привіт", 140, 1.0, 0);
        ByteBuffer header = ByteBuffer.wrap(bytes(wav, 0, DemoWav.HEADER_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        long data = 6L * DemoWav.SAMPLES_PER_CHAR * 2;

        assertThat(wav.length()).isEqualTo(44 + data);
        assertThat(ascii(header, 0)).isEqualTo("RIFF");
        assertThat(Integer.toUnsignedLong(header.getInt(4))).isEqualTo(36 + data);
        assertThat(ascii(header, 8)).isEqualTo("WAVE");
        assertThat(ascii(header, 12)).isEqualTo("fmt ");
        assertThat(header.getInt(16)).isEqualTo(16);
        assertThat(header.getShort(20)).isEqualTo((short) 1);     // PCM
        assertThat(header.getShort(22)).isEqualTo((short) 1);     // mono
        assertThat(header.getInt(24)).isEqualTo(16_000);
        assertThat(header.getInt(28)).isEqualTo(32_000);
        assertThat(header.getShort(32)).isEqualTo((short) 2);
        assertThat(header.getShort(34)).isEqualTo((short) 16);
        assertThat(ascii(header, 36)).isEqualTo("data");
        assertThat(Integer.toUnsignedLong(header.getInt(40))).isEqualTo(data);
    }

    @Test
    void keepsTheLargestFileInsideTheUnsigned32BitSizes() {
        DemoWav wav = DemoWav.of("a", 140, 1.0, DemoWav.MAX_SAMPLES);
        ByteBuffer header = ByteBuffer.wrap(bytes(wav, 0, DemoWav.HEADER_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(Integer.toUnsignedLong(header.getInt(40))).isEqualTo(wav.length() - 44);
        assertThat(wav.length()).isGreaterThan(1L << 30).isLessThan(1L << 32);
        assertThatThrownBy(() -> DemoWav.of("a", 140, 1.0, DemoWav.MAX_SAMPLES + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsTheSameBytesHoweverTheRangeIsSplit() {
        DemoWav wav = DemoWav.of("split me", 220, 2.0, 0);
        byte[] whole = bytes(wav, 0, (int) wav.length());
        // odd offsets start on a sample's high byte; 43/44/45 straddle the end of the header
        for (int[] cut : new int[][]{{0, 1}, {43, 3}, {44, 1}, {45, 2}, {1001, 999}, {12_345, 6_789}}) {
            assertThat(bytes(wav, cut[0], cut[1])).as("bytes %d+%d", cut[0], cut[1])
                    .isEqualTo(Arrays.copyOfRange(whole, cut[0], cut[0] + cut[1]));
        }
        byte[] pieces = new byte[whole.length];
        for (int at = 0, step = 1; at < whole.length; at += step, step = step * 3 % 1009 + 1) {
            int n = Math.min(step, whole.length - at);
            wav.read(at, pieces, at, n);
        }
        assertThat(pieces).isEqualTo(whole);
    }

    @Test
    void copiesRenderedTonesToTheSameSamplesAsComputingEachOne() {
        String longText = "Ґанок, їжак, щастя: the quick brown fox. ".repeat(50);
        for (DemoWav wav : new DemoWav[]{DemoWav.of("short", 140, 1.0, 0), DemoWav.of(longText, 220, 0.7, 0)}) {
            int samples = (int) Math.min(wav.samples(), 200_000);
            byte[] bytes = bytes(wav, DemoWav.HEADER_BYTES, samples * 2);
            ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int n = 0; n < samples; n++) {
                assertThat((int) le.getShort(n * 2)).as("sample %d", n).isEqualTo(wav.sample(n));
            }
        }
    }

    @Test
    void makesAudibleTonesThatFadeAtEachCharacterBoundaryAndFollowTheScale() {
        DemoWav loud = DemoWav.of("ab", 140, 3.0, 0);
        DemoWav quiet = DemoWav.of("ab", 140, 0.1, 0);
        assertThat(loud.sample(0)).isZero();
        assertThat(loud.sample(DemoWav.SAMPLES_PER_CHAR)).isZero();
        int loudPeak = peak(loud);
        int quietPeak = peak(quiet);
        assertThat(loudPeak).isBetween(28_000, (int) Short.MAX_VALUE);
        assertThat(quietPeak).isBetween(loudPeak / 31, loudPeak / 29);
    }

    @Test
    void repeatsTheTextsTonesToFillADurationOverride() {
        DemoWav natural = DemoWav.of("xyz", 140, 1.0, 0);
        DemoWav longer = DemoWav.of("xyz", 140, 1.0, 10L * DemoWav.SAMPLE_RATE);
        assertThat(longer.length()).isEqualTo(44 + 10L * DemoWav.SAMPLE_RATE * 2);
        for (int n = 0; n < natural.samples(); n += 97) {
            assertThat(longer.sample(n + natural.samples())).isEqualTo(natural.sample(n));
        }
    }

    @Test
    void rejectsReadsOutsideTheFile() {
        DemoWav wav = DemoWav.of("a", 140, 1.0, 0);
        byte[] dst = new byte[10];
        assertThatThrownBy(() -> wav.read(wav.length() - 5, dst, 0, 10)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> wav.read(-1, dst, 0, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> wav.read(0, dst, 5, 6)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    private static int peak(DemoWav wav) {
        int peak = 0;
        for (long n = 0; n < wav.samples(); n++) {
            peak = Math.max(peak, Math.abs(wav.sample(n)));
        }
        return peak;
    }

    private static byte[] bytes(DemoWav wav, long offset, int length) {
        byte[] dst = new byte[length];
        wav.read(offset, dst, 0, length);
        return dst;
    }

    private static String ascii(ByteBuffer buffer, int at) {
        byte[] four = new byte[4];
        buffer.get(at, four);
        return new String(four, StandardCharsets.US_ASCII);
    }
}
