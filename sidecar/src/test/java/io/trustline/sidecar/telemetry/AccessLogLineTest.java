package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessLogLineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static AccessLogLine.Call call(String path, Map<String, String> headers) {
        final long micros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2026-01-02T03:04:05.678901Z"));
        return new AccessLogLine.Call(
                micros,
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "00f067aa0ba902b7",
                "req-1",
                Direction.INBOUND,
                "spiffe://example.org/ns/shop/sa/frontend",
                null,
                "127.0.0.1",
                "POST",
                path,
                null,
                "h2",
                "1.3",
                null,
                403,
                "7",
                "deny",
                "authz.denied_by_rule",
                "orders-inbound",
                "block-admin",
                false,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                12,
                91,
                1_234_567,
                headers);
    }

    @Test
    void writesOneParseableJsonObjectWithEveryField() throws Exception {
        final StringBuilder sb = new StringBuilder();
        call("/admin", Map.of("user-agent", "curl/8")).appendJson(sb);
        assertThat(sb.toString()).doesNotContain("\n");
        final JsonNode line = JSON.readTree(sb.toString());
        assertThat(line.get("time").asText()).isEqualTo("2026-01-02T03:04:05.678Z");
        assertThat(line.get("duration_ms").asText()).isEqualTo("1.234");
        assertThat(line.get("status").asInt()).isEqualTo(403);
        assertThat(line.get("grpc_status").asText()).isEqualTo("7");
        assertThat(line.get("rule").asText()).isEqualTo("block-admin");
        assertThat(line.get("principal").isNull()).isTrue();
        assertThat(line.get("rate_limit").isNull()).isTrue();
        assertThat(line.get("headers").get("user-agent").asText()).isEqualTo("curl/8");
        assertThat(line.fieldNames())
                .toIterable()
                .contains(
                        "trace_id",
                        "span_id",
                        "request_id",
                        "direction",
                        "peer",
                        "method",
                        "path",
                        "decision",
                        "reason",
                        "policy",
                        "audit_would_deny",
                        "jwt_failure",
                        "bytes_in",
                        "bytes_out");
    }

    @Test
    void writesEveryFieldInItsPlaceByteForByte() {
        final long micros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2026-01-02T03:04:05.678901Z"));
        final StringBuilder sb = new StringBuilder();
        new AccessLogLine.Call(
                        micros,
                        "4bf92f3577b34da6a3ce929d0e0e4736",
                        "00f067aa0ba902b7",
                        "req-2",
                        Direction.OUTBOUND,
                        "spiffe://example.org/ns/shop/sa/orders",
                        "https://auth.example.org/alice",
                        "10.0.0.7",
                        "GET",
                        "/api/orders/1",
                        "token=REDACTED",
                        "h2c",
                        "1.3",
                        "orders",
                        200,
                        "0",
                        "audit_deny",
                        "ratelimit.penalty_box",
                        "orders-inbound",
                        "frontend-reads",
                        true,
                        "ratelimit.penalty_box",
                        "orders-audit",
                        "would-deny",
                        "penalty:principal",
                        "https://auth.example.org",
                        "exp passed",
                        "v1-orders",
                        12,
                        91,
                        1_234_567,
                        Map.of("user-agent", "curl/8"))
                .appendJson(sb);

        assertThat(sb.toString())
                .isEqualTo("{\"type\":\"access\",\"time\":\"2026-01-02T03:04:05.678Z\","
                        + "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"00f067aa0ba902b7\","
                        + "\"request_id\":\"req-2\",\"direction\":\"outbound\","
                        + "\"peer\":\"spiffe://example.org/ns/shop/sa/orders\","
                        + "\"principal\":\"https://auth.example.org/alice\",\"client_ip\":\"10.0.0.7\","
                        + "\"method\":\"GET\",\"path\":\"/api/orders/1\",\"query\":\"token=REDACTED\","
                        + "\"protocol\":\"h2c\",\"tls\":\"1.3\",\"route\":\"orders\",\"status\":200,"
                        + "\"grpc_status\":\"0\",\"decision\":\"audit_deny\",\"reason\":\"ratelimit.penalty_box\","
                        + "\"policy\":\"orders-inbound\",\"rule\":\"frontend-reads\",\"audit_would_deny\":true,"
                        + "\"audit_reason\":\"ratelimit.penalty_box\",\"audit_policy\":\"orders-audit\","
                        + "\"audit_rule\":\"would-deny\",\"rate_limit\":\"penalty:principal\","
                        + "\"jwt_issuer\":\"https://auth.example.org\",\"jwt_failure\":\"exp passed\","
                        + "\"deprecation\":\"v1-orders\",\"bytes_in\":12,\"bytes_out\":91,\"duration_ms\":1.234,"
                        + "\"headers\":{\"user-agent\":\"curl/8\"}}");
    }

    @Test
    void escapesWhatCouldBreakTheLine() throws Exception {
        final StringBuilder sb = new StringBuilder();
        call("/a\"b\\c\nd\u0001\u2028", Map.of("x-\"h", "v\r\n")).appendJson(sb);
        assertThat(sb.toString()).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u2028");
        final JsonNode line = JSON.readTree(sb.toString());
        assertThat(line.get("path").asText()).isEqualTo("/a\"b\\c\nd\u0001\u2028");
        assertThat(line.get("headers").get("x-\"h").asText()).isEqualTo("v\r\n");
    }
}
