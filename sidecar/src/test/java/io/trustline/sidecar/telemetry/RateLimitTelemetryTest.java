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

/** The limit that fired, enforced or in audit mode, is named on the span, in the access log and in the metrics. */
class RateLimitTelemetryTest {

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
                        + "  rateLimits:\n"
                        + "    - {name: one-per-hour, match: {paths: [\"/echo/limited*\"]}, key: principal,"
                        + " rate: 1/h}\n"
                        + "    - {name: audit-only, match: {paths: [\"/echo/audited*\"]}, key: principal,"
                        + " rate: 1/h, mode: audit}\n");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !mesh.backend.policies().version().equals(before));
        outbound = WebClient.of("http://127.0.0.1:" + mesh.frontend.outboundPort());
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
        collector.close();
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

    @Test
    void anEnforcedLimitIsNamedWhereItRefused() {
        // The bucket holds one call an hour: it refuses within the first calls (how many pass first is the rate
        // limiter's business, tested there).
        Call refused = null;
        for (int i = 0; i < 5 && refused == null; i++) {
            final Call c = call("/echo/limited");
            if (c.status() == HttpStatus.TOO_MANY_REQUESTS) {
                refused = c;
            }
        }
        assertThat(refused).isNotNull();
        final JsonNode line = logLine(refused.traceId());
        assertThat(line.get("rate_limit").asText()).isEqualTo("one-per-hour");
        assertThat(line.get("decision").asText()).isEqualTo("deny");
        assertThat(line.get("reason").asText()).isEqualTo("ratelimit.exceeded");
        assertThat(serverSpan(refused.traceId()).attributes())
                .containsEntry("trustline.ratelimit.name", "one-per-hour")
                .containsEntry("trustline.reason", "ratelimit.exceeded");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> PrometheusSamples.scrape(mesh.backend.adminPort())
                                .sum(
                                        "trustline_requests_total",
                                        "decision",
                                        "deny",
                                        "direction",
                                        "inbound",
                                        "reason",
                                        "ratelimit.exceeded",
                                        "response_code",
                                        "429")
                        >= 1);
    }

    @Test
    void anAuditModeLimitIsRecordedAsWouldDenyAndTheCallGoesThrough() {
        JsonNode flagged = null;
        String traceId = null;
        for (int i = 0; i < 5 && flagged == null; i++) {
            final Call c = call("/echo/audited");
            assertThat(c.status()).isEqualTo(HttpStatus.OK);
            final JsonNode line = logLine(c.traceId());
            if (line.get("audit_would_deny").asBoolean()) {
                flagged = line;
                traceId = c.traceId();
            }
        }
        assertThat(flagged).isNotNull();
        assertThat(flagged.get("status").asInt()).isEqualTo(200);
        assertThat(flagged.get("decision").asText()).isEqualTo("audit_deny");
        assertThat(flagged.get("audit_reason").asText()).isEqualTo("ratelimit.exceeded");
        assertThat(flagged.get("rate_limit").asText()).isEqualTo("audit-only");
        assertThat(serverSpan(traceId).attributes())
                .containsEntry("trustline.audit.would_deny", "true")
                .containsEntry("trustline.ratelimit.name", "audit-only");
    }
}
