package dev.llmproxy.upstream;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Builds the client TLS context for the upstream leg: OpenSSL (BoringSSL via netty-tcnative) when it loads,
 * else the JDK provider; hostname verification always on.
 */
public final class UpstreamTls {

    private UpstreamTls() {
    }

    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * @param trustedCaFile PEM bundle trusted instead of the platform's default CAs (like curl's {@code --cacert});
     *                      empty = platform defaults
     */
    public static SslContext clientContext(Optional<Path> trustedCaFile) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(provider())
                .endpointIdentificationAlgorithm("HTTPS");
        trustedCaFile.ifPresent(file -> builder.trustManager(file.toFile()));
        return builder.build();
    }
}
