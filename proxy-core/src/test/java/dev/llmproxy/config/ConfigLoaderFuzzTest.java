package dev.llmproxy.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Fuzzes the configuration loader ({@link ConfigLoader#load} with {@code CONFIG_FILE}) with any file content: the
 * only exception is {@link ConfigException}, whose every problem is one non-blank printable line (an operator reads
 * them in a terminal) and those about the file name the file; a file that loads has at least one upstream, each
 * with a name. Two variables are set for {@code ${VAR}}: {@code FUZZ_KEY} and {@code FUZZ_URL}.
 */
class ConfigLoaderFuzzTest {
    private static Path directory;
    private static Path file;

    @BeforeAll
    static void createFile() throws IOException {
        directory = Files.createTempDirectory("config-fuzz");
        file = directory.resolve("upstreams.yaml");
    }

    @AfterAll
    static void deleteFile() throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @FuzzTest(maxDuration = "10m")
    void loadsAnyFileOrListsItsProblems(byte[] content) throws IOException {
        Files.write(file, content);
        Map<String, String> environment = Map.of("CONFIG_FILE", file.toString(), "FUZZ_KEY", "sk-fuzz",
                "FUZZ_URL", "https://api.example.com/v1");
        ProxyConfig config;
        try {
            config = ConfigLoader.load(Map.of(), environment, Map.of());
        } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty();
            for (String problem : e.problems()) {
                assertThat(problem).isNotBlank();
                assertThat(problem.chars().allMatch(c -> c >= 0x20 && c != 0x7f))
                        .as("one printable line: %s", problem).isTrue();
            }
            return;
        } catch (RuntimeException | StackOverflowError e) {
            fail("only ConfigException may leave the loader", e);
            return;
        }
        assertThat(config.upstreams().upstreams()).isNotEmpty();
        config.upstreams().upstreams().forEach(u -> assertThat(u.name()).isNotBlank());
    }
}
