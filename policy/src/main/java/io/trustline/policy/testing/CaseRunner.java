package io.trustline.policy.testing;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.CorsCheck;
import io.trustline.policy.engine.Decision;
import io.trustline.policy.engine.DeprecatedRoute;
import io.trustline.policy.engine.Explanation;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.engine.RequestLimitsCheck;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.policy.model.Mode;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Runs cases against an engine the way the sidecar evaluates requests, in the inbound pipeline's order: path
 * normalisation, {@code requestLimits}, {@code cors} (an allowed preflight is answered there: {@code allow
 * cors.preflight}), the authorization decision ({@link ServicePolicy#decide}), then {@code deprecations} (a call
 * after a sunset with {@code afterSunset: refuse}). The first stage that refuses decides. The audit result is what
 * the same pipeline decides with every audit-mode entry enforced; it is reported when it differs from the outcome or
 * when an audit-mode entry decided it. The explanation is computed as well, for failure reports; the checked
 * outcome comes from the hot-path methods, not from {@code explain}.
 */
public final class CaseRunner {

    private CaseRunner() {}

    /** Evaluates one request as the sidecar would; a request without {@code time} is made now. */
    public static Outcome evaluate(PolicyEngine engine, CaseRequest request) {
        CaseRequest.Prepared p = request.prepare();
        if (p.request() == null) {
            return Outcome.rejected(p.path());
        }
        return evaluate(engine, request, p.request());
    }

    public static CaseResult run(PolicyEngine engine, PolicyCase c) {
        CaseRequest.Prepared p = c.request().prepare();
        if (p.request() == null) {
            Outcome o = Outcome.rejected(p.path());
            return new CaseResult(c, o, c.expect().mismatches(o), null);
        }
        Outcome o = evaluate(engine, c.request(), p.request());
        Explanation e = engine.explain(p.request());
        return new CaseResult(c, o, c.expect().mismatches(o), e);
    }

    public static List<CaseResult> runAll(PolicyEngine engine, List<PolicyCase> cases) {
        return cases.stream().map(c -> run(engine, c)).toList();
    }

    private static Outcome evaluate(PolicyEngine engine, CaseRequest c, AuthzRequest r) {
        Instant now = c.time() != null ? c.time() : Clock.systemUTC().instant();
        // The sidecar's stages read this same per-service view, and decide with the same ServicePolicy.decide.
        ServicePolicy policy = engine.forService(r.service());
        Step enforced = pipeline(policy, c, r, now, false);
        Step shadow = pipeline(policy, c, r, now, true);
        boolean differs = enforced.outcome.allowed() != shadow.outcome.allowed()
                || !enforced.outcome.reason().equals(shadow.outcome.reason());
        return enforced.outcome.withAudit(differs || shadow.byAudit ? shadow.outcome : null);
    }

    /** The outcome of the first stage that decides, and whether an audit-mode entry decided it. */
    private record Step(Outcome outcome, boolean byAudit) {}

    private static Step pipeline(ServicePolicy policy, CaseRequest c, AuthzRequest r, Instant now, boolean shadow) {
        RequestLimitsCheck limits = policy.requestLimits().orElse(null);
        if (limits != null && (shadow || limits.mode() == Mode.ENFORCE)) {
            RequestLimitsCheck.Exceeded exceeded =
                    limits.check(r.query().raw(), c.headers().size());
            if (exceeded != null) {
                return new Step(
                        new Outcome(false, exceeded.reason(), limits.policy(), null, null),
                        limits.mode() == Mode.AUDIT);
            }
        }
        CorsCheck cors = policy.cors().orElse(null);
        if (cors != null) {
            CorsCheck.Outcome o = cors.check(
                    r.method(),
                    c.header("origin"),
                    "https",
                    authority(c),
                    c.header("access-control-request-method"),
                    c.header("access-control-request-headers"));
            boolean audit = cors.mode() == Mode.AUDIT;
            if (o == CorsCheck.Outcome.PREFLIGHT_ALLOWED) {
                return new Step(
                        new Outcome(true, requireNonNull(o.reason(), "reason"), cors.policy(), null, null), false);
            }
            if (!o.allowed() && (shadow || !audit)) {
                // Every refusal, like an answered preflight, has a reason code.
                return new Step(
                        new Outcome(false, requireNonNull(o.reason(), "reason"), cors.policy(), null, null), audit);
            }
        }
        Decision d = policy.decide(r);
        Decision audit = shadow ? d.audit() : null;
        boolean byAudit = audit != null;
        Decision used = audit != null ? audit : d;
        if (!used.allowed()) {
            return new Step(Outcome.of(used), byAudit);
        }
        DeprecatedRoute route = policy.deprecations().match(r.method(), r.path(), r.grpcMethod());
        if (route != null && route.refuses(now) && (shadow || route.mode() == Mode.ENFORCE)) {
            return new Step(
                    new Outcome(false, DeprecatedRoute.SUNSET, route.policy(), route.name(), null),
                    route.mode() == Mode.AUDIT);
        }
        return new Step(Outcome.of(used), byAudit);
    }

    /** {@code :authority} or {@code host}, as the sidecar sees it. */
    private static @Nullable String authority(CaseRequest c) {
        String a = c.header(":authority");
        return a != null ? a : c.header("host");
    }
}
