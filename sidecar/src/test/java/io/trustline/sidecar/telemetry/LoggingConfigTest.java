package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The logging configuration the sidecar ships ({@link LogConfigurator}, text; {@code logback-json.xml}, one JSON
 * object per line), loaded as in production and fed by a real sidecar whose policy reload fails: the key-values of a log
 * call (here the error with its file:line:column) must reach the output, and loading the file must raise no warning.
 */
class LoggingConfigTest {

    private static final String BAD_POLICY = "apiVersion: trustline.io/v1\n"
            + "kind: Policy\n"
            + "metadata: {name: broken}\n"
            + "spec:\n"
            + "  service: backend\n"
            + "  rules:\n"
            + "    - name: typo\n"
            + "      action: perhaps\n";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureStderr() {
        originalErr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() throws Exception {
        System.setErr(originalErr);
        configure("logback-test.xml");
    }

    private static LoggerContext configure(String resource) throws Exception {
        final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        context.getStatusManager().clear();
        final JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LoggingConfigTest.class.getClassLoader().getResource(resource));
        return context;
    }

    private static void assertNoWarnings(LoggerContext context) {
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .as("logback status while loading the configuration")
                .allSatisfy(s -> assertThat(s.getLevel()).isLessThan(Status.WARN));
    }

    private String output() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** Starts a sidecar, breaks its policy directory and waits until the rejection is logged. */
    private void rejectAReload() throws Exception {
        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        try (Sidecar sidecar = Sidecar.start(
                TestMesh.config(dir, TestMesh.BACKEND, 1, "http", "", ""),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1))),
                Clock.systemUTC())) {
            Files.writeString(TestMesh.policyDir(dir, TestMesh.BACKEND).resolve("broken.yaml"), BAD_POLICY);
            await().atMost(Duration.ofSeconds(20)).until(() -> output().contains("policy reload rejected"));
        }
    }

    @Test
    void textLayoutShowsTheReloadErrorWithItsFileLineAndColumn() throws Exception {
        final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        context.getStatusManager().clear();
        LogConfigurator.configureText(context);
        assertNoWarnings(context);
        assertThat(context.getLogger("com.linecorp.armeria").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.micrometer").getLevel()).isEqualTo(Level.ERROR);
        rejectAReload();
        final String line = output().lines()
                .filter(l -> l.contains("policy reload rejected"))
                .findFirst()
                .orElseThrow();
        assertThat(line).containsPattern("broken\\.yaml:8:\\d+: ").contains("perhaps");
    }

    @Test
    void logbackFindsTheConfiguratorAndLeavesTheUsersOwnConfigurationToItsXmlReader() {
        assertThat(ServiceLoader.load(Configurator.class, LogConfigurator.class.getClassLoader()).stream()
                        .map(p -> p.type().getName()))
                .contains(LogConfigurator.class.getName());
        final ClassLoader empty = new URLClassLoader(new URL[0], null);
        assertThat(LogConfigurator.userConfigured(null, empty)).isFalse();
        assertThat(LogConfigurator.userConfigured("logback-json.xml", empty)).isTrue();
        // The test class path has a logback-test.xml, as a user's class path may have a logback.xml.
        assertThat(LogConfigurator.userConfigured(null, LoggingConfigTest.class.getClassLoader()))
                .isTrue();
        assertThat(new LogConfigurator().configure((LoggerContext) LoggerFactory.getILoggerFactory()))
                .isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
    }

    @Test
    void jsonLayoutCarriesEveryKeyValue() throws Exception {
        final LoggerContext context = configure("logback-json.xml");
        assertNoWarnings(context);
        rejectAReload();
        final JsonNode line = new ObjectMapper()
                .readTree(output().lines()
                        .filter(l -> l.contains("policy reload rejected"))
                        .findFirst()
                        .orElseThrow());
        assertThat(line.toString()).containsPattern("broken\\.yaml:8:\\d+: ").contains("perhaps");
        assertThat(line.get("level").asText()).isEqualTo("WARN");
    }
}
