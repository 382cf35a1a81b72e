package dev.llmproxy.testing;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TestCertificatesTest {

    @Test
    void certificateNamesLocalhostByDnsAndLoopbackIp() throws Exception {
        X509Certificate certificate = TestCertificates.certificate();

        certificate.checkValidity();
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(certificate.getSubjectAlternativeNames())
                .containsExactlyInAnyOrder(List.of(2, "localhost"), List.of(7, "127.0.0.1"));
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
        assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        certificate.verify(certificate.getPublicKey());
    }

    @Test
    void privateKeyMatchesTheCertificate() throws Exception {
        byte[] data = "llm-proxy".getBytes();
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(TestCertificates.privateKey());
        signer.update(data);
        byte[] signature = signer.sign();

        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(TestCertificates.certificate());
        verifier.update(data);
        assertThat(verifier.verify(signature)).isTrue();
    }

    @Test
    void caPemFileHoldsTheSameCertificate() throws Exception {
        X509Certificate fromFile;
        try (InputStream in = Files.newInputStream(TestCertificates.caPemFile())) {
            fromFile = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }

        assertThat(fromFile).isEqualTo(TestCertificates.certificate());
        assertThat(Files.readString(TestCertificates.caPemFile()))
                .isEqualTo(TestCertificates.certificatePem())
                .startsWith("-----BEGIN CERTIFICATE-----");
    }

    @Test
    void serverContextIsAServerContextForTheCertificate() {
        assertThat(TestCertificates.serverSslContext().isServer()).isTrue();
        assertThat(TestCertificates.clientSslContext().getProtocol()).isEqualTo("TLS");
    }
}
