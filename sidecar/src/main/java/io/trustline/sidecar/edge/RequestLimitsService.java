package io.trustline.sidecar.edge;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AsciiString;
import io.trustline.policy.engine.RequestLimitsCheck;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.EdgeCheck;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.RequestPolicy;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The inbound stage of the policy's {@code requestLimits}: a query longer than {@code maxQueryBytes} (400
 * {@code request.query_too_long}), with more than {@code maxQueryParams} parameters (400
 * {@code request.too_many_query_params}), or more than {@code maxHeaderCount} header fields (431
 * {@code request.too_many_headers}) is refused before anything decodes the query or matches a regular expression.
 * The raw query is measured as sent; pseudo-headers (and {@code Host}, which HTTP/1 requests carry as
 * {@code :authority}) are not counted. A service without the section pays one map lookup.
 */
public final class RequestLimitsService extends SimpleDecoratingHttpService {

    private static final AsciiString[] PSEUDO = {
        AsciiString.cached(":method"),
        AsciiString.cached(":path"),
        AsciiString.cached(":scheme"),
        AsciiString.cached(":authority"),
        AsciiString.cached(":protocol")
    };

    private static final Refusal QUERY_TOO_LONG =
            Refusal.of(RefusalKind.BAD_REQUEST, ReasonCode.REQUEST_QUERY_TOO_LONG);
    private static final Refusal TOO_MANY_QUERY_PARAMS =
            Refusal.of(RefusalKind.BAD_REQUEST, ReasonCode.REQUEST_TOO_MANY_QUERY_PARAMS);
    private static final Refusal TOO_MANY_HEADERS =
            Refusal.of(RefusalKind.HEADERS_TOO_LARGE, ReasonCode.REQUEST_TOO_MANY_HEADERS);

    /**
     * Checks the {@code requestLimits} of the service's policy in force ({@code policy}, a {@code
     * PolicyStore.forService} supplier), in the version the request is pinned to ({@link RequestPolicy}).
     */
    public static Function<? super HttpService, RequestLimitsService> newDecorator(
            Supplier<ServicePolicy> policy, MeterRegistry meters) {
        requireNonNull(policy, "policy");
        final EdgeRefusals refusals = new EdgeRefusals(meters);
        return delegate -> new RequestLimitsService(delegate, policy, refusals);
    }

    private final Supplier<ServicePolicy> policy;
    private final EdgeRefusals refusals;

    RequestLimitsService(HttpService delegate, Supplier<ServicePolicy> policy, EdgeRefusals refusals) {
        super(delegate);
        this.policy = policy;
        this.refusals = refusals;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final RequestLimitsCheck limits =
                RequestPolicy.of(ctx, policy).requestLimits().orElse(null);
        if (limits == null) {
            return unwrap().serve(ctx, req);
        }
        final RequestHeaders headers = req.headers();
        final String query = InboundRequest.of(ctx).query();
        final RequestLimitsCheck.Exceeded exceeded = limits.check(query, headerCount(headers));
        if (exceeded == null) {
            return unwrap().serve(ctx, req);
        }
        final ReasonCode reason = ReasonCode.of(exceeded);
        final EdgeCheck check = new EdgeCheck(reason, limits.policy(), limits.mode());
        EdgeCheck.record(ctx, check);
        refusals.count(check);
        if (check.audited()) {
            return unwrap().serve(ctx, req);
        }
        return Refusals.respond(ctx, headers, refusal(exceeded));
    }

    static int headerCount(RequestHeaders headers) {
        int n = headers.size();
        for (AsciiString p : PSEUDO) {
            if (headers.contains(p)) {
                n--;
            }
        }
        return n;
    }

    private static Refusal refusal(RequestLimitsCheck.Exceeded exceeded) {
        return switch (exceeded) {
            case QUERY_TOO_LONG -> QUERY_TOO_LONG;
            case TOO_MANY_QUERY_PARAMS -> TOO_MANY_QUERY_PARAMS;
            case TOO_MANY_HEADERS -> TOO_MANY_HEADERS;
        };
    }
}
