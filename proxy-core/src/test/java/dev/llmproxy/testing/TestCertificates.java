package dev.llmproxy.testing;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * One self-signed certificate for {@code localhost} (SANs {@code DNS:localhost}, {@code IP:127.0.0.1}) and the
 * TLS contexts built from it: the fake upstream serves it, and the proxy under test ({@code UPSTREAM_CA_FILE}) and
 * JDK clients trust it.
 *
 * <p>The key is EC P-256 (generated in milliseconds, unlike RSA) and the certificate is an end entity
 * ({@code CA:false}, {@code serverAuth}), which every verifier accepts as its own trust anchor. Signing uses the
 * JDK's providers; BouncyCastle only builds and encodes the certificate, and is never registered as a provider.
 *
 * <p>Threading: generated once per JVM on first use, immutable afterwards; every method is thread-safe.
 */
public final class TestCertificates {

    private static final String HOST = "localhost";

    private TestCertificates() {
    }

    public static PrivateKey privateKey() {
        return Generated.INSTANCE.keyPair.getPrivate();
    }

    public static X509Certificate certificate() {
        return Generated.INSTANCE.certificate;
    }

    /** A Netty server context (OpenSSL where it loads, else the JDK) presenting the certificate. */
    public static SslContext serverSslContext() {
        return Generated.INSTANCE.serverSslContext;
    }

    /** The certificate as a PEM file, for anything configured with a CA file (the proxy's {@code UPSTREAM_CA_FILE}). */
    public static Path caPemFile() {
        return Generated.INSTANCE.caPemFile;
    }

    /** The certificate in PEM form. */
    public static String certificatePem() {
        return Generated.INSTANCE.pem;
    }

    /** A JDK client context that trusts only the certificate; for {@code HttpClient} and {@code SSLSocket}. */
    public static SSLContext clientSslContext() {
        return Generated.INSTANCE.clientSslContext;
    }

    /** Initialization-on-demand holder: the JVM runs the generation once, on first use, without locks after. */
    private static final class Generated {
        static final Generated INSTANCE = new Generated();

        final KeyPair keyPair;
        final X509Certificate certificate;
        final String pem;
        final Path caPemFile;
        final SslContext serverSslContext;
        final SSLContext clientSslContext;

        private Generated() {
            try {
                keyPair = generateKeyPair();
                certificate = selfSign(keyPair);
                pem = toPem(certificate);
                caPemFile = writeTempFile(pem);
                serverSslContext = SslContextBuilder.forServer(keyPair.getPrivate(), certificate).build();
                clientSslContext = trustingContext(certificate);
            } catch (GeneralSecurityException | SSLException e) {
                throw new IllegalStateException("cannot create the test certificate", e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (org.bouncycastle.operator.OperatorCreationException e) {
                throw new IllegalStateException("cannot sign the test certificate", e);
            }
        }

        private static KeyPair generateKeyPair() throws GeneralSecurityException {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        }

        private static X509Certificate selfSign(KeyPair keyPair)
                throws IOException, GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
            X500Name name = new X500Name("CN=" + HOST);
            Instant now = Instant.now();
            // A day of slack each side keeps clock skew between hosts or VMs from making it "not yet valid".
            Date notBefore = Date.from(now.minus(Duration.ofDays(1)));
            Date notAfter = Date.from(now.plus(Duration.ofDays(366)));
            BigInteger serial = new BigInteger(64, new SecureRandom()).setBit(0);
            JcaX509v3CertificateBuilder builder =
                    new JcaX509v3CertificateBuilder(name, serial, notBefore, notAfter, name, keyPair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, HOST),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        }

        private static String toPem(X509Certificate certificate) throws IOException {
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(certificate);
            }
            return out.toString();
        }

        private static Path writeTempFile(String pem) throws IOException {
            Path file = Files.createTempFile("llm-proxy-test-ca-", ".pem");
            file.toFile().deleteOnExit();
            return Files.writeString(file, pem, StandardCharsets.US_ASCII);
        }

        private static SSLContext trustingContext(X509Certificate certificate) throws GeneralSecurityException,
                IOException {
            KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
            trustStore.load(null, null);
            trustStore.setCertificateEntry(HOST, certificate);
            TrustManagerFactory trustManagers =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trustStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustManagers.getTrustManagers(), null);
            return context;
        }
    }
}
