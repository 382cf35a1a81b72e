package dev.llmproxy.bridge.messages;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A Messages API request bridged to chat: what goes upstream and what the answer needs from the request.
 *
 * @param chatRequest   the chat completions request for the upstream ({@code model} is the client's; the route
 *                      rewrites it to the upstream's id like any chat request)
 * @param stream        the client asked for a stream (the chat request then streams, with usage)
 * @param model         the model as the client named it, echoed in the answer
 * @param stopSequences the request's {@code stop_sequences}, to tell {@code stop_sequence} from {@code end_turn}
 */
public record MessagesCall(ObjectNode chatRequest, boolean stream, String model, List<String> stopSequences) {

    public MessagesCall {
        stopSequences = List.copyOf(stopSequences);
    }
}
