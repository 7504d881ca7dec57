package io.trustline.sidecar.pipeline;

import com.linecorp.armeria.server.HttpService;
import io.trustline.sidecar.outbound.OutboundService;
import io.trustline.sidecar.overload.ConcurrencyLimitingService;
import io.trustline.sidecar.telemetry.TelemetryService;

/**
 * The outbound request path (the local app's calls to other services), built in one place like the inbound one and
 * pinned the same way: one type per slot, and {@code OutboundPipelineTest} for the order:
 *
 * <ol>
 *   <li>telemetry: tracing, metrics and the access log around everything, so a refused call is still seen;
 *   <li>overload protection: the listener's cap on requests in flight and waiting, before any work;
 *   <li>{@link OutboundService}: the destination looked up in the route table (a name not in it is refused: never an
 *       open proxy), the mTLS client that checks the server's SPIFFE ID, and the forward.
 * </ol>
 */
public final class OutboundPipeline {

    /** The stages around the forward, outermost first, one type per slot. */
    public record Stages(Stage<TelemetryService> telemetry, Stage<ConcurrencyLimitingService> overload) {}

    /** Builds the outbound chain around {@code forward}. Armeria decorators wrap inside-out, hence the reverse order. */
    public static HttpService build(OutboundService forward, Stages s) {
        return build((HttpService) forward, s);
    }

    static HttpService build(HttpService forward, Stages s) {
        HttpService chain = forward; //          3. route lookup, mTLS client with the server-identity check, forward
        chain = s.overload().apply(chain); //    2. requests in flight and waiting, 503 beyond
        chain = s.telemetry().apply(chain); //   1. tracing + access log around everything
        return chain;
    }

    private OutboundPipeline() {}
}
