package io.trustline.sidecar.telemetry;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.netty.util.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.trustline.sidecar.request.HeaderEdits;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The outermost stage of both listeners: it wraps the whole chain, so every call, a refused one included, becomes a
 * span, a metric and an access-log line. Inbound it starts a SERVER span (child of the caller's {@code traceparent},
 * or B3) and hands the app a {@code traceparent} naming that span, through {@link HeaderEdits}; outbound it starts a
 * CLIENT span and sends the next hop a {@code traceparent} naming it. The outcome is recorded when the request's log
 * is complete ({@link Telemetry#complete}), off the request's critical path.
 *
 * <p>Written on OpenTelemetry's {@code Tracer} API rather than with opentelemetry-java-instrumentation's Armeria
 * library: the newest release served here (opentelemetry-armeria-1.3 2.23.0-alpha) needs OpenTelemetry API classes
 * that 1.68 no longer has, and it has no CLIENT span for a proxied server-side call (docs/observability.md).
 */
public final class TelemetryService extends SimpleDecoratingHttpService {

    /** The span of the current call (absent when tracing is off), for stages that want to add events. */
    public static final AttributeKey<Span> SPAN = AttributeKey.valueOf(TelemetryService.class, "SPAN");

    private static final TextMapSetter<HeaderEdits> EDITS = (edits, key, value) -> edits.set(key, value);
    private static final TextMapSetter<RequestHeadersBuilder> BUILDER = (b, key, value) -> b.set(key, value);
    private static final TextMapPropagator B3_SINGLE = B3Propagator.injectingSingleHeader();
    private static final TextMapPropagator B3_MULTI = B3Propagator.injectingMultiHeaders();

    /** The inbound listener's stage: SERVER spans, trace context handed to the app. */
    public static Function<? super HttpService, TelemetryService> newInboundDecorator(Telemetry telemetry) {
        requireNonNull(telemetry, "telemetry");
        return delegate -> new TelemetryService(delegate, telemetry, Direction.INBOUND);
    }

    /** The outbound listener's wrap: CLIENT spans, trace context sent to the next hop. */
    public static Function<? super HttpService, TelemetryService> newOutboundDecorator(Telemetry telemetry) {
        requireNonNull(telemetry, "telemetry");
        return delegate -> new TelemetryService(delegate, telemetry, Direction.OUTBOUND);
    }

    private final Telemetry telemetry;
    private final Direction direction;

    TelemetryService(HttpService delegate, Telemetry telemetry, Direction direction) {
        super(delegate);
        this.telemetry = telemetry;
        this.direction = direction;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final RequestHeaders headers = req.headers();
        final Span span = telemetry.startSpan(direction, ctx, headers);
        HttpRequest forwarded = req;
        if (span != null) {
            ctx.setAttr(SPAN, span);
            final Context context = Context.root().with(span);
            final TextMapPropagator b3 = b3(headers);
            if (direction == Direction.INBOUND) {
                HeaderEdits edits = ctx.attr(HeaderEdits.ATTR);
                if (edits == null) {
                    edits = new HeaderEdits();
                    ctx.setAttr(HeaderEdits.ATTR, edits);
                }
                Tracing.injector().inject(context, edits, EDITS);
                if (b3 != null) {
                    b3.inject(context, edits, EDITS);
                }
            } else {
                final RequestHeadersBuilder b = headers.toBuilder();
                Tracing.injector().inject(context, b, BUILDER);
                if (b3 != null) {
                    b3.inject(context, b, BUILDER);
                }
                forwarded = req.withHeaders(b.build());
            }
        }
        ctx.log().whenComplete().thenAccept(log -> telemetry.complete(direction, ctx, log, span));
        return unwrap().serve(ctx, forwarded);
    }

    /**
     * A caller that sent B3 headers gets them replaced in the same style, so an app instrumented with B3 only sees
     * our span as its parent, not the caller's.
     */
    private static @Nullable TextMapPropagator b3(RequestHeaders headers) {
        if (headers.contains("b3")) {
            return B3_SINGLE;
        }
        return headers.contains("x-b3-traceid") ? B3_MULTI : null;
    }
}
