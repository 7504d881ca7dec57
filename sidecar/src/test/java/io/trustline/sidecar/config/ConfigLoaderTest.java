package io.trustline.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.config.SidecarConfig.AppProtocol;
import io.trustline.sidecar.config.SidecarConfig.MtlsMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private static final Path FILE = Path.of("/etc/trustline/sidecar.yaml");

    private static final String VALID = String.join(
            "\n",
            "service: orders",
            "namespace: shop",
            "trustDomain: example.org",
            "identity: {ca: 127.0.0.1:15012, caBundle: ./bundle.pem, joinTokenFile: ./orders.token, certTtl: 30m}",
            "inbound:",
            "  listen: 0.0.0.0:15006",
            "  app: 127.0.0.1:8080",
            "  appProtocol: h2c",
            "  mtls: strict",
            "outbound:",
            "  routes:",
            "    inventory: {address: 10.0.0.7:15006, identity: spiffe://example.org/ns/shop/sa/inventory}",
            "policy: {dir: ./policies}",
            "");

    private static SidecarConfig parse(String yaml) throws ConfigException {
        return new ConfigLoader(Map.of("APP_PORT", "9090")::get).parse(FILE, yaml);
    }

    private static String error(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            assertThat(e.errors()).isNotEmpty();
            return e.errors().get(0);
        }
        throw new AssertionError("expected a config error");
    }

    @Test
    void readsACompleteConfigWithDefaultsFilledIn() throws Exception {
        final SidecarConfig c = parse(VALID);
        assertThat(c.spiffeId()).isEqualTo(SpiffeId.parse("spiffe://example.org/ns/shop/sa/orders"));
        assertThat(c.identity().certTtl()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.identity().caBundle()).isEqualTo(Path.of("/etc/trustline/bundle.pem"));
        assertThat(c.inbound().appProtocol()).isEqualTo(AppProtocol.H2C);
        assertThat(c.inbound().mtls()).isEqualTo(MtlsMode.STRICT);
        assertThat(c.inbound().limits().maxRequestBodyBytes()).isZero();
        assertThat(c.inbound().limits().requestTimeout()).isEqualTo(Duration.ZERO);
        assertThat(c.outbound().listen()).isEqualTo(HostPort.parse("127.0.0.1:15001"));
        assertThat(c.outbound().routes().get("inventory").identity())
                .isEqualTo(SpiffeId.parse("spiffe://example.org/ns/shop/sa/inventory"));
        assertThat(c.admin().listen()).isEqualTo(HostPort.parse("127.0.0.1:15000"));
        assertThat(c.policy().dir()).isEqualTo(Path.of("/etc/trustline/policies"));
    }

    @Test
    void substitutesEnvironmentVariablesWithDefaults() throws Exception {
        final SidecarConfig c = parse(VALID.replace("127.0.0.1:8080", "127.0.0.1:${APP_PORT}")
                .replace("0.0.0.0:15006", "${LISTEN:-0.0.0.0:16006}"));
        assertThat(c.inbound().app().port()).isEqualTo(9090);
        assertThat(c.inbound().listen().port()).isEqualTo(16006);
    }

    @Test
    void unsetEnvironmentVariableIsAnErrorAtItsPlace() {
        assertThat(error(VALID.replace("127.0.0.1:8080", "127.0.0.1:${NOPE}")))
                .isEqualTo("/etc/trustline/sidecar.yaml:7:18: environment variable NOPE is not set "
                        + "(write ${NOPE:-default} for a default)");
    }

    @Test
    void unknownFieldNamesFileLineColumnAndTheKnownFields() {
        assertThat(error(VALID.replace("  mtls: strict", "  mtsl: strict")))
                .isEqualTo("/etc/trustline/sidecar.yaml:9:3: unknown field 'mtsl' in inbound (did you mean 'mtls'?)");
    }

    @Test
    void badAddressIsReportedWhereItIs() {
        assertThat(error(VALID.replace("app: 127.0.0.1:8080", "app: localhost")))
                .isEqualTo("/etc/trustline/sidecar.yaml:7:8: inbound.app: 'localhost' " + "(expected: host:port)");
    }

    @Test
    void hygieneDefaultsAreTheSafeOnes() throws Exception {
        final HygieneConfig h = parse(VALID).inbound().hygiene();
        assertThat(h.pathParameters()).isEqualTo(io.trustline.policy.path.PathParameters.REJECT);
        assertThat(h.headersWithUnderscores()).isEqualTo(HygieneConfig.UnderscoreHeaders.DROP);
        assertThat(h.removeHeaders()).contains("x-spiffe-id", "x-forwarded-user", "x-jwt-payload");
    }

    @Test
    void badHygieneValuesNameFileLineAndColumn() {
        assertThat(error(VALID.replace("  mtls: strict", "  mtls: strict\n  hygiene: {pathParameters: keep}")))
                .startsWith("/etc/trustline/sidecar.yaml:10:")
                .endsWith("'keep' (expected: reject, strip)");
        assertThat(error(VALID.replace(
                        "  mtls: strict", "  mtls: strict\n  hygiene: {headersWithUnderscores: sometimes}")))
                .startsWith("/etc/trustline/sidecar.yaml:10:")
                .endsWith("'sometimes' (expected: allow, drop, reject)");
    }

    @Test
    void badEnumValueListsTheChoices() {
        assertThat(error(VALID.replace("mtls: strict", "mtls: strictly")))
                .startsWith("/etc/trustline/sidecar.yaml:9:9: ")
                .endsWith("'strictly' (expected: strict, permissive)");
    }

    @Test
    void wrongTypeIsReported() {
        assertThat(error(VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {maxHeaderBytes: [1]}")))
                .startsWith("/etc/trustline/sidecar.yaml:10:")
                .contains("maxHeaderBytes");
    }

    @Test
    void badDurationIsReported() {
        assertThat(error(VALID.replace("certTtl: 30m", "certTtl: 30 minutes")))
                .startsWith("/etc/trustline/sidecar.yaml:4:")
                .contains("'30 minutes': missing unit after 30 (expected: ms, s, m, h, d, or ISO-8601 like PT30S)");
    }

    @Test
    void durationsTakeCompoundAndIsoSpellings() throws Exception {
        assertThat(parse(VALID.replace("certTtl: 30m", "certTtl: 1h30m"))
                        .identity()
                        .certTtl())
                .isEqualTo(Duration.ofMinutes(90));
        assertThat(parse(VALID.replace("certTtl: 30m", "certTtl: PT45M"))
                        .identity()
                        .certTtl())
                .isEqualTo(Duration.ofMinutes(45));
        assertThat(error(VALID.replace("certTtl: 30m", "certTtl: 30x")))
                .startsWith("/etc/trustline/sidecar.yaml:4:")
                .contains("'30x': unknown unit 'x' (expected: ms, s, m, h, d, or ISO-8601 like PT30S)");
    }

    @Test
    void badSpiffeIdInARouteIsReported() {
        assertThat(error(VALID.replace("spiffe://example.org/ns/shop/sa/inventory", "https://inventory")))
                .startsWith("/etc/trustline/sidecar.yaml:12:")
                .contains("outbound.routes.inventory.identity");
    }

    @Test
    void routeServicePortIsOptionalAndOutOfRangeIsReportedWhereItIs() throws Exception {
        assertThat(parse(VALID).outbound().routes().get("inventory").servicePort())
                .isNull();
        final String withPort =
                VALID.replace("identity: spiffe://example.org/ns/shop/sa/inventory}", "identity: %s, servicePort: %s}");
        assertThat(parse(withPort.formatted("spiffe://example.org/ns/shop/sa/inventory", "8080"))
                        .outbound()
                        .routes()
                        .get("inventory")
                        .servicePort())
                .isEqualTo(8080);
        assertThat(error(withPort.formatted("spiffe://example.org/ns/shop/sa/inventory", "0")))
                .startsWith("/etc/trustline/sidecar.yaml:12:")
                .contains("servicePort: 0 (expected: 1-65535)");
    }

    @Test
    void missingRequiredFieldIsReported() {
        assertThat(error(VALID.replace("  app: 127.0.0.1:8080\n", "")))
                .startsWith("/etc/trustline/sidecar.yaml:")
                .contains("missing required field 'inbound.app'");
    }

    @Test
    void outboundListenerMustStayOnLoopback() {
        assertThat(error(VALID.replace("outbound:\n", "outbound:\n  listen: 0.0.0.0:15001\n")))
                .contains("outbound.listen: 0.0.0.0:15001 (expected: a loopback address");
    }

    @Test
    void outboundListenerOnAHostThatMerelyStartsWith127IsRefused() {
        // Judged by resolved address, not by text: this name is not loopback (and here does not even resolve).
        assertThat(error(VALID.replace("outbound:\n", "outbound:\n  listen: 127.foo.example:15001\n")))
                .startsWith("/etc/trustline/sidecar.yaml:")
                .contains("outbound.listen: 127.foo.example:15001 (expected: a loopback address");
    }

    @Test
    void adminOnAHostThatMerelyStartsWith127NeedsTheExplicitSetting() {
        assertThat(error(VALID + "admin: {listen: 127.foo.example:15000}\n")).contains("admin.allowNonLoopback");
    }

    @Test
    void loopbackNamesAndAddressesAreAcceptedAfterResolution() throws Exception {
        assertThat(parse(VALID.replace("outbound:\n", "outbound:\n  listen: localhost:15001\n"))
                        .outbound()
                        .listen()
                        .isLoopback())
                .isTrue();
        assertThat(parse(VALID + "admin: {listen: \"[::1]:15000\"}\n")
                        .admin()
                        .listen()
                        .isLoopback())
                .isTrue();
        assertThat(parse(VALID + "admin: {listen: 127.0.0.2:15000}\n")
                        .admin()
                        .listen()
                        .isLoopback())
                .isTrue();
    }

    @Test
    void slowClientDeadlinesDefaultToSafeValuesAndCannotBeSwitchedOff() throws Exception {
        final SidecarConfig config = parse(VALID);
        assertThat(config.inbound().limits().slowClients()).isEqualTo(SlowClientLimits.DEFAULT);
        assertThat(config.inbound().limits().slowClients().headersTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.inbound().limits().maxConnections()).isEqualTo(10_000);
        assertThat(error(VALID.replace(
                        "  mtls: strict\n", "  mtls: strict\n  limits:\n    slowClients: {headersTimeout: 0}\n")))
                .startsWith("/etc/trustline/sidecar.yaml:")
                .contains("headersTimeout: 0 (expected: > 0)");
    }

    @Test
    void adminOnANonLoopbackAddressNeedsAnExplicitSetting() throws Exception {
        assertThat(error(VALID + "admin: {listen: 0.0.0.0:15000}\n")).contains("admin.allowNonLoopback");
        assertThat(parse(VALID + "admin: {listen: 0.0.0.0:15000, allowNonLoopback: true}\n")
                        .admin()
                        .listen()
                        .host())
                .isEqualTo("0.0.0.0");
    }

    @Test
    void probeListenerMayFaceTheNetworkButNeverShareTheInboundPort() throws Exception {
        assertThat(parse(VALID + "admin: {listen: 127.0.0.1:15000, probeListen: 0.0.0.0:15020}\n")
                        .admin()
                        .probeListen())
                .hasToString("0.0.0.0:15020");
        assertThat(parse(VALID).admin().probeListen()).isNull();
        assertThat(error(VALID + "admin: {probeListen: 0.0.0.0:15006}\n"))
                .matches("\\S*sidecar\\.yaml:\\d+:\\d+: .*")
                .contains("admin.probeListen: 0.0.0.0:15006 (expected: another port than inbound.listen)");
    }

    @Test
    void identityMustComeFromExactlyOneSource() {
        assertThat(error(VALID.replace("certTtl: 30m", "certTtl: 30m, certFile: c.pem")))
                .contains("identity: set either ca, caBundle and joinTokenFile");
    }

    @Test
    void emptyFileIsAnError() {
        assertThatThrownBy(() -> parse("")).isInstanceOf(ConfigException.class);
    }

    @Test
    void telemetryAndAccessLogHaveDefaults() throws Exception {
        final SidecarConfig c = parse(VALID);
        assertThat(c.telemetry().tracing().enabled()).isTrue();
        assertThat(c.telemetry().tracing().endpoint()).isNull();
        assertThat(c.telemetry().tracing().maxQueueSize()).isEqualTo(2048);
        assertThat(c.telemetry().metrics().peerIdentityTag()).isFalse();
        assertThat(c.accessLog().sink()).isEqualTo(SidecarConfig.AccessLogSink.STDOUT);
        assertThat(c.accessLog().headers()).isEmpty();
        assertThat(c.accessLog().query()).isFalse();
        assertThat(c.accessLog().queueSize()).isEqualTo(8192);
        assertThat(c.accessLog().securityEvents().threshold()).isEqualTo(20);
        assertThat(c.accessLog().securityEvents().window()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void readsTelemetryAndAccessLogSections() throws Exception {
        final SidecarConfig c = parse(VALID
                + "telemetry:\n"
                + "  tracing: {endpoint: http://jaeger:4318, protocol: http/protobuf, maxQueueSize: 512,\n"
                + "            properties: {otel.traces.sampler: parentbased_traceidratio}}\n"
                + "  metrics: {peerIdentityTag: true}\n"
                + "accessLog:\n"
                + "  file: logs/access.log\n"
                + "  headers: [User-Agent]\n"
                + "  sensitiveHeaders: [X-Tenant-Key]\n"
                + "  securityEvents: {threshold: 5, window: 30s}\n");
        assertThat(c.telemetry().tracing().protocol()).isEqualTo(SidecarConfig.OtlpProtocol.HTTP_PROTOBUF);
        assertThat(c.telemetry().tracing().properties())
                .containsEntry("otel.traces.sampler", "parentbased_traceidratio");
        assertThat(c.telemetry().metrics().peerIdentityTag()).isTrue();
        assertThat(c.accessLog().sink()).isEqualTo(SidecarConfig.AccessLogSink.FILE);
        assertThat(c.accessLog().file()).isEqualTo(Path.of("/etc/trustline/logs/access.log"));
        assertThat(c.accessLog().headers()).containsExactly("user-agent");
        assertThat(c.accessLog().sensitiveHeaders()).containsExactly("x-tenant-key");
        assertThat(c.accessLog().securityEvents().window()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void accessLogFileSinkNeedsAFile() {
        assertThat(error(VALID + "accessLog: {sink: file}\n")).contains("accessLog: sink file needs accessLog.file");
        assertThat(error(VALID + "accessLog: {sink: off, file: a.log}\n")).contains("only with sink: file");
        assertThat(error(VALID + "accessLog: {sink: syslog}\n")).contains("expected: stdout, file, off");
    }

    @Test
    void tracingSettingsAreValidated() {
        assertThat(error(VALID + "telemetry: {tracing: {endpoint: jaeger:4317}}\n"))
                .contains("endpoint: 'jaeger:4317' (expected: an http:// or https:// URL)");
        assertThat(error(VALID + "telemetry: {tracing: {protocol: thrift}}\n"))
                .contains("expected: grpc, http/protobuf");
        assertThat(error(VALID + "telemetry: {tracing: {properties: {sampler: x}}}\n"))
                .contains("(expected: an OpenTelemetry SDK property, otel.*)");
        assertThat(error(VALID + "telemetry: {tracing: {maxQueueSize: 0}}\n")).contains("maxQueueSize: 0");
    }

    @Test
    void securityEventWindowMustBePositive() {
        assertThat(error(VALID + "accessLog: {securityEvents: {window: 0}}\n")).contains("window: 0");
    }

    @Test
    void theReplayStoreSizeHasADefaultAndMustBePositive() throws Exception {
        assertThat(parse(VALID).jwt().replayStoreSize()).isEqualTo(JwtConfig.DEFAULT_REPLAY_STORE_SIZE);
        assertThat(parse(VALID + "jwt: {replayStoreSize: 100}\n").jwt().replayStoreSize())
                .isEqualTo(100);
        assertThat(error(VALID + "jwt: {replayStoreSize: 0}\n"))
                .startsWith(FILE + ":14:")
                .contains("replayStoreSize: 0 (expected: >= 1)");
    }

    @Test
    void theEventLoopCountIsOneByDefaultAndBounded() throws Exception {
        assertThat(parse(VALID).eventLoops()).isEqualTo(1);
        assertThat(parse(VALID + "eventLoops: 4\n").eventLoops()).isEqualTo(4);
        assertThat(error(VALID + "eventLoops: 0\n"))
                .startsWith(FILE + ":14:13: ")
                .contains("eventLoops: 0 (expected: 1 to 256)");
        assertThat(error(VALID + "eventLoops: 257\n")).contains("eventLoops: 257 (expected: 1 to 256)");
        assertThat(error(VALID + "eventLoops: -1\n")).contains("eventLoops: -1");
        assertThat(error(VALID + "eventLoops: two\n"))
                .startsWith(FILE + ":14:13: ")
                .contains("eventLoops");
        assertThat(error(VALID + "eventLoops: \"2\"\n")).contains("without quotes");
    }

    @Test
    void adminPortNeverSharesTheInboundPort() {
        assertThat(error(VALID + "admin: {listen: 127.0.0.1:15006}\n"))
                .contains("expected: another port than inbound.listen");
    }

    @Test
    void connectionsToTheAppIdleForFourSecondsByDefaultWhateverTheListenersIdleTimeout() throws Exception {
        assertThat(parse(VALID).inbound().appIdleTimeout()).isEqualTo(Duration.ofSeconds(4));
        final SidecarConfig c = parse(VALID.replace(
                "  mtls: strict", "  appIdleTimeout: 1500ms\n  mtls: strict\n  limits: {idleTimeout: 10m}"));
        assertThat(c.inbound().appIdleTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.inbound().limits().idleTimeout()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void anAppIdleTimeoutOfZeroIsReportedAtItsValue() {
        // 0 would keep idle connections until the app closes them: the race the key is there to avoid.
        assertThat(error(VALID.replace("  mtls: strict", "  appIdleTimeout: 0\n  mtls: strict")))
                .isEqualTo("/etc/trustline/sidecar.yaml:9:19: inbound.appIdleTimeout: 0 (expected: > 0 and below the"
                        + " app's keep-alive timeout)");
    }

    @Test
    void overloadProtectionIsOnByDefaultWithABoundedQueue() throws Exception {
        final SidecarConfig.Limits limits = parse(VALID).inbound().limits();
        assertThat(limits.maxConcurrentRequests()).isEqualTo(10_000);
        assertThat(limits.maxPendingRequests()).isEqualTo(1_000);
        assertThat(limits.pendingTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(parse(VALID).outbound().limits().maxConcurrentRequests()).isEqualTo(10_000);
    }

    @Test
    void overloadLimitsAreRead() throws Exception {
        final SidecarConfig.Limits limits = parse(
                        VALID.replace(
                                "  mtls: strict",
                                "  mtls: strict\n  limits: {maxConcurrentRequests: 64, maxPendingRequests: 0, pendingTimeout: 250ms}"))
                .inbound()
                .limits();
        assertThat(limits.maxConcurrentRequests()).isEqualTo(64);
        assertThat(limits.maxPendingRequests()).isZero();
        assertThat(limits.pendingTimeout()).isEqualTo(Duration.ofMillis(250));
        // 0 switches the limit off, and then nothing can wait.
        final SidecarConfig.Limits off = parse(
                        VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {maxConcurrentRequests: 0}"))
                .inbound()
                .limits();
        assertThat(off.maxConcurrentRequests()).isZero();
        assertThat(off.maxPendingRequests()).isZero();
    }

    @Test
    void badOverloadLimitsAreReportedWithWhatIsExpected() {
        assertThat(error(VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {maxConcurrentRequests: -1}")))
                .startsWith("/etc/trustline/sidecar.yaml:10:")
                .contains("maxConcurrentRequests: -1 (expected: >= 0; 0 = no limit)");
        assertThat(error(VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {maxPendingRequests: -5}")))
                .contains("maxPendingRequests: -5 (expected: >= 0; 0 = refuse at once)");
        assertThat(error(VALID.replace(
                        "  mtls: strict",
                        "  mtls: strict\n  limits: {maxConcurrentRequests: 0, maxPendingRequests: 10}")))
                .contains("maxPendingRequests: 10 (expected: 0 or absent when maxConcurrentRequests is 0");
        assertThat(error(VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {pendingTimeout: 0}")))
                .contains("pendingTimeout: 0 (expected: > 0; a waiting request is refused after it)");
    }
}
