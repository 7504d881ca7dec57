package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        return AccessLogLine.Call.builder()
                .epochMicros(micros)
                .traceId("4bf92f3577b34da6a3ce929d0e0e4736")
                .spanId("00f067aa0ba902b7")
                .requestId("req-1")
                .direction(Direction.INBOUND)
                .peer("spiffe://example.org/ns/shop/sa/frontend")
                .clientIp("127.0.0.1")
                .method("POST")
                .path(path)
                .protocol("h2")
                .tlsVersion("1.3")
                .status(403)
                .grpcStatus("7")
                .decision("deny")
                .reason("authz.denied_by_rule")
                .policy("orders-inbound")
                .rule("block-admin")
                .bytesIn(12)
                .bytesOut(91)
                .durationNanos(1_234_567)
                .headers(headers)
                .build();
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
        AccessLogLine.Call.builder()
                .epochMicros(micros)
                .traceId("4bf92f3577b34da6a3ce929d0e0e4736")
                .spanId("00f067aa0ba902b7")
                .requestId("req-2")
                .direction(Direction.OUTBOUND)
                .peer("spiffe://example.org/ns/shop/sa/orders")
                .principal("https://auth.example.org/alice")
                .clientIp("10.0.0.7")
                .method("GET")
                .path("/api/orders/1")
                .query("token=REDACTED")
                .protocol("h2c")
                .tlsVersion("1.3")
                .route("orders")
                .upstream("10.0.0.8:15006")
                .status(200)
                .grpcStatus("0")
                .decision("audit_deny")
                .reason("ratelimit.penalty_box")
                .policy("orders-inbound")
                .rule("frontend-reads")
                .auditWouldDeny(true)
                .auditReason("ratelimit.penalty_box")
                .auditPolicy("orders-audit")
                .auditRule("would-deny")
                .rateLimit("penalty:principal")
                .jwtIssuer("https://auth.example.org")
                .jwtFailure("exp passed")
                .deprecation("v1-orders")
                .bytesIn(12)
                .bytesOut(91)
                .durationNanos(1_234_567)
                .headers(Map.of("user-agent", "curl/8"))
                .build()
                .appendJson(sb);

        assertThat(sb.toString())
                .isEqualTo("{\"type\":\"access\",\"time\":\"2026-01-02T03:04:05.678Z\","
                        + "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"00f067aa0ba902b7\","
                        + "\"request_id\":\"req-2\",\"direction\":\"outbound\","
                        + "\"peer\":\"spiffe://example.org/ns/shop/sa/orders\","
                        + "\"principal\":\"https://auth.example.org/alice\",\"client_ip\":\"10.0.0.7\","
                        + "\"method\":\"GET\",\"path\":\"/api/orders/1\",\"query\":\"token=REDACTED\","
                        + "\"protocol\":\"h2c\",\"tls\":\"1.3\",\"route\":\"orders\",\"upstream\":\"10.0.0.8:15006\","
                        + "\"status\":200,"
                        + "\"grpc_status\":\"0\",\"decision\":\"audit_deny\",\"reason\":\"ratelimit.penalty_box\","
                        + "\"policy\":\"orders-inbound\",\"rule\":\"frontend-reads\",\"audit_would_deny\":true,"
                        + "\"audit_reason\":\"ratelimit.penalty_box\",\"audit_policy\":\"orders-audit\","
                        + "\"audit_rule\":\"would-deny\",\"rate_limit\":\"penalty:principal\","
                        + "\"jwt_issuer\":\"https://auth.example.org\",\"jwt_failure\":\"exp passed\","
                        + "\"deprecation\":\"v1-orders\",\"bytes_in\":12,\"bytes_out\":91,\"duration_ms\":1.234,"
                        + "\"headers\":{\"user-agent\":\"curl/8\"}}");
    }

    @Test
    void writesEveryUnsetFieldAsNullSoEveryLineHasOneSchema() {
        final StringBuilder sb = new StringBuilder();
        AccessLogLine.Call.builder()
                .epochMicros(0)
                .requestId("req-3")
                .direction(Direction.INBOUND)
                .clientIp("unknown")
                .method("GET")
                .path("")
                .protocol("unknown")
                .status(431)
                .decision("error")
                .reason("request.headers_too_large")
                .build()
                .appendJson(sb);

        assertThat(sb.toString())
                .isEqualTo("{\"type\":\"access\",\"time\":\"1970-01-01T00:00:00Z\",\"trace_id\":null,\"span_id\":null,"
                        + "\"request_id\":\"req-3\",\"direction\":\"inbound\",\"peer\":null,\"principal\":null,"
                        + "\"client_ip\":\"unknown\",\"method\":\"GET\",\"path\":\"\",\"query\":null,"
                        + "\"protocol\":\"unknown\",\"tls\":null,\"route\":null,\"upstream\":null,"
                        + "\"status\":431,\"grpc_status\":null,"
                        + "\"decision\":\"error\",\"reason\":\"request.headers_too_large\",\"policy\":null,\"rule\":null,"
                        + "\"audit_would_deny\":false,\"audit_reason\":null,\"audit_policy\":null,\"audit_rule\":null,"
                        + "\"rate_limit\":null,\"jwt_issuer\":null,\"jwt_failure\":null,\"deprecation\":null,"
                        + "\"bytes_in\":0,\"bytes_out\":0,\"duration_ms\":0.000,\"headers\":null}");
    }

    @Test
    void refusesToBuildALineWithoutItsRequiredFields() {
        assertThatThrownBy(() -> AccessLogLine.Call.builder()
                        .requestId("req-4")
                        .direction(Direction.INBOUND)
                        .build())
                .isInstanceOf(NullPointerException.class)
                .hasMessage("clientIp");
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
