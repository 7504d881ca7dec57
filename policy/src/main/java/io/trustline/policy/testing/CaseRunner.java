package io.trustline.policy.testing;

import io.trustline.policy.engine.Decision;
import io.trustline.policy.engine.Explanation;
import io.trustline.policy.engine.PolicyEngine;
import java.util.List;

/**
 * Runs cases against an engine the way the sidecar evaluates requests: path normalisation first,
 * then {@link PolicyEngine#decide}. The explanation is computed as well, for failure reports; the
 * checked outcome comes from {@code decide}, the hot-path method, not from {@code explain}.
 */
public final class CaseRunner {

    private CaseRunner() {}

    /** Evaluates one request as the sidecar would. */
    public static Outcome evaluate(PolicyEngine engine, CaseRequest request) {
        CaseRequest.Prepared p = request.prepare();
        if (p.request() == null) {
            return Outcome.rejected(p.path());
        }
        Decision d = engine.decide(p.request());
        return Outcome.of(d);
    }

    public static CaseResult run(PolicyEngine engine, PolicyCase c) {
        CaseRequest.Prepared p = c.request().prepare();
        if (p.request() == null) {
            Outcome o = Outcome.rejected(p.path());
            return new CaseResult(c, o, c.expect().mismatches(o), null);
        }
        Outcome o = Outcome.of(engine.decide(p.request()));
        Explanation e = engine.explain(p.request());
        return new CaseResult(c, o, c.expect().mismatches(o), e);
    }

    public static List<CaseResult> runAll(PolicyEngine engine, List<PolicyCase> cases) {
        return cases.stream().map(c -> run(engine, c)).toList();
    }
}
