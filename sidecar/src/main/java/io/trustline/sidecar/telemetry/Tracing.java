package io.trustline.sidecar.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.semconv.incubating.ServiceIncubatingAttributes;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.config.SidecarConfig.TracingConfig;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK of one sidecar, configured by the SDK's autoconfigure module so that the standard
 * {@code OTEL_*} environment variables work (endpoint, protocol, service name, sampler, resource attributes, batch
 * processor), with the {@code telemetry.tracing} section of the config winning over them. Spans go through the SDK's
 * {@code BatchSpanProcessor}: the request path only enqueues, export runs on the processor's own thread, and a full
 * queue (an unreachable collector) drops spans instead of growing. Never registered as the global instance: several
 * sidecars may share a JVM.
 */
public final class Tracing implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(Tracing.class);

    private static final AttributeKey<String> SERVICE_NAMESPACE = ServiceIncubatingAttributes.SERVICE_NAMESPACE;
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final AttributeKey<String> TRUSTLINE_SPIFFE_ID = AttributeKey.stringKey("trustline.spiffe_id");

    private final @Nullable OpenTelemetrySdk sdk;
    private final @Nullable Tracer tracer;
    private final TextMapPropagator extractor;
    private final @Nullable String serviceName;

    private Tracing(@Nullable OpenTelemetrySdk sdk, TextMapPropagator extractor, @Nullable String serviceName) {
        this.sdk = sdk;
        this.tracer = sdk != null ? sdk.getTracer("io.trustline.sidecar") : null;
        this.extractor = extractor;
        this.serviceName = serviceName;
    }

    /** Tracing switched off: no SDK, no spans, nothing extracted or injected. */
    public static Tracing disabled() {
        return new Tracing(null, TextMapPropagator.noop(), null);
    }

    /** Builds the SDK for {@code config} with the process environment and system properties. */
    public static Tracing create(SidecarConfig config) {
        return create(config, System::getenv);
    }

    /**
     * Builds the SDK for {@code config}; {@code environment} decides only whether tracing is on (tests pass a map),
     * the SDK itself reads the real environment.
     */
    static Tracing create(SidecarConfig config, Function<String, String> environment) {
        final TracingConfig tracing = config.telemetry().tracing();
        final String off = offReason(tracing, environment);
        if (off != null) {
            logger.info("tracing off reason={}", off);
            return disabled();
        }
        // The service name the spans carry: ours by default, OTEL_SERVICE_NAME or otel.service.name when set.
        final AtomicReference<@Nullable String> serviceName = new AtomicReference<>();
        final AutoConfiguredOpenTelemetrySdk auto = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults(config))
                .addPropertiesCustomizer(props -> overrides(tracing, props))
                .addResourceCustomizer((resource, props) -> {
                    serviceName.set(resource.getAttribute(SERVICE_NAME));
                    return resource.merge(Resource.builder()
                            .put(SERVICE_NAMESPACE, config.namespace())
                            .put(TRUSTLINE_SPIFFE_ID, config.spiffeId().toString())
                            .build());
                })
                .disableShutdownHook()
                .build();
        final OpenTelemetrySdk sdk = auto.getOpenTelemetrySdk();
        // B3 is accepted on input (zipkin-instrumented callers) besides what OTEL_PROPAGATORS names; W3C wins when a
        // request carries both, being extracted last.
        final TextMapPropagator extractor = TextMapPropagator.composite(
                B3Propagator.injectingSingleHeader(), sdk.getPropagators().getTextMapPropagator());
        logger.info(
                "tracing on endpoint={} protocol={} service={}",
                tracing.endpoint() != null ? tracing.endpoint() : "(from OTEL_EXPORTER_OTLP_*)",
                tracing.protocol() != null
                        ? tracing.protocol().text()
                        : "(from OTEL_EXPORTER_OTLP_PROTOCOL, else grpc)",
                serviceName.get());
        return new Tracing(sdk, extractor, serviceName.get());
    }

    /** Why tracing stays off, or null when it is on. */
    static @Nullable String offReason(TracingConfig tracing, Function<String, String> environment) {
        if (!tracing.enabled()) {
            return "telemetry.tracing.enabled is false";
        }
        if ("true".equalsIgnoreCase(setting(environment, tracing, "otel.sdk.disabled"))) {
            return "OTEL_SDK_DISABLED is true";
        }
        final String exporter = setting(environment, tracing, "otel.traces.exporter");
        if (exporter != null && "none".equals(exporter.trim())) {
            return "OTEL_TRACES_EXPORTER is none";
        }
        if (tracing.endpoint() == null
                && setting(environment, tracing, "otel.exporter.otlp.traces.endpoint") == null
                && setting(environment, tracing, "otel.exporter.otlp.endpoint") == null) {
            return "no OTLP endpoint (set telemetry.tracing.endpoint or OTEL_EXPORTER_OTLP_ENDPOINT)";
        }
        return null;
    }

    /** A setting from the config's properties, a system property or the environment, in that order. */
    private static @Nullable String setting(Function<String, String> environment, TracingConfig tracing, String key) {
        final String fromConfig = tracing.properties().get(key);
        if (fromConfig != null) {
            return fromConfig;
        }
        final String fromProperty = System.getProperty(key);
        if (fromProperty != null) {
            return fromProperty;
        }
        final String value = environment.apply(key.toUpperCase(Locale.ROOT).replace('.', '_'));
        return value == null || value.isBlank() ? null : value;
    }

    /** The lowest-precedence settings: the environment and system properties override them. */
    private static Map<String, String> defaults(SidecarConfig config) {
        final Map<String, String> d = new HashMap<>();
        // The workload, as the sidecar's metrics name it: a trace search by service finds the sidecar's spans beside
        // the app's (instrumentation scope io.trustline.sidecar and trustline.direction tell them apart).
        d.put("otel.service.name", config.service());
        // Metrics are Prometheus on the admin port and logs are the access log: OTLP carries traces only.
        d.put("otel.metrics.exporter", "none");
        d.put("otel.logs.exporter", "none");
        return d;
    }

    /** What the config sets explicitly wins over the environment. */
    private static Map<String, String> overrides(TracingConfig tracing, ConfigProperties environment) {
        final Map<String, String> o = new HashMap<>(tracing.properties());
        if (tracing.protocol() != null) {
            o.put("otel.exporter.otlp.traces.protocol", tracing.protocol().text());
        }
        if (tracing.endpoint() != null) {
            final String protocol = tracing.protocol() != null
                    ? tracing.protocol().text()
                    : environment.getString(
                            "otel.exporter.otlp.traces.protocol",
                            environment.getString("otel.exporter.otlp.protocol", "grpc"));
            o.put("otel.exporter.otlp.traces.endpoint", tracesEndpoint(tracing.endpoint(), protocol));
        }
        o.put("otel.bsp.max.queue.size", Integer.toString(tracing.maxQueueSize()));
        // The export batch may not exceed the queue (the SDK rejects that).
        if (!o.containsKey("otel.bsp.max.export.batch.size") && tracing.maxQueueSize() < 512) {
            o.put("otel.bsp.max.export.batch.size", Integer.toString(tracing.maxQueueSize()));
        }
        return o;
    }

    /**
     * The signal-specific endpoint: the SDK uses a traces endpoint as given, so for OTLP/HTTP the {@code /v1/traces}
     * path that {@code OTEL_EXPORTER_OTLP_ENDPOINT} would get is added here.
     */
    static String tracesEndpoint(String endpoint, String protocol) {
        if (!"http/protobuf".equals(protocol) || endpoint.endsWith("/v1/traces")) {
            return endpoint;
        }
        return (endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint) + "/v1/traces";
    }

    /** The {@code service.name} of the spans (as the start-up log line says it), or null when tracing is off. */
    @Nullable
    String serviceName() {
        return serviceName;
    }

    /** Whether spans are made at all. */
    public boolean enabled() {
        return tracer != null;
    }

    /** The tracer, or null when tracing is off. */
    @Nullable
    Tracer tracer() {
        return tracer;
    }

    /** Reads the caller's trace context: W3C {@code traceparent}/{@code tracestate}, B3 single or multi header. */
    TextMapPropagator extractor() {
        return extractor;
    }

    /** What is injected toward the app and the next hop. */
    static TextMapPropagator injector() {
        return W3CTraceContextPropagator.getInstance();
    }

    /** Exports what is queued, waiting at most {@code timeoutMillis}. */
    public void flush(long timeoutMillis) {
        if (sdk != null) {
            sdk.getSdkTracerProvider().forceFlush().join(timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Exports what is queued (bounded wait) and stops the export thread. */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(2, TimeUnit.SECONDS);
        }
    }
}
