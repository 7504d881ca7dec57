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

/**
 * Starts the real command line ({@link Main}) in its own JVM, as a container would, and reads what it prints until it
 * is ready: the start-up log must be the sidecar's own lines, with no SLF4J warning banner in front of them.
 */
class MainStartupLogTest {

    @TempDir
    Path dir;

    @Test
    void startsWithoutAnSlf4jReplayWarning() throws Exception {
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
                        + "accessLog: {sink: off}\n");
        final Path output = dir.resolve("stderr.txt");
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
        } finally {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(Files.readString(output)).doesNotContain("SLF4J");
    }
}
