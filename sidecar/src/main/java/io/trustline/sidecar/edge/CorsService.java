package io.trustline.sidecar.edge;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.engine.CorsCheck;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.EdgeCheck;
import io.trustline.sidecar.request.RequestPolicy;
import io.trustline.sidecar.request.StageOutcomes;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The inbound CORS stage, driven by the policy's {@code cors} section (reloaded with it). It sits after the peer/IP
 * rate limits and before JWT: a preflight, which carries no token, is IP-limited but never counted against a user's
 * limits and never reaches JWT, authorization or the app.
 *
 * <ul>
 *   <li>A preflight ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}) from a listed
 *       origin, for a listed method and headers, is answered here: 204 with {@code Access-Control-Allow-Origin},
 *       {@code -Methods}, {@code -Headers}, {@code -Max-Age}, {@code -Credentials} and {@code Vary: Origin}.
 *   <li>Any other preflight is refused, 403 {@code cors.origin_not_allowed} (or {@code cors.method_not_allowed},
 *       {@code cors.headers_not_allowed}); it is never forwarded.
 *   <li>A cross-origin request (an {@code Origin} that is not the request's own {@code scheme://authority}) from a
 *       listed origin goes on; its response, a later refusal included, gets {@code Access-Control-Allow-Origin},
 *       {@code -Credentials}, {@code -Expose-Headers} and {@code Origin} added to {@code Vary}. From another origin,
 *       or with a method not listed, it is refused with 403.
 *   <li>A request without {@code Origin}, or from its own origin, passes untouched.
 * </ul>
 *
 * <p>In {@code mode: audit} a refusal is recorded ({@link EdgeCheck#ATTR}, the metric) and the request goes on as if
 * the service had no {@code cors} section. A service without one: the sidecar answers no preflight and adds no
 * header; the request goes on to policy like any other.
 *
 * <p>Armeria's own {@code CorsService} is not used: its configuration is fixed when the server is built (ours
 * reloads with the policy), it answers a refused preflight with a bare 403 that a gRPC caller reads as UNKNOWN
 * instead of going through {@link Refusals}, lets cross-origin requests from other origins through, and has no audit
 * mode.
 */
public final class CorsService extends SimpleDecoratingHttpService {

    private static final String ORIGIN = "Origin";

    /**
     * Answers and refuses by the {@code cors} section of the service's policy in force ({@code policy}, a {@code
     * PolicyStore.forService} supplier), in the version the request is pinned to ({@link RequestPolicy}).
     */
    public static Function<? super HttpService, CorsService> newDecorator(
            Supplier<ServicePolicy> policy, MeterRegistry meters) {
        requireNonNull(policy, "policy");
        final EdgeRefusals refusals = new EdgeRefusals(meters);
        return delegate -> new CorsService(delegate, policy, refusals);
    }

    private final Supplier<ServicePolicy> policy;
    private final EdgeRefusals refusals;

    CorsService(HttpService delegate, Supplier<ServicePolicy> policy, EdgeRefusals refusals) {
        super(delegate);
        this.policy = policy;
        this.refusals = refusals;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final RequestHeaders headers = req.headers();
        final String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return unwrap().serve(ctx, req);
        }
        final CorsCheck cors = RequestPolicy.of(ctx, policy).cors().orElse(null);
        if (cors == null) {
            return unwrap().serve(ctx, req);
        }
        final CorsCheck.Outcome outcome = cors.check(
                headers.method().name(),
                origin,
                ctx.sessionProtocol().isTls() ? "https" : "http",
                headers.authority(),
                headers.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD),
                headers.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS));
        if (outcome == CorsCheck.Outcome.SAME_ORIGIN) {
            return unwrap().serve(ctx, req);
        }
        ctx.setAttr(StageOutcomes.CORS_OUTCOME, outcome);
        if (outcome == CorsCheck.Outcome.PREFLIGHT_ALLOWED) {
            return HttpResponse.of(preflightAnswer(cors, origin));
        }
        if (outcome == CorsCheck.Outcome.ALLOWED) {
            return unwrap().serve(ctx, req).mapHeaders(h -> withCorsHeaders(h, cors, origin));
        }
        final ReasonCode reason = requireNonNull(ReasonCode.of(outcome), "a refusing CORS outcome has a reason code");
        final EdgeCheck check = new EdgeCheck(reason, cors.policy(), cors.mode());
        EdgeCheck.record(ctx, check);
        refusals.count(check);
        if (check.audited()) {
            return unwrap().serve(ctx, req);
        }
        return Refusals.respond(ctx, headers, Refusal.of(RefusalKind.FORBIDDEN, reason));
    }

    private static ResponseHeaders preflightAnswer(CorsCheck cors, String origin) {
        final ResponseHeadersBuilder b = ResponseHeaders.builder(HttpStatus.NO_CONTENT)
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, cors.allowOrigin(origin))
                .set(HttpHeaderNames.VARY, ORIGIN)
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, cors.allowMethods());
        if (cors.allowHeaders() != null) {
            b.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, cors.allowHeaders());
        }
        if (cors.maxAge() != null) {
            b.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, cors.maxAge());
        }
        if (cors.allowCredentials()) {
            b.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        return b.build();
    }

    /** The app's CORS headers, if any, are replaced: the sidecar's policy is the one in force. */
    private static ResponseHeaders withCorsHeaders(ResponseHeaders h, CorsCheck cors, String origin) {
        final ResponseHeadersBuilder b = h.toBuilder()
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, cors.allowOrigin(origin))
                .removeAndThen(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS)
                .removeAndThen(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS);
        final String vary = h.get(HttpHeaderNames.VARY);
        b.set(HttpHeaderNames.VARY, vary == null || vary.isEmpty() ? ORIGIN : vary + ", " + ORIGIN);
        if (cors.allowCredentials()) {
            b.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        if (cors.exposeHeaders() != null) {
            b.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, cors.exposeHeaders());
        }
        return b.build();
    }
}
