package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import io.opentelemetry.semconv.ClientAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.NetworkAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.ServiceAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import io.opentelemetry.semconv.UserAgentAttributes;
import io.opentelemetry.semconv.incubating.RpcIncubatingAttributes;
import io.opentelemetry.semconv.incubating.ServiceIncubatingAttributes;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.telemetry.OtlpReceiver.ReceivedSpan;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The observability of a real two-hop call: app A (this test) -> frontend sidecar (outbound) -> mTLS -> backend
 * sidecar (inbound) -> app B. Spans go over OTLP/gRPC to an in-test collector speaking the real protocol; the access
 * logs go to files; metrics are scraped from the admin ports.
 */
class ObservabilityEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A token-shaped secret: it must never appear in a log. */
    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA";

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
                "telemetry:\n"
                        + "  tracing:\n"
                        + "    endpoint: " + collector.grpcEndpoint() + "\n"
                        + "    protocol: grpc\n"
                        + "    properties: {otel.bsp.schedule.delay: \"50\"}\n"
                        + "accessLog:\n"
                        + "  file: access.log\n"
                        + "  headers: [user-agent, authorization]\n"
                        + "  query: true\n"
                        + "  securityEvents: {threshold: 3, window: 10m}\n");
        outbound = WebClient.builder("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(30))
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
        collector.close();
    }

    private static String randomHex(int bytes) {
        final byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static AggregatedHttpResponse call(String path, String... headers) {
        final RequestHeadersBuilder b =
                RequestHeaders.builder(HttpMethod.GET, path).authority("backend");
        for (int i = 0; i < headers.length; i += 2) {
            b.add(headers[i], headers[i + 1]);
        }
        return outbound.execute(b.build()).aggregate().join();
    }

    private static List<ReceivedSpan> awaitSpans(String traceId, int count) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> collector.spansOfTrace(traceId).size() >= count);
        return collector.spansOfTrace(traceId);
    }

    private static ReceivedSpan only(List<ReceivedSpan> spans, String service) {
        final List<ReceivedSpan> of =
                spans.stream().filter(s -> s.service().equals(service)).toList();
        assertThat(of).hasSize(1);
        return of.get(0);
    }

    @Test
    void oneCallIsOneTraceAcrossBothSidecarsAndTheAppSeesTheInboundSpanAsParent() throws Exception {
        final String traceId = randomHex(16);
        final String appSpan = randomHex(8);
        final AggregatedHttpResponse res = call("/echo/traced", "traceparent", "00-" + traceId + '-' + appSpan + "-01");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);

        final List<ReceivedSpan> spans = awaitSpans(traceId, 2);
        final ReceivedSpan client = only(spans, "frontend");
        final ReceivedSpan server = only(spans, "backend");

        assertThat(client.span().getKind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
        assertThat(client.parentSpanId()).isEqualTo(appSpan);
        assertThat(client.attributes())
                .containsEntry("trustline.direction", "outbound")
                .containsEntry("trustline.route", "backend")
                .containsEntry("trustline.peer.spiffe_id", TestMesh.BACKEND.toString())
                .containsEntry("http.response.status_code", "200");

        assertThat(server.span().getKind()).isEqualTo(SpanKind.SPAN_KIND_SERVER);
        assertThat(server.parentSpanId()).isEqualTo(client.spanId());
        assertThat(server.span().getStatus().getCode()).isNotEqualTo(StatusCode.STATUS_CODE_ERROR);
        assertThat(server.attributes())
                .containsEntry("trustline.direction", "inbound")
                .containsEntry("trustline.peer.spiffe_id", TestMesh.FRONTEND.toString())
                .containsEntry("trustline.decision", "allow")
                .containsEntry("trustline.reason", "authz.allowed")
                .containsEntry("trustline.policy", "backend-inbound")
                .containsEntry("trustline.rule", "frontend-may-call")
                .containsEntry("tls.protocol.version", "1.3")
                .containsEntry("url.path", "/echo/traced")
                .containsEntry("http.request.method", "GET");

        // The app's own spans join the trace under the backend sidecar's server span.
        final String traceparent = JSON.readTree(res.contentUtf8())
                .get("headers")
                .get("traceparent")
                .asText();
        assertThat(traceparent).isEqualTo("00-" + traceId + '-' + server.spanId() + "-01");
    }

    @Test
    void deniedCallIsAnErrorSpanWithTheReasonAndTheRule() {
        final String traceId = randomHex(16);
        final AggregatedHttpResponse res =
                call("/echo/admin/users", "traceparent", "00-" + traceId + '-' + randomHex(8) + "-01");
        assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);

        final List<ReceivedSpan> spans = awaitSpans(traceId, 2);
        final ReceivedSpan server = only(spans, "backend");
        assertThat(server.span().getStatus().getCode()).isEqualTo(StatusCode.STATUS_CODE_ERROR);
        assertThat(server.span().getStatus().getMessage()).isEqualTo("authz.denied_by_rule");
        assertThat(server.attributes())
                .containsEntry("trustline.decision", "deny")
                .containsEntry("trustline.reason", "authz.denied_by_rule")
                .containsEntry("trustline.rule", "no-admin")
                .containsEntry("http.response.status_code", "403");
        final ReceivedSpan client = only(spans, "frontend");
        assertThat(client.span().getStatus().getCode()).isEqualTo(StatusCode.STATUS_CODE_ERROR);
    }

    @Test
    void b3TraceContextIsAcceptedOnInput() {
        final String traceId = randomHex(16);
        final String callerSpan = randomHex(8);
        call("/echo/b3", "b3", traceId + '-' + callerSpan + "-1");
        final ReceivedSpan client = only(awaitSpans(traceId, 2), "frontend");
        assertThat(client.parentSpanId()).isEqualTo(callerSpan);
    }

    @Test
    void grpcCallSpanIsNamedAfterTheMethodAndCarriesTheGrpcStatus() {
        final String traceId = grpcCallInNewTrace();
        final ReceivedSpan server = only(awaitSpans(traceId, 2), "grpc-backend");
        assertThat(server.span().getName()).isEqualTo("trustline.test.v1.Echo/Unary");
        assertThat(server.attributes()).containsEntry("rpc.system", "grpc").containsEntry("rpc.grpc.status_code", "0");
    }

    @Test
    void spansCarryTheStableHttpSemanticConventions() {
        final String traceId = randomHex(16);
        call(
                "/echo/semconv?page=2",
                "traceparent",
                "00-" + traceId + '-' + randomHex(8) + "-01",
                "user-agent",
                "curl/8");
        final List<ReceivedSpan> spans = awaitSpans(traceId, 2);
        final ReceivedSpan server = only(spans, "backend");
        assertThat(server.attributes())
                .containsEntry(HttpAttributes.HTTP_REQUEST_METHOD.getKey(), "GET")
                .containsEntry(HttpAttributes.HTTP_RESPONSE_STATUS_CODE.getKey(), "200")
                .containsEntry(UrlAttributes.URL_SCHEME.getKey(), "https")
                .containsEntry(UrlAttributes.URL_PATH.getKey(), "/echo/semconv")
                .containsEntry(ServerAttributes.SERVER_ADDRESS.getKey(), "backend")
                .containsEntry(ServerAttributes.SERVER_PORT.getKey(), Integer.toString(mesh.backend.inboundPort()))
                .containsEntry(UserAgentAttributes.USER_AGENT_ORIGINAL.getKey(), "curl/8")
                .containsEntry(NetworkAttributes.NETWORK_PROTOCOL_NAME.getKey(), "http")
                .containsKey(ClientAttributes.CLIENT_ADDRESS.getKey())
                .doesNotContainKey(ErrorAttributes.ERROR_TYPE.getKey());
        assertThat(server.resource())
                .containsEntry(ServiceAttributes.SERVICE_NAME.getKey(), "backend")
                .containsEntry(ServiceIncubatingAttributes.SERVICE_NAMESPACE.getKey(), "shop")
                .containsEntry("trustline.spiffe_id", TestMesh.BACKEND.toString());

        final ReceivedSpan client = only(spans, "frontend");
        assertThat(client.attributes())
                .containsEntry(HttpAttributes.HTTP_REQUEST_METHOD.getKey(), "GET")
                .containsEntry(
                        UrlAttributes.URL_FULL.getKey(),
                        "https://127.0.0.1:" + mesh.backend.inboundPort() + "/echo/semconv")
                .containsEntry(ServerAttributes.SERVER_ADDRESS.getKey(), "127.0.0.1")
                .containsEntry(ServerAttributes.SERVER_PORT.getKey(), Integer.toString(mesh.backend.inboundPort()))
                .containsEntry(NetworkAttributes.NETWORK_PEER_ADDRESS.getKey(), "127.0.0.1")
                .containsEntry(
                        NetworkAttributes.NETWORK_PEER_PORT.getKey(), Integer.toString(mesh.backend.inboundPort()))
                .containsEntry(UserAgentAttributes.USER_AGENT_ORIGINAL.getKey(), "curl/8");
    }

    @Test
    void refusedCallSpanNamesTheReasonAsItsErrorType() {
        final String traceId = randomHex(16);
        call("/echo/admin/semconv", "traceparent", "00-" + traceId + '-' + randomHex(8) + "-01");
        final ReceivedSpan server = only(awaitSpans(traceId, 2), "backend");
        assertThat(server.attributes()).containsEntry(ErrorAttributes.ERROR_TYPE.getKey(), "authz.denied_by_rule");
    }

    @Test
    void grpcSpansCarryTheRpcSemanticConventions() {
        final String traceId = grpcCallInNewTrace();
        final List<ReceivedSpan> spans = awaitSpans(traceId, 2);
        for (ReceivedSpan span : List.of(only(spans, "grpc-backend"), only(spans, "frontend"))) {
            assertThat(span.attributes())
                    .containsEntry(
                            RpcIncubatingAttributes.RPC_SYSTEM.getKey(),
                            RpcIncubatingAttributes.RpcSystemIncubatingValues.GRPC)
                    .containsEntry(RpcIncubatingAttributes.RPC_SERVICE.getKey(), "trustline.test.v1.Echo")
                    .containsEntry(RpcIncubatingAttributes.RPC_METHOD.getKey(), "Unary")
                    .containsEntry(RpcIncubatingAttributes.RPC_GRPC_STATUS_CODE.getKey(), "0");
        }
    }

    @Test
    void accessLogLineOfADeniedCallNamesTheRuleAndNeverTheToken() throws Exception {
        final String traceId = randomHex(16);
        call(
                "/echo/admin?access_token=" + TOKEN + "&page=2",
                "traceparent",
                "00-" + traceId + '-' + randomHex(8) + "-01",
                "authorization",
                "Bearer " + TOKEN,
                "user-agent",
                "curl/8");
        final Path backendLog = dir.resolve("backend/access.log");
        final JsonNode line = awaitLogLine(backendLog, traceId);
        assertThat(line.get("type").asText()).isEqualTo("access");
        assertThat(line.get("direction").asText()).isEqualTo("inbound");
        assertThat(line.get("status").asInt()).isEqualTo(403);
        assertThat(line.get("decision").asText()).isEqualTo("deny");
        assertThat(line.get("reason").asText()).isEqualTo("authz.denied_by_rule");
        assertThat(line.get("policy").asText()).isEqualTo("backend-inbound");
        assertThat(line.get("rule").asText()).isEqualTo("no-admin");
        assertThat(line.get("peer").asText()).isEqualTo(TestMesh.FRONTEND.toString());
        assertThat(line.get("path").asText()).isEqualTo("/echo/admin");
        assertThat(line.get("method").asText()).isEqualTo("GET");
        assertThat(line.get("span_id").asText()).hasSize(16);
        assertThat(line.get("request_id").asText()).isNotBlank();
        assertThat(line.get("duration_ms").asDouble()).isPositive();
        assertThat(line.get("query").asText()).isEqualTo("access_token=[redacted]&page=2");
        assertThat(line.get("headers").get("authorization").asText()).isEqualTo("[redacted]");
        assertThat(line.get("headers").get("user-agent").asText()).isEqualTo("curl/8");

        final JsonNode out = awaitLogLine(dir.resolve("frontend/access.log"), traceId);
        assertThat(out.get("direction").asText()).isEqualTo("outbound");
        assertThat(out.get("route").asText()).isEqualTo("backend");
        assertThat(out.get("upstream").asText()).isEqualTo("127.0.0.1:" + mesh.backend.inboundPort());
        assertThat(out.get("status").asInt()).isEqualTo(403);

        for (Path log : List.of(backendLog, dir.resolve("frontend/access.log"))) {
            assertThat(Files.readString(log)).doesNotContain(TOKEN).doesNotContain("c2lnbmF0dXJl");
        }
    }

    @Test
    void metricsSeriesChangeWithTraffic() {
        final String[] denied = {"decision", "deny", "direction", "inbound", "reason", "authz.denied_by_rule"};
        final String[] allowed = {"decision", "allow", "direction", "inbound", "reason", "authz.allowed"};
        final String outboundCount = "trustline_request_duration_seconds_count";
        final PrometheusSamples backendBefore = PrometheusSamples.scrape(mesh.backend.adminPort());
        final double deniedBefore = backendBefore.sum("trustline_requests_total", denied);
        final double allowedBefore = backendBefore.sum("trustline_requests_total", allowed);
        final double outboundBefore = PrometheusSamples.scrape(mesh.frontend.adminPort())
                .sum(outboundCount, "direction", "outbound", "destination_workload", "backend");

        call("/echo/metrics");
        call("/echo/admin");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            final PrometheusSamples backend = PrometheusSamples.scrape(mesh.backend.adminPort());
            assertThat(backend.sum("trustline_requests_total", denied)).isEqualTo(deniedBefore + 1);
            assertThat(backend.sum("trustline_requests_total", allowed)).isEqualTo(allowedBefore + 1);
            assertThat(PrometheusSamples.scrape(mesh.frontend.adminPort())
                            .sum(outboundCount, "direction", "outbound", "destination_workload", "backend"))
                    .isEqualTo(outboundBefore + 2);
        });
        final PrometheusSamples backend = PrometheusSamples.scrape(mesh.backend.adminPort());
        assertThat(backend.find("trustline_request_duration_seconds_bucket", "direction", "inbound", "le", "0.001"))
                .isNotEmpty();
        assertThat(backend.has("trustline_policy_info")).isTrue();
        assertThat(backend.has("trustline_certificate_not_after_seconds")).isTrue();
        assertThat(backend.find("trustline_connections_open", "listener", "inbound"))
                .hasSize(1);
        // Every request series carries the whole closed label set.
        assertThat(backend.find("trustline_requests_total"))
                .allSatisfy(sample -> assertThat(sample.labels().keySet())
                        .containsExactlyInAnyOrderElementsOf(MetricNames.REQUEST_LABELS));
    }

    @Test
    void repeatedDenialsOfOneCallerRaiseOneSecurityEvent() throws Exception {
        for (int i = 0; i < 4; i++) {
            assertThat(call("/echo/admin/" + i).status()).isEqualTo(HttpStatus.FORBIDDEN);
        }
        final Path log = dir.resolve("backend/access.log");
        await().atMost(Duration.ofSeconds(10)).until(() -> securityEvents(log).size() == 1);
        final JsonNode event = securityEvents(log).get(0);
        assertThat(event.get("caller").asText()).isEqualTo(TestMesh.FRONTEND.toString());
        assertThat(event.get("kind").asText()).isEqualTo("authz");
        assertThat(event.get("failures").asInt()).isEqualTo(3);
        assertThat(event.get("last_reason").asText()).isEqualTo("authz.denied_by_rule");
        assertThat(Scrape.value(mesh.backend, "trustline_security_events_total{kind=\"authz\"}"))
                .isEqualTo(1);
    }

    private static List<JsonNode> securityEvents(Path log) throws Exception {
        final List<JsonNode> events = new ArrayList<>();
        for (JsonNode line : lines(log)) {
            if ("security_event".equals(line.get("type").asText())) {
                events.add(line);
            }
        }
        return events;
    }

    private static JsonNode awaitLogLine(Path log, String traceId) {
        final JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (JsonNode line : lines(log)) {
                if (traceId.equals(line.path("trace_id").asText())) {
                    found[0] = line;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static List<JsonNode> lines(Path log) throws Exception {
        final List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(log)) {
            return out;
        }
        for (String s : Files.readAllLines(log)) {
            if (!s.isBlank()) {
                out.add(JSON.readTree(s));
            }
        }
        return out;
    }

    /** Reads Prometheus text from a sidecar's admin port. */
    static final class Scrape {
        static String text(Sidecar sidecar) {
            return WebClient.of("http://127.0.0.1:" + sidecar.adminPort())
                    .get("/metrics")
                    .aggregate()
                    .join()
                    .contentUtf8();
        }

        /** The value of the series written exactly as {@code series}, 0 when absent. */
        static double value(Sidecar sidecar, String series) {
            for (String line : text(sidecar).split("\n")) {
                if (line.startsWith(series + ' ')) {
                    return Double.parseDouble(
                            line.substring(series.length() + 1).trim());
                }
            }
            return 0;
        }
    }

    /** One unary gRPC call through the frontend's outbound listener, sampled, in a new trace; returns its trace id. */
    private static String grpcCallInNewTrace() {
        final String traceId = randomHex(16);
        final ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority("grpc-backend")
                .build();
        try {
            final io.grpc.Metadata md = new io.grpc.Metadata();
            md.put(
                    io.grpc.Metadata.Key.of("traceparent", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
                    "00-" + traceId + '-' + randomHex(8) + "-01");
            EchoGrpc.newBlockingStub(channel)
                    .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(md))
                    .unary(EchoRequest.newBuilder().setMessage("hi").build());
        } finally {
            channel.shutdownNow();
        }
        return traceId;
    }
}
