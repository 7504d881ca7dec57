package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.sidecar.jwt.TestTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real command line ({@link Main}) in its own JVM with the production class path (no test classes, so no
 * {@code logback-test.xml}), a file identity and an issuer whose JWKS holds RSA, EC and Ed25519 keys, and reads which
 * classes it loaded until ready. What a sidecar does not need must stay out of it (docs/performance.md, "Memory"):
 * a Bouncy Castle JCA provider (about 6 MB of heap and 500 classes each, and three were built before), and Logback's
 * XML configurator (about 600 classes with the JDK's XML parser).
 */
class MainFootprintTest {

    @TempDir
    Path dir;

    @Test
    void aReadySidecarHasBuiltNoBouncyCastleProviderAndReadNoLoggingXml() throws Exception {
        SidecarProcess.writeFileIdentity(dir);
        final Path jwks = Files.writeString(
                dir.resolve("jwks.json"), new TestTokens("https://issuer.test", "f", Clock.systemUTC()).jwks());
        assertThat(Files.readString(jwks)).contains("\"kty\":\"EC\"").contains("\"kty\":\"RSA\"");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(
                dir.resolve("policies/jwt.yaml"),
                "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: jwt}\nspec:\n"
                        + "  service: backend\n  jwt:\n    - issuer: https://issuer.test\n"
                        + "      audiences: [backend]\n      jwksFile: " + jwks + "\n");
        final Path config = SidecarProcess.writeConfig(dir, "policy: {dir: policies}\n");
        final Path output = dir.resolve("stderr.txt");
        final Path classes = dir.resolve("classes.txt");
        final Process process = SidecarProcess.startUntilReady(
                config, output, List.of("-Xlog:class+load=info:file=" + classes), SidecarProcess.productionClassPath());
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
        final String loaded = Files.readString(classes);
        // The start-up work that used Bouncy Castle's provider did run: the identity's chain was validated and the
        // JWKS's EC key was made into a verifier.
        assertThat(loaded)
                .contains("io.trustline.ca.SvidValidator ")
                .contains("io.trustline.sidecar.jwt.EcdsaVerifier ");
        assertThat(loaded).doesNotContain("org.bouncycastle.jce.provider.BouncyCastleProvider ");
        assertThat(loaded)
                .doesNotContain("ch.qos.logback.classic.joran.JoranConfigurator ")
                .doesNotContain("ch.qos.logback.core.joran.event.SaxEventRecorder ");
        // The default layout set up in code: time, level, logger, message, key-values.
        assertThat(Files.readString(output))
                .containsPattern("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S+ INFO  \\S+ - sidecar ready ");
    }
}
