package dev.llmproxy.client;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the request-head checks with any bytes a client can send: they go through the proxy's own
 * {@code HttpServerCodec} (same limits as {@link ClientChannelInitializer}) and every head it decodes — including
 * the ones it marks failed — through {@link HttpConformance#check}. Holds: no exception; a refusal has one of the
 * documented statuses, a message that is one printable line, and a response version of 1.0 or 1.1; a head that
 * passes is HTTP/1.0 or 1.1, has one valid {@code Host} in 1.1, and frames its body one way only. Every decoded
 * message is released (paranoid leak detection checks).
 */
class HttpConformanceFuzzTest {
    private static final List<Integer> STATUSES = List.of(400, 414, 431, 501, 505);

    @FuzzTest(maxDuration = "10m")
    void refusesOrPassesEveryHeadWithADocumentedAnswer(byte[] input) {
        EmbeddedChannel channel = new EmbeddedChannel(ClientChannelInitializer.newHttpCodec());
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(input));
            channel.finish();
            for (Object message; (message = channel.readInbound()) != null; ) {
                try {
                    if (message instanceof HttpRequest head) {
                        check(head);
                    }
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static void check(HttpRequest head) {
        HttpConformance.Violation violation = HttpConformance.check(head);
        HttpVersion answerIn = HttpConformance.responseVersion(head);
        assertThat(answerIn).isIn(HttpVersion.HTTP_1_0, HttpVersion.HTTP_1_1);
        if (violation != null) {
            assertThat(violation.error().status()).isIn(STATUSES);
            assertThat(violation.responseVersion()).isIn(HttpVersion.HTTP_1_0, HttpVersion.HTTP_1_1);
            String message = violation.error().message();
            assertThat(message).isNotBlank();
            assertThat(message.chars().allMatch(c -> c >= 0x20 && c != 0x7f)).as("printable: %s", message).isTrue();
            assertThat(violation.error().toJson()).isNotEmpty();
            return;
        }
        assertThat(head.decoderResult().isSuccess()).isTrue();
        HttpVersion version = head.protocolVersion();
        assertThat(version.majorVersion()).isEqualTo(1);
        assertThat(version.minorVersion()).isBetween(0, 1);
        HttpHeaders headers = head.headers();
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        assertThat(hosts.size()).isLessThanOrEqualTo(1);
        if (version.minorVersion() == 1) {
            assertThat(hosts).hasSize(1);
        }
        hosts.forEach(host -> assertThat(HttpConformance.isAuthority(host)).isTrue());
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            assertThat(version).isEqualTo(HttpVersion.HTTP_1_1);
            assertThat(headers.contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
            String codings = String.join(",", headers.getAll(HttpHeaderNames.TRANSFER_ENCODING))
                    .toLowerCase(Locale.ROOT).replace(" ", "").replace("\t", "");
            assertThat(codings.replaceAll("^,+|,+$", "").replaceAll(",+", ",")).isEqualTo("chunked");
        }
    }
}
