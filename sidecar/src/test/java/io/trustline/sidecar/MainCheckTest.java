package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.testing.TestMesh;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code trustline-sidecar --config FILE --check}: its exit code and what it prints, for each broken reference. */
class MainCheckTest {

    @TempDir
    Path dir;

    private CertificateAuthority ca;

    @BeforeEach
    void writeAValidSetup() throws IOException {
        ca = CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        writeSvid(ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1)));
        Files.writeString(dir.resolve("bundle.pem"), ca.trustBundle().toPem());
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/backend.yaml"), TestMesh.policy("backend"));
        Files.writeString(
                dir.resolve("sidecar.yaml"),
                "service: backend\n"
                        + "namespace: shop\n"
                        + "trustDomain: " + TestMesh.TRUST_DOMAIN + "\n"
                        + "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}\n"
                        + "inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:8080}\n"
                        + "policy: {dir: policies}\n"
                        + "admin: {listen: 127.0.0.1:0}\n");
    }

    private void writeSvid(X509Svid svid) throws IOException {
        Files.writeString(dir.resolve("cert.pem"), svid.chainPem());
        Files.writeString(dir.resolve("key.pem"), svid.privateKeyPem());
    }

    @Test
    void passesACompleteValidSetup() {
        final Result r = check();
        assertThat(r.exit).isZero();
        assertThat(r.err).contains("sidecar.yaml: ok");
    }

    @Test
    void failsOnAMissingCertificateFile() throws Exception {
        Files.delete(dir.resolve("cert.pem"));
        final Result r = check();
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err)
                .contains("identity.certFile: " + dir.resolve("cert.pem") + ": does not exist")
                .contains("sidecar.yaml: 1 problem");
    }

    @Test
    void failsOnAGarbageCertificate() throws Exception {
        Files.writeString(dir.resolve("cert.pem"), "garbage\n");
        final Result r = check();
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("identity.certFile: " + dir.resolve("cert.pem") + ": not PEM");
    }

    @Test
    void failsOnAMissingPolicyDirectory() throws Exception {
        Files.delete(dir.resolve("policies/backend.yaml"));
        Files.delete(dir.resolve("policies"));
        final Result r = check();
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("policy.dir: " + dir.resolve("policies") + ": does not exist");
    }

    @Test
    void failsOnACertificateForAnotherIdentity() throws Exception {
        writeSvid(ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1)));
        final Result r = check();
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("the certificate is for " + TestMesh.FRONTEND);
    }

    private record Result(int exit, String err) {}

    private Result check() {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream original = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            final int exit = new CommandLine(new Main())
                    .execute("--config", dir.resolve("sidecar.yaml").toString(), "--check");
            return new Result(exit, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }
}
