package dev.llmproxy.bridge;

import dev.llmproxy.openai.ProxyError;

/**
 * Turns one chat answer, heard as {@link ChatStreamListener} events, into another API's event stream written to an
 * {@link SseEventWriter}: the Responses API's or Anthropic's Messages. {@link EventStreamConverter} drives it.
 */
public interface StreamTranslator extends ChatStreamListener {

    /** Sends the stream's opening events once, before anything else. */
    void start();

    /**
     * The chat answer ended ({@code [DONE]} seen, or the end of the upstream body): the closing events, or, when
     * neither {@code [DONE]} nor a finish reason came, the stream's own failure event.
     */
    void end(boolean sawDone);

    /** The proxy ended the stream early (upstream reset, timeout, unreadable bytes): the failure event. */
    void fail(ProxyError error);
}
