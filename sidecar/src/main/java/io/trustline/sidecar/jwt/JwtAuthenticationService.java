package io.trustline.sidecar.jwt;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.netty.util.AsciiString;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.HeaderEdits;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.VerifiedToken;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 5 of the inbound pipeline: authenticates the end user from a JWT, against the issuers of the policy in
 * force ({@link JwtAuthenticator}).
 *
 * <ul>
 *   <li>Every header an issuer sets from claims is removed from the request first, token or not, so a caller
 *       cannot spoof one.
 *   <li>No token: the request goes on without a user and policy decides ({@code authz.token_required}), unless an
 *       issuer says {@code required: true}: then 401 {@code jwt.missing} with a bare {@code WWW-Authenticate:
 *       Bearer}.
 *   <li>A valid token: {@link VerifiedToken#ATTR} is set for authorization, claim headers are set for the app, and
 *       the token is removed on the way to the app if its issuer says {@code forwardToken: false}.
 *   <li>An invalid token: 401 with {@code WWW-Authenticate: Bearer error="invalid_token"} (gRPC: UNAUTHENTICATED)
 *       and the reason code, nothing else. What failed goes on {@link JwtFailure#ATTR} for the access log and the span.
 *       In {@code mode: audit} the failure is recorded and the request goes on, without a user.
 *   <li>An issuer with a {@code replay} guard counts each verified token (cached or not) by issuer and {@code jti}:
 *       one use too many is 401 {@code jwt.replayed}, a token without {@code jti} 401 {@code jwt.missing_jti}
 *       (unless {@code requireJti: false}); a token it cannot remember because its store is full is 503
 *       {@code jwt.replay_store_full} (gRPC: UNAVAILABLE). In audit mode the user stays verified and the failure is
 *       recorded.
 *   <li>A token naming a key the JWKS does not have waits, without blocking, for one rate-limited refetch of the
 *       issuer's keys, then is checked again.
 * </ul>
 */
public final class JwtAuthenticationService extends SimpleDecoratingHttpService {

    private static final Logger logger = LoggerFactory.getLogger(JwtAuthenticationService.class);

    private static final JwtFailure MISSING_ENFORCED =
            new JwtFailure(JwtReason.MISSING, null, "no token, and an issuer says required: true", Mode.ENFORCE);
    private static final JwtFailure MISSING_AUDITED =
            new JwtFailure(JwtReason.MISSING, null, "no token, and an issuer says required: true", Mode.AUDIT);

    /** Decorates with {@code authenticator}, whose issuers follow the policy in force. */
    public static Function<? super HttpService, JwtAuthenticationService> newDecorator(JwtAuthenticator authenticator) {
        return delegate -> new JwtAuthenticationService(delegate, authenticator);
    }

    private final JwtAuthenticator authenticator;

    JwtAuthenticationService(HttpService delegate, JwtAuthenticator authenticator) {
        super(delegate);
        this.authenticator = authenticator;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final Issuers issuers = authenticator.current();
        if (issuers.isEmpty()) {
            return unwrap().serve(ctx, req);
        }
        final RequestHeaders headers = req.headers();
        removeClaimHeaders(ctx, headers, issuers.claimHeaders());
        final FoundToken token = issuers.find(headers, issuers.queryParams().isEmpty() ? null : ctx.query());
        if (token == null) {
            final Mode required = issuers.requiredMode();
            if (required == null) {
                authenticator.countNoToken();
                return unwrap().serve(ctx, req);
            }
            return fail(ctx, req, issuers, required == Mode.AUDIT ? MISSING_AUDITED : MISSING_ENFORCED);
        }
        if (token == TokenExtractor.MULTIPLE) {
            final JwtFailure f = new JwtFailure(
                    JwtReason.MULTIPLE_TOKENS, null, "more than one token in the request", issuers.unattributedMode());
            return fail(ctx, req, issuers, f);
        }
        final Verification v = authenticator.verify(issuers, token, true);
        if (v instanceof Verification.Pending pending) {
            // An unknown kid: wait (without blocking) for the refetch, then check once more, on this event loop.
            return HttpResponse.of(pending.keysRefetched()
                    .handleAsync(
                            (unused, cause) ->
                                    complete(ctx, req, issuers, token, authenticator.verify(issuers, token, false)),
                            ctx.eventLoop()));
        }
        return complete(ctx, req, issuers, token, v);
    }

    private HttpResponse complete(
            ServiceRequestContext ctx, HttpRequest req, Issuers issuers, FoundToken token, Verification v) {
        authenticator.count(v);
        if (v instanceof Verification.Verified ok) {
            if (ok.provider().replay().isPresent()) {
                final JwtFailure replay = authenticator.checkReplay(ok.provider(), ok.token());
                if (replay != null) {
                    authenticator.countFailure(replay);
                    if (!replay.audited()) {
                        return respond(ctx, req, replay);
                    }
                    // Audit: the token is valid, so the user stays verified; the would-be refusal is recorded.
                    ctx.setAttr(JwtFailure.ATTR, replay);
                }
            }
            ctx.setAttr(VerifiedToken.ATTR, ok.token());
            final List<ClaimHeaderValue> claimHeaders = ok.headers();
            if (!claimHeaders.isEmpty()) {
                final HeaderEdits edits = edits(ctx);
                for (int i = 0; i < claimHeaders.size(); i++) {
                    final ClaimHeaderValue h = claimHeaders.get(i);
                    edits.set(h.header(), h.value());
                }
            }
            if (!ok.provider().forwardToken()) {
                withhold(ctx, token);
            }
            return serveDelegate(ctx, req);
        }
        final Verification.Failed failed = (Verification.Failed) v;
        final JwtProvider provider = failed.provider();
        if (failed.failure().mode() == Mode.AUDIT
                && (provider != null ? !provider.forwardToken() : issuers.withholdsTokens())) {
            withhold(ctx, token);
        }
        return respond(ctx, req, failed.failure());
    }

    private HttpResponse fail(ServiceRequestContext ctx, HttpRequest req, Issuers issuers, JwtFailure failure) {
        authenticator.countFailure(failure);
        if (failure.audited() && issuers.withholdsTokens()) {
            withholdAll(ctx, req.headers(), issuers);
        }
        return respond(ctx, req, failure);
    }

    private HttpResponse respond(ServiceRequestContext ctx, HttpRequest req, JwtFailure failure) {
        ctx.setAttr(JwtFailure.ATTR, failure);
        if (failure.audited()) {
            if (logger.isDebugEnabled()) {
                logger.debug(
                        "jwt would be rejected (audit) request_id={} reason={} issuer={} detail={}",
                        ctx.id().text(),
                        failure.reason(),
                        failure.issuer(),
                        failure.detail());
            }
            return serveDelegate(ctx, req);
        }
        return Refusals.respond(ctx, req.headers(), failure.reason().refusal());
    }

    private HttpResponse serveDelegate(ServiceRequestContext ctx, HttpRequest req) {
        try {
            return unwrap().serve(ctx, req);
        } catch (Exception e) {
            return HttpResponse.ofFailure(e);
        }
    }

    private static void removeClaimHeaders(
            ServiceRequestContext ctx, RequestHeaders headers, List<AsciiString> claimHeaders) {
        HeaderEdits edits = null;
        for (int i = 0; i < claimHeaders.size(); i++) {
            final AsciiString name = claimHeaders.get(i);
            if (headers.contains(name)) {
                if (edits == null) {
                    edits = edits(ctx);
                }
                edits.remove(name);
            }
        }
    }

    /** Removes the token from what the app receives ({@code forwardToken: false}). */
    private static void withhold(ServiceRequestContext ctx, FoundToken token) {
        if (token.source() != null) {
            edits(ctx).remove(token.source().header());
        } else if (token.queryParam() != null) {
            removeQueryParams(ctx, List.of(token.queryParam()));
        }
    }

    /** Removes every place a token may be in, when the failure could not be tied to one issuer's token. */
    private static void withholdAll(ServiceRequestContext ctx, RequestHeaders headers, Issuers issuers) {
        for (TokenExtractor.HeaderSource s : issuers.headerSources()) {
            if (headers.contains(s.name())) {
                edits(ctx).remove(s.name());
            }
        }
        if (!issuers.queryParams().isEmpty()) {
            removeQueryParams(ctx, issuers.queryParams());
        }
    }

    private static void removeQueryParams(ServiceRequestContext ctx, List<String> names) {
        final InboundRequest view = InboundRequest.of(ctx);
        if (view.query() == null) {
            return;
        }
        // The proxy sends the app the view's path and query: replace the query it will use.
        InboundRequest.put(ctx, view.withQuery(TokenExtractor.withoutParams(view.query(), names)));
    }

    private static HeaderEdits edits(ServiceRequestContext ctx) {
        HeaderEdits edits = ctx.attr(HeaderEdits.ATTR);
        if (edits == null) {
            edits = new HeaderEdits();
            ctx.setAttr(HeaderEdits.ATTR, edits);
        }
        return edits;
    }
}
