package dev.llmproxy.bridge.responses;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A Responses API request bridged to chat: what goes upstream and what the answer must echo.
 *
 * @param chatRequest      the chat completions request for the upstream ({@code model} is the client's; the route
 *                         rewrites it to the upstream's id like any chat request)
 * @param stream           the client asked for a stream (the chat request then streams, with usage)
 * @param responseTemplate the {@code response} object's fields in the API's order, with the request's parameters
 *                         echoed ({@code instructions}, {@code tools}, {@code metadata} …); {@link ResponsesTranslator}
 *                         fills in id, status, output and usage. Shared read-only.
 */
public record ResponsesCall(ObjectNode chatRequest, boolean stream, ObjectNode responseTemplate) {
}
