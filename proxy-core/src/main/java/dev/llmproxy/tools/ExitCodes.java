package dev.llmproxy.tools;

import java.util.Map;

/**
 * The exit codes every operator tool uses, so scripts can tell "the proxy or a model is failing" from "the command
 * was wrong". They match picocli's: a parse error is already {@link #USAGE}.
 */
public final class ExitCodes {
    /** The command did what it was asked and everything it checked is fine. */
    public static final int OK = 0;
    /** What was checked failed: the proxy is unreachable or unhealthy, a model or request failed. */
    public static final int FAILED = 1;
    /** Usage or configuration error: a bad option, a file that exists without --force, a refused client key. */
    public static final int USAGE = 2;

    /** The {@code --help} section that documents them, code to meaning, as picocli's {@code exitCodeList}. */
    static final Map<String, String> HELP = Map.of(
            "0", "everything checked is fine",
            "1", "the proxy is unreachable or unhealthy, or a model or request failed",
            "2", "usage or configuration error (bad option, existing file without --force, refused client key)");

    private ExitCodes() {
    }
}
