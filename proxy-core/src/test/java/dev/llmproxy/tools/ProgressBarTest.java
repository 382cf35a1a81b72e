package dev.llmproxy.tools;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressBarTest {

    @Test
    void drawsInPlaceAndClearsItsLine() {
        StringWriter err = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(err), 4, true);
        bar.show(0, "first-model");
        bar.show(2, "m");
        bar.clear();
        String[] frames = err.toString().split("\r", -1);
        assertThat(frames[1]).isEqualTo("[........................] 0/4 first-model");
        assertThat(frames[2]).as("pads over the longer line before it")
                .isEqualTo("[############............] 2/4 m" + " ".repeat(10));
        assertThat(frames[3]).isBlank();
        assertThat(frames[4]).isEmpty();
    }

    @Test
    void drawsNothingWhenDisabled() {
        StringWriter err = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(err), 4, false);
        bar.show(1, "m");
        bar.clear();
        assertThat(err.toString()).isEmpty();
    }
}
