package io.trustline.sidecar.ratelimit;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.Refusals;
import java.util.function.Function;

/**
 * Stages 4 and 7 of the inbound pipeline: the local rate limits of the service's policy ({@link RateLimits}). The
 * {@link Phase#PEER} stage, before JWT verification, checks the limits keyed by peer, source address, route or
 * nothing (global), and the penalty box for peers and addresses, so a flood cannot make the sidecar verify
 * signatures; it also watches every response after it for the 401s and 403s that fill the penalty box. The
 * {@link Phase#USER} stage, after authorization, checks the limits keyed by the verified user (request principal
 * or a claim) and the penalty box for users.
 *
 * <p>A refusal is 429 / RESOURCE_EXHAUSTED ({@code ratelimit.exceeded}, or {@code ratelimit.penalty_box}) with
 * {@code RateLimit-Limit}, {@code RateLimit-Remaining}, {@code RateLimit-Reset} and {@code Retry-After}; an allowed
 * request on a limited route gets the {@code RateLimit-*} headers of the bucket closest to refusing.
 */
public final class RateLimitService extends SimpleDecoratingHttpService {

    /** Where in the pipeline a stage runs, which decides the limits it checks. */
    public enum Phase {
        /** Before JWT verification: limits keyed by {@code principal}, {@code sourceIp}, {@code route}, global. */
        PEER,
        /** After authorization: limits keyed by {@code requestPrincipal} or {@code claim:<name>}. */
        USER
    }

    /** The stage of {@code phase}, checking the limits of {@code limits} (one instance shared by both stages). */
    public static Function<? super HttpService, RateLimitService> newDecorator(RateLimits limits, Phase phase) {
        requireNonNull(limits, "limits");
        requireNonNull(phase, "phase");
        return delegate -> new RateLimitService(delegate, limits, phase);
    }

    private final RateLimits limits;
    private final Phase phase;

    RateLimitService(HttpService delegate, RateLimits limits, Phase phase) {
        super(delegate);
        this.limits = limits;
        this.phase = phase;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final Refusal refusal = limits.check(phase, ctx, req.headers());
        if (refusal != null) {
            return Refusals.respond(ctx, req.headers(), refusal);
        }
        return unwrap().serve(ctx, req);
    }
}
