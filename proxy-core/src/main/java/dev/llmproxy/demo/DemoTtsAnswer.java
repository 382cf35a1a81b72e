package dev.llmproxy.demo;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * What {@link DemoTts} decided for one request; {@link DemoRequestHandler} writes it.
 *
 * @param status  200, 206, 304 or 416
 * @param headers the complete response headers, {@code Content-Length} included (except on 304)
 * @param wav     the file the request names
 * @param range   the bytes of {@code wav} a GET streams (200 and 206), else null
 * @param body    the JSON body of a 416, else null
 */
record DemoTtsAnswer(HttpResponseStatus status, HttpHeaders headers, DemoWav wav, DemoByteRange range, byte[] body) {
}
