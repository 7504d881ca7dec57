package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.policy.model.Mode;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.JwtReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the outcome a stage leaves on a request turns into the metric tags and the access-log line. */
class TelemetryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Telemetry telemetry;

    @BeforeEach
    void start() throws Exception {
        telemetry = Telemetry.create(
                new ConfigLoader()
                        .parse(
                                dir.resolve("sidecar.yaml"),
                                "service: orders\nnamespace: shop\ntrustDomain: example.org\n"
                                        + "identity: {certFile: c.pem, keyFile: k.pem, bundleFile: b.pem}\n"
                                        + "inbound: {app: 127.0.0.1:8080}\n"
                                        + "accessLog: {file: access.log}\n"),
                Tracing.disabled(),
                meters,
                Ticker.systemTicker());
    }

    @AfterEach
    void stop() {
        telemetry.close();
    }

    /** Runs a finished request through {@link Telemetry#complete} and returns its access-log line. */
    private JsonNode complete(ServiceRequestContext ctx, HttpStatus status) throws Exception {
        ctx.logBuilder().endRequest();
        ctx.logBuilder().responseHeaders(ResponseHeaders.of(status));
        ctx.logBuilder().endResponse();
        telemetry.complete(Direction.INBOUND, ctx, ctx.log().whenComplete().join(), null);
        final Path log = dir.resolve("access.log");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> Files.exists(log) && !Files.readAllLines(log).isEmpty());
        final List<String> lines = Files.readAllLines(log);
        return JSON.readTree(lines.get(lines.size() - 1));
    }

    private static ServiceRequestContext request() {
        return ServiceRequestContext.of(HttpRequest.of(RequestHeaders.of(HttpMethod.GET, "/api/orders?id=1")));
    }

    private double requests(String decision, String reason) {
        final var counter = meters.find(MetricNames.REQUESTS)
                .tag(MetricNames.DECISION, decision)
                .tag(MetricNames.REASON, reason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void anInvalidTokenIsADenialWithItsIssuerAndWhatFailed() throws Exception {
        final ServiceRequestContext ctx = request();
        ctx.setAttr(
                JwtFailure.ATTR,
                new JwtFailure(
                        JwtReason.BAD_SIGNATURE, "https://auth.example.org", "signature check failed", Mode.ENFORCE));
        ctx.setAttr(Refusals.REFUSAL, Refusal.of(RefusalKind.UNAUTHENTICATED, ReasonCode.JWT_BAD_SIGNATURE));
        final JsonNode line = complete(ctx, HttpStatus.UNAUTHORIZED);
        assertThat(line.get("decision").asText()).isEqualTo("deny");
        assertThat(line.get("reason").asText()).isEqualTo("jwt.bad_signature");
        assertThat(line.get("jwt_issuer").asText()).isEqualTo("https://auth.example.org");
        assertThat(line.get("jwt_failure").asText()).isEqualTo("signature check failed");
        assertThat(line.get("path").asText()).isEqualTo("/api/orders");
        assertThat(line.get("audit_would_deny").asBoolean()).isFalse();
        assertThat(requests("deny", "jwt.bad_signature")).isEqualTo(1);
    }

    @Test
    void anAuditModeTokenFailureLetsTheCallThroughAsAuditDeny() throws Exception {
        final ServiceRequestContext ctx = request();
        ctx.setAttr(
                JwtFailure.ATTR,
                new JwtFailure(JwtReason.MISSING, null, "no token, and an issuer says required: true", Mode.AUDIT));
        final JsonNode line = complete(ctx, HttpStatus.OK);
        assertThat(line.get("decision").asText()).isEqualTo("audit_deny");
        assertThat(line.get("audit_would_deny").asBoolean()).isTrue();
        assertThat(line.get("audit_reason").asText()).isEqualTo("jwt.missing");
        assertThat(requests("audit_deny", "jwt.missing")).isEqualTo(1);
    }

    @Test
    void aFailureOnTheWayIsAnErrorNotADenial() throws Exception {
        final ServiceRequestContext ctx = request();
        ctx.setAttr(Refusals.REFUSAL, Refusal.of(RefusalKind.UPSTREAM_UNAVAILABLE, ReasonCode.UPSTREAM_CONNECT_FAILED));
        final JsonNode line = complete(ctx, HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(line.get("decision").asText()).isEqualTo("error");
        assertThat(line.get("status").asInt()).isEqualTo(503);
        assertThat(requests("error", "upstream.connect_failed")).isEqualTo(1);
    }

    @Test
    void spanNamesAreTheGrpcMethodOrTheHttpMethod() {
        assertThat(Telemetry.spanName("/shop.v1.Orders/Get", "POST", true)).isEqualTo("shop.v1.Orders/Get");
        assertThat(Telemetry.spanName("/api/orders/42", "GET", false)).isEqualTo("GET");
    }
}
