package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracingTest {

    @TempDir
    Path dir;

    private SidecarConfig config(String tracing) throws Exception {
        return new ConfigLoader()
                .parse(
                        dir.resolve("sidecar.yaml"),
                        "service: orders\n"
                                + "namespace: shop\n"
                                + "trustDomain: example.org\n"
                                + "identity: {certFile: c.pem, keyFile: k.pem, bundleFile: b.pem}\n"
                                + "inbound: {app: 127.0.0.1:8080}\n"
                                + "telemetry:\n"
                                + "  tracing:\n"
                                + tracing);
    }

    @Test
    void tracingIsOffWhenDisabledWithoutAnEndpointOrWithExporterNone() throws Exception {
        final Map<String, String> none = Map.of();
        assertThat(Tracing.offReason(
                        config("    enabled: false\n    endpoint: http://c:4317\n")
                                .telemetry()
                                .tracing(),
                        none::get))
                .contains("enabled is false");
        assertThat(Tracing.offReason(config("    enabled: true\n").telemetry().tracing(), none::get))
                .contains("no OTLP endpoint");
        final Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4317");
        assertThat(Tracing.offReason(config("    enabled: true\n").telemetry().tracing(), env::get))
                .isNull();
        final Map<String, String> exporterNone =
                Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4317", "OTEL_TRACES_EXPORTER", "none");
        assertThat(Tracing.offReason(config("    enabled: true\n").telemetry().tracing(), exporterNone::get))
                .contains("OTEL_TRACES_EXPORTER");
        final Map<String, String> sdkOff = Map.of("OTEL_SDK_DISABLED", "true");
        assertThat(Tracing.offReason(
                        config("    endpoint: http://c:4317\n").telemetry().tracing(), sdkOff::get))
                .contains("OTEL_SDK_DISABLED");
    }

    @Test
    void httpEndpointsGetTheTracesPathGrpcEndpointsDoNot() {
        assertThat(Tracing.tracesEndpoint("http://jaeger:4318", "http/protobuf"))
                .isEqualTo("http://jaeger:4318/v1/traces");
        assertThat(Tracing.tracesEndpoint("http://jaeger:4318/", "http/protobuf"))
                .isEqualTo("http://jaeger:4318/v1/traces");
        assertThat(Tracing.tracesEndpoint("http://jaeger:4317", "grpc")).isEqualTo("http://jaeger:4317");
    }

    @Test
    void exportsOverOtlpHttpWithTheServiceNameAndNamespace() throws Exception {
        try (OtlpReceiver collector = new OtlpReceiver();
                Tracing tracing = Tracing.create(
                        config("    endpoint: " + collector.httpEndpoint() + "\n    protocol: http/protobuf\n"),
                        Map.<String, String>of()::get)) {
            assertThat(tracing.enabled()).isTrue();
            final Span span = tracing.tracer()
                    .spanBuilder("GET")
                    .setSpanKind(SpanKind.SERVER)
                    .startSpan();
            span.end();
            tracing.flush(5000);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !collector.spans().isEmpty());
            final OtlpReceiver.ReceivedSpan received = collector.spans().get(0);
            assertThat(received.service()).isEqualTo("orders");
            assertThat(tracing.serviceName()).isEqualTo("orders");
            assertThat(received.spanId()).isEqualTo(span.getSpanContext().getSpanId());
        }
    }

    @Test
    void standardOtelSettingsOverrideTheDefaults() throws Exception {
        System.setProperty("otel.service.name", "orders-proxy");
        try (OtlpReceiver collector = new OtlpReceiver();
                Tracing tracing = Tracing.create(
                        config("    endpoint: " + collector.grpcEndpoint() + "\n    protocol: grpc\n"),
                        Map.<String, String>of()::get)) {
            tracing.tracer().spanBuilder("GET").startSpan().end();
            tracing.flush(5000);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !collector.spans().isEmpty());
            assertThat(collector.spans().get(0).service()).isEqualTo("orders-proxy");
            // The start-up log line names the service the spans carry, not the default it was overridden with.
            assertThat(tracing.serviceName()).isEqualTo("orders-proxy");
        } finally {
            System.clearProperty("otel.service.name");
        }
    }

    @Test
    void anUnreachableCollectorNeverBlocksTheCallerAndTheQueueIsBounded() throws Exception {
        // Port 1 on loopback: nothing listens, every export fails.
        try (Tracing tracing = Tracing.create(
                config("    endpoint: http://127.0.0.1:1\n    protocol: grpc\n    maxQueueSize: 16\n"),
                Map.<String, String>of()::get)) {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                for (int i = 0; i < 50_000; i++) {
                    tracing.tracer().spanBuilder("GET").startSpan().end();
                }
            });
        }
    }

    @Test
    void aSidecarWithAnUnreachableCollectorKeepsServing(@TempDir Path meshDir) throws Exception {
        try (TestMesh mesh = TestMesh.start(
                meshDir,
                "",
                "telemetry: {tracing: {endpoint: \"http://127.0.0.1:1\", maxQueueSize: 64}}\n"
                        + "accessLog: {sink: off}\n")) {
            final WebClient client = WebClient.of("http://127.0.0.1:" + mesh.frontend.outboundPort());
            for (int i = 0; i < 300; i++) {
                assertThat(client.execute(RequestHeaders.builder(HttpMethod.GET, "/echo/" + i)
                                        .authority("backend")
                                        .build())
                                .aggregate()
                                .join()
                                .status())
                        .isEqualTo(HttpStatus.OK);
            }
            assertThat(mesh.backend.telemetry().tracing().enabled()).isTrue();
        }
    }
}
