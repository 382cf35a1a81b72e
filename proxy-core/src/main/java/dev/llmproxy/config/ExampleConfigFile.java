package dev.llmproxy.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The commented example configuration file bundled in the jar: one upstream of each kind in use, a route with
 * failover and a client. Tests load it through {@link ConfigFile}, so it cannot drift from what the proxy accepts.
 * Stateless.
 */
public final class ExampleConfigFile {

    /** The name it is written out under, and its resource next to this class. */
    public static final String FILE_NAME = "llm-proxy.example.yaml";

    private ExampleConfigFile() {
    }

    /** The file's text, comments included. */
    public static String text() {
        try (InputStream in = ExampleConfigFile.class.getResourceAsStream(FILE_NAME)) {
            if (in == null) {
                throw new IllegalStateException(FILE_NAME + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
