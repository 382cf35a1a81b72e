package dev.llmproxy.tools;

/**
 * A tool's run ended with a message for the operator and an exit code ({@link ExitCodes}): the checked thing
 * failed, or the tool was used wrongly. {@link OperatorTools} prints the message on standard error.
 */
public final class ToolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    private ToolException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Exit {@value ExitCodes#USAGE}: a bad option, a file that would be overwritten, a key the proxy refused. */
    public static ToolException usage(String message) {
        return new ToolException(ExitCodes.USAGE, message, null);
    }

    /** Exit {@value ExitCodes#FAILED}: the proxy is unreachable or unhealthy, a model does not work. */
    public static ToolException failed(String message, Throwable cause) {
        return new ToolException(ExitCodes.FAILED, message, cause);
    }

    public int exitCode() {
        return exitCode;
    }
}
