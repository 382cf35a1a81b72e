package dev.llmproxy.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * How the tools write files: a file an operator may have edited ({@code .env}, examples) is never overwritten
 * without {@code --force}, checked as the file is created so no race can clobber one; a replaced file is written
 * beside its target and moved over it, so a reader never sees half of it. A file that cannot be written is a usage
 * error (exit 2). Stateless.
 */
final class OutputFiles {

    private OutputFiles() {
    }

    /** {@code value} as a path; a usage error naming {@code option} when it is not one. */
    static Path path(String option, String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw ToolException.usage(option + ": " + value + " (expected: a file path)");
        }
    }

    /** Refuses, naming {@code option}, when any of {@code files} exists and {@code force} is off. */
    static void checkAbsent(String option, List<Path> files, boolean force) {
        if (force) {
            return;
        }
        for (Path file : files) {
            if (Files.exists(file)) {
                throw exists(option, file);
            }
        }
    }

    /** Writes a new file; replaces an existing one only with {@code force}. */
    static void create(String option, Path file, String content, boolean force) {
        if (force) {
            replace(file, content);
            return;
        }
        try {
            createParent(file);
            Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw exists(option, file);
        } catch (IOException e) {
            throw cannotWrite(file, e);
        }
    }

    /** Writes {@code file} whole, replacing any earlier one at once. */
    static void replace(Path file, String content) {
        Path temp = null;
        try {
            Path parent = createParent(file);
            temp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
            Files.writeString(temp, content, StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
        } catch (IOException e) {
            throw cannotWrite(file, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the write already failed; that error is the one to report
                }
            }
        }
    }

    /** Makes a file executable by its owner and group, as a generated script should be. */
    static void makeExecutable(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException | UnsupportedOperationException e) {
            // the script still runs as `bash file`, which its header says
        }
    }

    /** Makes a file readable and writable by its owner only, as a file meant to hold keys should be. */
    static void makePrivate(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: the template itself holds no secret
        }
    }

    private static Path createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        return parent;
    }

    private static ToolException exists(String option, Path file) {
        return ToolException.usage(option + ": " + file + " exists (expected: a path that does not exist yet, or"
                + " --force to replace it)");
    }

    private static ToolException cannotWrite(Path file, IOException e) {
        return ToolException.usage("cannot write " + file + ": " + (e.getMessage() == null
                ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " " + e.getMessage()));
    }
}
