package io.trustline.sidecar.telemetry;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * An OTLP trace collector for tests, speaking the real protocol: a grpc-java server implementing
 * {@code opentelemetry.proto.collector.trace.v1.TraceService} (the stubs of the published opentelemetry-proto
 * artifact), or an HTTP server taking {@code POST /v1/traces} with protobuf bodies. It keeps every span it receives.
 */
final class OtlpReceiver implements AutoCloseable {

    /** A received span with the {@code service.name} of the resource that sent it, and that resource. */
    record ReceivedSpan(String service, Span span, Resource resourceProto) {

        Map<String, String> resource() {
            return resourceProto.getAttributesList().stream()
                    .collect(Collectors.toMap(KeyValue::getKey, kv -> text(kv.getValue()), (a, b) -> b));
        }

        String traceId() {
            return HexFormat.of().formatHex(span.getTraceId().toByteArray());
        }

        String spanId() {
            return HexFormat.of().formatHex(span.getSpanId().toByteArray());
        }

        String parentSpanId() {
            return HexFormat.of().formatHex(span.getParentSpanId().toByteArray());
        }

        Map<String, String> attributes() {
            return span.getAttributesList().stream()
                    .collect(Collectors.toMap(KeyValue::getKey, kv -> text(kv.getValue()), (a, b) -> b));
        }
    }

    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final io.grpc.Server grpc;
    private final Server http;

    OtlpReceiver() throws Exception {
        grpc = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                    @Override
                    public void export(
                            ExportTraceServiceRequest request,
                            StreamObserver<ExportTraceServiceResponse> responseObserver) {
                        collect(request);
                        responseObserver.onNext(ExportTraceServiceResponse.getDefaultInstance());
                        responseObserver.onCompleted();
                    }
                })
                .build()
                .start();
        http = Server.builder()
                .http(0)
                .service(
                        "/v1/traces",
                        (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
                            try {
                                collect(ExportTraceServiceRequest.parseFrom(
                                        agg.content().array()));
                            } catch (Exception e) {
                                return HttpResponse.of(HttpStatus.BAD_REQUEST);
                            }
                            return HttpResponse.of(
                                    HttpStatus.OK,
                                    MediaType.parse("application/x-protobuf"),
                                    ExportTraceServiceResponse.getDefaultInstance()
                                            .toByteArray());
                        })))
                .build();
        http.start().join();
    }

    private void collect(ExportTraceServiceRequest request) {
        for (ResourceSpans rs : request.getResourceSpansList()) {
            final String service = serviceName(rs.getResource());
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span s : ss.getSpansList()) {
                    spans.add(new ReceivedSpan(service, s, rs.getResource()));
                }
            }
        }
    }

    private static String serviceName(Resource resource) {
        for (KeyValue kv : resource.getAttributesList()) {
            if ("service.name".equals(kv.getKey())) {
                return kv.getValue().getStringValue();
            }
        }
        return "";
    }

    static String text(AnyValue v) {
        switch (v.getValueCase()) {
            case STRING_VALUE:
                return v.getStringValue();
            case BOOL_VALUE:
                return Boolean.toString(v.getBoolValue());
            case INT_VALUE:
                return Long.toString(v.getIntValue());
            case DOUBLE_VALUE:
                return Double.toString(v.getDoubleValue());
            default:
                return v.toString();
        }
    }

    /** The OTLP/gRPC endpoint. */
    String grpcEndpoint() {
        return "http://127.0.0.1:" + grpc.getPort();
    }

    /** The OTLP/HTTP base endpoint ({@code /v1/traces} is appended by the exporter). */
    String httpEndpoint() {
        return "http://127.0.0.1:" + http.activeLocalPort();
    }

    List<ReceivedSpan> spans() {
        return spans;
    }

    List<ReceivedSpan> spansOfTrace(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    @Override
    public void close() {
        grpc.shutdownNow();
        http.stop().join();
    }
}
