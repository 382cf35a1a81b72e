package dev.llmproxy;

import dev.llmproxy.config.ClientKeyDigest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code hash-key}: prints the hex SHA-256 of a client key, the value {@code key_sha256} of the {@code clients:}
 * section expects, so keys themselves never go into the configuration file. Runs on the main thread.
 */
@Command(name = HashKeyCommand.NAME, mixinStandardHelpOptions = true,
        versionProvider = Main.ManifestVersion.class,
        description = {"Print the SHA-256 (64 hex digits) of a client key, for key_sha256 in the clients: section"
                + " of the configuration file.",
                "The key is read from standard input (typed without echo at a terminal; a trailing newline is"
                        + " ignored), e.g. printf %%s \"$KEY\" | llm-proxy hash-key"},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the hash was printed", "2:no key, or not a valid key"})
final class HashKeyCommand implements Callable<Integer> {
    static final String NAME = "hash-key";
    /** Far above any real key; stops a mistaken pipe from being read whole. */
    private static final int MAX_KEY_BYTES = 16 * 1024;

    @Spec
    CommandSpec spec;

    @Option(names = "--key", paramLabel = "<key>",
            description = "The key itself, instead of standard input. Visible to other users in ps and kept in the"
                    + " shell history: prefer standard input.")
    String key;

    private final InputStream stdin;

    HashKeyCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        String k = key != null ? key : readKey(err);
        if (k == null || k.isBlank()) {
            err.println("key: (empty) (expected: the client key on standard input or after --key)");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
        if (!ClientKeyDigest.isValidKey(k)) {
            err.println("key: (hidden) (expected: " + ClientKeyDigest.KEY_RULE + ")");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(ClientKeyDigest.of(k).hex());
        out.flush();
        return CommandLine.ExitCode.OK;
    }

    private String readKey(PrintWriter err) throws IOException {
        Console console = System.console();
        if (stdin == System.in && console != null) {
            char[] typed = console.readPassword("Client key: ");
            return typed == null ? null : new String(typed).strip();
        }
        byte[] bytes = stdin.readNBytes(MAX_KEY_BYTES + 1);
        if (bytes.length > MAX_KEY_BYTES) {
            err.println("key: (longer than " + MAX_KEY_BYTES + " bytes) (expected: one client key)");
            return null;
        }
        return new String(bytes, StandardCharsets.UTF_8).strip();
    }
}
