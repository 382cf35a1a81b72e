/**
 * Protocol bridges: OpenAI's Responses API ({@code bridge.responses}) and Anthropic's Messages API
 * ({@code bridge.messages}) served by upstreams that speak only chat completions. Pure transformers: requests are
 * JSON trees in and out, answers are {@link dev.llmproxy.exchange.BodyConverter}s over bytes; nothing here touches a
 * channel.
 *
 * <p>How a route uses them (the {@link dev.llmproxy.bridge.ChatDialect} chosen per upstream):
 * <ul>
 *   <li>{@code POST /v1/responses}: {@code ResponsesRequestBridge.toChat(body)} — a
 *       {@link dev.llmproxy.openai.ProxyErrorException} is the client's 400 in the OpenAI envelope — then the
 *       {@code chatRequest()} goes upstream to {@code /chat/completions} like any chat request (model resolution,
 *       admission, metering unchanged), answered through {@code new ResponsesConverter(call, RandomIds.INSTANCE)}.</li>
 *   <li>{@code POST /v1/messages}: {@code MessagesRequestBridge.toChat(body)}, the same way, answered through
 *       {@code new MessagesConverter(call, inputTokens, RandomIds.INSTANCE)}; every error the route answers itself
 *       goes out as {@code AnthropicError.of(proxyError)} (status, body, headers), not the OpenAI envelope.</li>
 *   <li>{@code POST /v1/messages/count_tokens}: {@code MessagesRequestBridge.toChatForCount(body)}, then
 *       {@code MessagesTokenCounter.responseBody(tokens.count(call, upstreamModel))} — no upstream call.</li>
 *   <li>Mid-stream failures: the exchange calls the converter's
 *       {@link dev.llmproxy.exchange.BodyConverter#onStreamError} and sends what it returns instead of chat's
 *       {@code data: {"error":…}} event.</li>
 * </ul>
 * A bridged stream asks the upstream for usage itself ({@code stream_options.include_usage}); the usage chunk must
 * reach the converter, which consumes it (the client never sees chat events).
 */
package dev.llmproxy.bridge;
