package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An audit-mode penalty box that would have refused a call is named like a limit ({@code penalty:<key>}) and gives
 * its own reason code, {@code ratelimit.penalty_box}, in the access log, on the span and in the metrics.
 */
class PenaltyBoxTelemetryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static OtlpReceiver collector;
    static TestMesh mesh;
    static WebClient outbound;

    @BeforeAll
    static void start() throws Exception {
        collector = new OtlpReceiver();
        mesh = TestMesh.start(
                dir,
                "",
                "telemetry: {tracing: {endpoint: \"" + collector.grpcEndpoint()
                        + "\", properties: {otel.bsp.schedule.delay: \"50\"}}}\n"
                        + "accessLog: {file: access.log}\n");
        final String before = mesh.backend.policies().version();
        Files.writeString(
                dir.resolve("backend/policies/inbound.yaml"),
                TestMesh.policy("backend")
                        + "  penalty: {key: principal, failures: [authz], threshold: 2, window: 1h, duration: 1h,"
                        + " mode: audit}\n");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !mesh.backend.policies().version().equals(before));
        outbound = WebClient.of("http://127.0.0.1:" + mesh.frontend.outboundPort());
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
        collector.close();
    }

    @Test
    void anAuditModePenaltyBoxIsRecordedAsWouldDenyWithItsOwnReasonAndTheCallGoesThrough() {
        assertThat(call("/echo/admin").status()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(call("/echo/admin").status()).isEqualTo(HttpStatus.FORBIDDEN);

        // The failures are counted once each response is complete, so the box may close a moment after the 403s.
        final Call[] boxed = new Call[1];
        final JsonNode[] flagged = new JsonNode[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            final Call c = call("/echo/boxed");
            assertThat(c.status()).isEqualTo(HttpStatus.OK);
            boxed[0] = c;
            flagged[0] = logLine(c.traceId());
            return flagged[0].get("audit_would_deny").asBoolean();
        });

        final JsonNode line = flagged[0];
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("decision").asText()).isEqualTo("audit_deny");
        assertThat(line.get("reason").asText()).isEqualTo("ratelimit.penalty_box");
        assertThat(line.get("audit_would_deny").asBoolean()).isTrue();
        assertThat(line.get("audit_reason").asText()).isEqualTo("ratelimit.penalty_box");
        assertThat(line.get("rate_limit").asText()).isEqualTo("penalty:principal");
        assertThat(serverSpan(boxed[0].traceId()).attributes())
                .containsEntry("trustline.decision", "audit_deny")
                .containsEntry("trustline.reason", "ratelimit.penalty_box")
                .containsEntry("trustline.audit.would_deny", "true")
                .containsEntry("trustline.audit.reason", "ratelimit.penalty_box")
                .containsEntry("trustline.ratelimit.name", "penalty:principal");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            final PrometheusSamples samples = PrometheusSamples.scrape(mesh.backend.adminPort());
            assertThat(samples.sum(
                            "trustline_requests_total",
                            "decision",
                            "audit_deny",
                            "direction",
                            "inbound",
                            "reason",
                            "ratelimit.penalty_box",
                            "response_code",
                            "200"))
                    .isGreaterThanOrEqualTo(1);
            assertThat(samples.sum("trustline_ratelimit_refusals_total", "limit", "penalty:principal", "mode", "audit"))
                    .isGreaterThanOrEqualTo(1);
        });
    }

    private record Call(String traceId, HttpStatus status) {}

    private static Call call(String path) {
        final String traceId = HexFormat.of().formatHex(randomBytes(16));
        final HttpStatus status = outbound.execute(RequestHeaders.builder(HttpMethod.GET, path)
                        .authority("backend")
                        .add(
                                "traceparent",
                                "00-" + traceId + '-' + HexFormat.of().formatHex(randomBytes(8)) + "-01")
                        .build())
                .aggregate()
                .join()
                .status();
        return new Call(traceId, status);
    }

    private static byte[] randomBytes(int n) {
        final byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private static JsonNode logLine(String traceId) {
        final Path log = dir.resolve("backend/access.log");
        final JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            if (!Files.exists(log)) {
                return false;
            }
            for (String s : Files.readAllLines(log)) {
                final JsonNode line = JSON.readTree(s);
                if (traceId.equals(line.path("trace_id").asText())) {
                    found[0] = line;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static OtlpReceiver.ReceivedSpan serverSpan(String traceId) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> collector.spansOfTrace(traceId).stream()
                        .anyMatch(s -> s.service().equals("backend")));
        final List<OtlpReceiver.ReceivedSpan> spans = collector.spansOfTrace(traceId);
        return spans.stream()
                .filter(s -> s.service().equals("backend"))
                .findFirst()
                .orElseThrow();
    }
}
