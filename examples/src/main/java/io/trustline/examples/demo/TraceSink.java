package io.trustline.examples.demo;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal OTLP/HTTP trace receiver for the demo when no collector runs: the sidecars export to it as they would to
 * Jaeger, and the demo prints, per step, which sidecars the trace crossed. It keeps the spans of the last few hundred
 * traces only.
 */
final class TraceSink implements AutoCloseable {

    /** One received span: which sidecar made it, its kind and name. */
    record SpanSummary(String service, Span.SpanKind kind, String name) {}

    private static final int MAX_TRACES = 500;

    private final Map<String, List<SpanSummary>> traces = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<SpanSummary>> eldest) {
            return size() > MAX_TRACES;
        }
    });
    private final Server server;

    TraceSink() {
        server = Server.builder()
                .http(new InetSocketAddress("127.0.0.1", 0))
                .service(
                        "/v1/traces",
                        (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
                            try {
                                record(ExportTraceServiceRequest.parseFrom(
                                        agg.content().array()));
                            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                                return HttpResponse.of(HttpStatus.BAD_REQUEST);
                            }
                            return HttpResponse.of(
                                    HttpStatus.OK,
                                    MediaType.PROTOBUF,
                                    ExportTraceServiceResponse.getDefaultInstance()
                                            .toByteArray());
                        })))
                .build();
        server.start().join();
    }

    /** The endpoint for {@code telemetry.tracing.endpoint}, OTLP over HTTP with protobuf bodies. */
    String endpoint() {
        return "http://127.0.0.1:" + server.activeLocalPort();
    }

    private void record(ExportTraceServiceRequest request) {
        for (ResourceSpans rs : request.getResourceSpansList()) {
            String service = "?";
            for (KeyValue kv : rs.getResource().getAttributesList()) {
                if (kv.getKey().equals("service.name")) {
                    service = kv.getValue().getStringValue();
                }
            }
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span span : ss.getSpansList()) {
                    final String traceId =
                            HexFormat.of().formatHex(span.getTraceId().toByteArray());
                    traces.computeIfAbsent(traceId, id -> Collections.synchronizedList(new ArrayList<>()))
                            .add(new SpanSummary(service, span.getKind(), span.getName()));
                }
            }
        }
    }

    /** The spans received so far for {@code traceId}. */
    List<SpanSummary> spans(String traceId) {
        final List<SpanSummary> spans = traces.get(traceId);
        if (spans == null) {
            return List.of();
        }
        synchronized (spans) {
            return List.copyOf(spans);
        }
    }

    @Override
    public void close() {
        server.stop().join();
    }
}
