package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.testing.TestMesh;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --check} against real files: a complete, valid setup passes, and each broken reference fails with a message
 * that names the config key, the file and the cause. The same messages come from start-up, which reads the files with
 * the same code.
 */
class StartupCheckTest {

    private static final Map<String, String> NO_ENV = Map.of();

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
        writeConfig("inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:8080}\n");
    }

    private void writeSvid(X509Svid svid) throws IOException {
        Files.writeString(dir.resolve("cert.pem"), svid.chainPem());
        Files.writeString(dir.resolve("key.pem"), svid.privateKeyPem());
    }

    private void writeConfig(String inbound) throws IOException {
        Files.writeString(
                dir.resolve("sidecar.yaml"),
                "service: backend\n"
                        + "namespace: shop\n"
                        + "trustDomain: " + TestMesh.TRUST_DOMAIN + "\n"
                        + "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}\n"
                        + inbound
                        + "policy: {dir: policies}\n"
                        + "admin: {listen: 127.0.0.1:0}\n");
    }

    private List<String> problems() throws Exception {
        final SidecarConfig config = new ConfigLoader(NO_ENV::get).load(dir.resolve("sidecar.yaml"));
        return StartupCheck.run(config, Clock.systemUTC()).problems();
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void aCompleteValidSetupHasNoProblems() throws Exception {
        assertThat(problems()).isEmpty();
    }

    @Test
    void missingCertificateFile() throws Exception {
        Files.delete(dir.resolve("cert.pem"));
        assertThat(problems()).containsExactly("identity.certFile: " + file("cert.pem") + ": does not exist");
    }

    @Test
    void garbageCertificate() throws Exception {
        Files.writeString(dir.resolve("cert.pem"), "this is not a certificate\n");
        assertThat(problems())
                .containsExactly("identity.certFile: " + file("cert.pem")
                        + ": not PEM (no '-----BEGIN CERTIFICATE-----' line; expected: a certificate)");
    }

    @Test
    void pemThatIsNotACertificate() throws Exception {
        Files.copy(dir.resolve("key.pem"), dir.resolve("cert.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(problems())
                .containsExactly(
                        "identity.certFile: " + file("cert.pem") + ": PEM, but not a certificate (found: PRIVATE KEY)");
    }

    @Test
    void keyOfAnotherCertificate() throws Exception {
        Files.writeString(
                dir.resolve("key.pem"),
                ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1)).privateKeyPem());
        assertThat(problems())
                .containsExactly("identity.keyFile: " + file("key.pem")
                        + ": the key does not belong to the certificate in " + file("cert.pem"));
    }

    @Test
    void certificateForAnotherIdentity() throws Exception {
        writeSvid(ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1)));
        assertThat(problems())
                .containsExactly("identity.certFile: " + file("cert.pem") + ": the certificate is for "
                        + TestMesh.FRONTEND + ", but this sidecar is " + TestMesh.BACKEND);
    }

    @Test
    void certificateThatDoesNotChainToTheBundle() throws Exception {
        final CertificateAuthority other =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        Files.writeString(dir.resolve("bundle.pem"), other.trustBundle().toPem());
        assertThat(problems())
                .singleElement()
                .asString()
                .startsWith("identity.certFile: " + file("cert.pem")
                        + ": not a valid X.509-SVID for identity.bundleFile: ");
    }

    @Test
    void aDirectoryWhereTheCertificateFileBelongs() throws Exception {
        Files.delete(dir.resolve("cert.pem"));
        Files.createDirectory(dir.resolve("cert.pem"));
        assertThat(problems())
                .containsExactly("identity.certFile: " + file("cert.pem") + ": is a directory, not a file");
    }

    private void writeRouteWithEndpointsFile() throws IOException {
        writeConfig("inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:8080}\n"
                + "outbound:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  routes:\n"
                + "    inventory: {file: inventory.endpoints, identity: " + TestMesh.BACKEND + "}\n");
    }

    @Test
    void missingEndpointsFile() throws Exception {
        writeRouteWithEndpointsFile();
        assertThat(problems())
                .containsExactly("outbound.routes.inventory.file: " + file("inventory.endpoints") + ": does not exist");
    }

    @Test
    void endpointsFileWithABadLineIsReportedWithItsPosition() throws Exception {
        writeRouteWithEndpointsFile();
        Files.writeString(dir.resolve("inventory.endpoints"), "# replicas\n10.0.0.7:15006\n  10.0.0.8\n");
        assertThat(problems())
                .singleElement()
                .asString()
                .startsWith(file("inventory.endpoints")
                        + ":3:3: outbound.routes.inventory.file: '10.0.0.8' (expected: host:port, e.g."
                        + " 10.0.0.7:15006)");
    }

    @Test
    void validEndpointsFileHasNoProblems() throws Exception {
        writeRouteWithEndpointsFile();
        Files.writeString(dir.resolve("inventory.endpoints"), "10.0.0.7:15006\n10.0.0.8:15006\n");
        assertThat(problems()).isEmpty();
    }

    @Test
    void missingPolicyDirectory() throws Exception {
        Files.delete(dir.resolve("policies/backend.yaml"));
        Files.delete(dir.resolve("policies"));
        assertThat(problems()).containsExactly("policy.dir: " + file("policies") + ": does not exist");
    }

    @Test
    void invalidPolicyIsReportedAsPolicyCheckReportsIt() throws Exception {
        Files.writeString(
                dir.resolve("policies/backend.yaml"),
                TestMesh.policy("backend").replace("action: deny", "action: refuse"));
        assertThat(problems())
                .isNotEmpty()
                .allSatisfy(p ->
                        assertThat(p).matches(".*/policies/backend\\.yaml:\\d+:\\d+: rules\\.action: 'refuse' .*"));
    }

    @Test
    void listenerPortInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            writeConfig("inbound: {listen: 127.0.0.1:" + taken.getLocalPort() + ", app: 127.0.0.1:8080}\n");
            assertThat(problems())
                    .containsExactly("inbound.listen: 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
        }
    }

    @Test
    void everyBrokenReferenceIsReportedInOneRun() throws Exception {
        Files.writeString(dir.resolve("bundle.pem"), "garbage\n");
        Files.delete(dir.resolve("key.pem"));
        Files.delete(dir.resolve("policies/backend.yaml"));
        Files.delete(dir.resolve("policies"));
        assertThat(problems())
                .containsExactly(
                        "identity.bundleFile: " + file("bundle.pem")
                                + ": not PEM (no '-----BEGIN CERTIFICATE-----' line; expected: a certificate)",
                        "identity.keyFile: " + file("key.pem") + ": does not exist",
                        "policy.dir: " + file("policies") + ": does not exist");
    }
}
