package io.trustline.sidecar;

import static org.awaitility.Awaitility.await;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.testing.TestMesh;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The real command line ({@link Main}) in its own JVM, as a container runs it, for the tests that need a whole
 * process: a backend sidecar with a file identity from a throwaway CA, no app behind it, its output in a file.
 */
final class SidecarProcess {

    private SidecarProcess() {}

    /** Writes {@code cert.pem}, {@code key.pem} and {@code bundle.pem} for {@link TestMesh#BACKEND} into {@code dir}. */
    static void writeFileIdentity(Path dir) throws IOException {
        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        final X509Svid svid = ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1));
        Files.writeString(dir.resolve("cert.pem"), svid.chainPem());
        Files.writeString(dir.resolve("key.pem"), svid.privateKeyPem());
        Files.writeString(dir.resolve("bundle.pem"), ca.trustBundle().toPem());
    }

    /**
     * Writes {@code sidecar.yaml} into {@code dir}: the file identity, an inbound listener on a free port with no app
     * behind it, the admin listener, no access log, then {@code extra} (more top-level keys).
     */
    static Path writeConfig(Path dir, String extra) throws IOException {
        return writeConfig(dir, 1, extra);
    }

    /** As {@link #writeConfig(Path, String)}, with the app on loopback port {@code appPort}. */
    static Path writeConfig(Path dir, int appPort, String extra) throws IOException {
        return Files.writeString(
                dir.resolve("sidecar.yaml"),
                "service: backend\n"
                        + "namespace: shop\n"
                        + "trustDomain: " + TestMesh.TRUST_DOMAIN + "\n"
                        + "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}\n"
                        + "inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:" + appPort + "}\n"
                        + "admin: {listen: 127.0.0.1:0}\n"
                        + "accessLog: {sink: off}\n"
                        + extra);
    }

    /** The test JVM's class path without the test classes, as the image runs it (no {@code logback-test.xml}). */
    static String productionClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes") && !entry.endsWith("-tests.jar"))
                .collect(Collectors.joining(File.pathSeparator));
    }

    /**
     * Starts {@code java [jvmArgs] -cp classPath Main --config config} with stdout and stderr in {@code output}, and
     * returns once it logged that it is ready (at most 60 s; the process is killed if it never does).
     */
    static Process startUntilReady(Path config, Path output, List<String> jvmArgs, String classPath)
            throws IOException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", classPath, Main.class.getName(), "--config", config.toString()));
        final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> Files.readString(output).contains("sidecar ready"));
        } catch (RuntimeException | Error e) {
            process.destroyForcibly();
            throw e;
        }
        return process;
    }
}
