package io.trustline.sidecar.inbound;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.Decision;
import io.trustline.policy.engine.HeaderLookup;
import io.trustline.policy.engine.QueryParams;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.RequestPolicy;
import io.trustline.sidecar.request.StageOutcomes;
import io.trustline.sidecar.request.VerifiedToken;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Stage 6 of the inbound pipeline: asks the policy engine (the same evaluator the policy CLI uses) whether this peer,
 * as this user, may make this request. A denial is 403 / PERMISSION_DENIED with the reason code only; the decision,
 * with the deciding policy and rule, stays on the request ({@link StageOutcomes#AUTHZ_DECISION}) for the access log and the span. An
 * audit-mode rule that would deny is recorded there too, and the request goes on.
 */
public final class AuthorizationService extends SimpleDecoratingHttpService {

    /**
     * Decides with the service's policy in force ({@code policy}, a {@code PolicyStore.forService} supplier, so a
     * reload takes effect on the next request), in the version the request is pinned to ({@link RequestPolicy}).
     */
    public static Function<? super HttpService, AuthorizationService> newDecorator(Supplier<ServicePolicy> policy) {
        return delegate -> new AuthorizationService(delegate, policy);
    }

    private final Supplier<ServicePolicy> policy;

    AuthorizationService(HttpService delegate, Supplier<ServicePolicy> policy) {
        super(delegate);
        this.policy = requireNonNull(policy, "policy");
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final RequestHeaders headers = req.headers();
        final InboundRequest view = InboundRequest.of(ctx);
        final String normalised = view.normalizedPath();
        final PeerIdentity peer = ctx.attr(PeerIdentity.ATTR);
        final VerifiedToken token = ctx.attr(VerifiedToken.ATTR);
        final Map<String, ?> claims = token != null ? token.claims() : Map.of();
        final ServicePolicy policy = RequestPolicy.of(ctx, this.policy);
        final AuthzRequest authz = new AuthzRequest(
                policy.service(),
                peer != null ? peer.id().toString() : null,
                token != null ? token.requestPrincipal() : null,
                claims,
                headers.method().name(),
                normalised,
                AuthzRequest.grpcMethodOf(
                        headers.method().name(), normalised, headers.get(HttpHeaderNames.CONTENT_TYPE)),
                new Lookup(headers),
                ctx.remoteAddress().getAddress(),
                QueryParams.of(view.query()));
        final Decision decision = policy.decide(authz);
        ctx.setAttr(StageOutcomes.AUTHZ_DECISION, decision);
        if (!decision.allowed()) {
            return Refusals.respond(ctx, headers, Refusal.of(RefusalKind.FORBIDDEN, ReasonCode.of(decision.reason())));
        }
        return unwrap().serve(ctx, req);
    }

    /** The request's own headers as the engine reads them: no copy; every value for {@code headerRegex}. */
    private record Lookup(RequestHeaders headers) implements HeaderLookup {
        @Override
        public String get(String name) {
            return headers.get(name);
        }

        @Override
        public List<String> all(String name) {
            return headers.getAll(name);
        }
    }
}
