package dev.llmproxy;

import dev.llmproxy.config.ClientKeyDigest;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HashKeyCommandTest {

    /** SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
    private static final String ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String stdin, String... args) {
        CommandLine cli = Main.commandLine(Map.of(), config -> {
            throw new AssertionError("hash-key must not start a server");
        }, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void printsTheSha256OfTheKeyOnStandardInputIgnoringTheTrailingNewline() {
        assertThat(run("abc\n", "hash-key")).isZero();

        assertThat(out.toString()).isEqualTo(ABC_SHA256 + System.lineSeparator());
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void takesTheKeyFromTheOptionToo() {
        assertThat(run("", "hash-key", "--key", "abc")).isZero();

        assertThat(out.toString().strip()).isEqualTo(ABC_SHA256);
    }

    @Test
    void thePrintedHashIsWhatTheClientsSectionMatchesTheKeyAgainst() {
        run("team-a-key", "hash-key");

        assertThat(ClientKeyDigest.parseHex(out.toString().strip()))
                .hasValueSatisfying(d -> assertThat(d.matchesKey("team-a-key")).isTrue());
    }

    @Test
    void noKeyOrAnInvalidOneIsAUsageErrorThatNeverEchoesTheKey() {
        assertThat(run("", "hash-key")).isEqualTo(2);
        assertThat(err.toString()).contains("key: (empty) (expected: the client key on standard input or after"
                + " --key)");

        assertThat(run("secret-part other-part\n", "hash-key")).isEqualTo(2);
        assertThat(err.toString()).contains("key: (hidden) (expected: a token of visible ASCII characters without"
                + " spaces)").doesNotContain("secret-part");
        assertThat(out.toString()).isEmpty();
    }
}
