package dev.llmproxy.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Every problem found in one configuration file, each as {@code <file>:<line>: <field>: <value> (expected: <rule>)},
 * reported together in line order. Single-threaded: one instance per read of a file.
 */
final class FileProblems {

    private record Problem(int line, String text) {
    }

    private final String fileName;
    private final List<Problem> problems = new ArrayList<>();

    FileProblems(String fileName) {
        this.fileName = fileName;
    }

    String fileName() {
        return fileName;
    }

    /** {@code shown} is already safe to print: hidden when secret, escaped, without user info. */
    void add(int line, String field, String shown, String expected) {
        problems.add(new Problem(line, at(line) + field + ": " + shown + " (expected: " + expected + ")"));
    }

    /** A problem of the file as a whole (unreadable, too large, empty). */
    void addFileLevel(String shown, String expected) {
        problems.add(new Problem(0, fileName + ": " + shown + " (expected: " + expected + ")"));
    }

    /** {@code <file>:<line>: } — also the prefix of the notes about this file. */
    String at(int line) {
        return fileName + ":" + line + ": ";
    }

    int count() {
        return problems.size();
    }

    /** @throws ConfigException listing every problem in line order, when there is any */
    void throwIfAny() {
        if (problems.isEmpty()) {
            return;
        }
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt(Problem::line));
        List<String> texts = new ArrayList<>(sorted.size());
        for (Problem p : sorted) {
            texts.add(p.text());
        }
        throw new ConfigException(texts);
    }
}
