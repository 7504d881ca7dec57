package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command line in its own JVM, stopped with SIGTERM as a container runtime stops it. */
class MainShutdownTest {

    @TempDir
    Path dir;

    @Test
    void anIdleSidecarExitsPromptlyOnSigterm() throws Exception {
        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        final X509Svid svid = ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1));
        Files.writeString(dir.resolve("cert.pem"), svid.chainPem());
        Files.writeString(dir.resolve("key.pem"), svid.privateKeyPem());
        Files.writeString(dir.resolve("bundle.pem"), ca.trustBundle().toPem());
        Files.writeString(
                dir.resolve("sidecar.yaml"),
                "service: backend\n"
                        + "namespace: shop\n"
                        + "trustDomain: " + TestMesh.TRUST_DOMAIN + "\n"
                        + "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}\n"
                        + "inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:1}\n"
                        + "admin: {listen: 127.0.0.1:0}\n"
                        + "accessLog: {sink: off}\n"
                        + "shutdown: {drainTimeout: 30s}\n");
        final Path output = dir.resolve("output.txt");
        final Process process = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "--config",
                        dir.resolve("sidecar.yaml").toString()))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> Files.readString(output).contains("sidecar ready"));
            process.destroy(); // SIGTERM
            // Nothing in flight: the listeners have nothing to drain, so the long drain timeout is never waited for.
            assertThat(process.waitFor(15, TimeUnit.SECONDS))
                    .as("exited well within the 30 s drain timeout")
                    .isTrue();
        } finally {
            process.destroyForcibly();
        }
    }
}
