package io.trustline.policy;

import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.Rate;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlNode;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads {@code spec.penalty}: the box that throttles callers who keep failing authentication or authorization. */
final class PenaltyReader {

    private final ReadContext ctx;
    private final Problems problems;

    PenaltyReader(ReadContext ctx) {
        this.ctx = ctx;
        this.problems = ctx.problems();
    }

    @Nullable
    Penalty penalty(YamlNode n) {
        Fields f = Fields.of(n, "penalty", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly("key", "failures", "threshold", "window", "duration", "rate", "burst", "mode");
        RateLimitKey key = RateLimitKey.PRINCIPAL;
        String k = f.optionalString("key");
        if (k != null) {
            switch (k) {
                case "principal" -> key = RateLimitKey.PRINCIPAL;
                case "requestPrincipal" -> key = RateLimitKey.REQUEST_PRINCIPAL;
                case "sourceIp" -> key = RateLimitKey.SOURCE_IP;
                default ->
                    problems.add(
                            f.locationOf("key"),
                            "penalty.key: '" + k + "' (expected: principal, requestPrincipal or sourceIp)");
            }
        }
        Set<Penalty.Failure> failures = EnumSet.allOf(Penalty.Failure.class);
        List<Penalty.Failure> fl = f.optionalList("failures", this::failure);
        if (fl != null && !fl.isEmpty()) {
            failures = EnumSet.copyOf(fl);
        }
        f.required("threshold");
        Long threshold = f.optionalLong("threshold", 1, 1_000_000);
        if (!f.has("window")) {
            f.required("window");
        }
        Duration window = ctx.optionalDuration(f, "window", Duration.ofSeconds(1), Duration.ofDays(1));
        if (!f.has("duration")) {
            f.required("duration");
        }
        Duration duration = ctx.optionalDuration(f, "duration", Duration.ofSeconds(1), Duration.ofDays(7));
        YamlNode rateNode = f.node("rate");
        Rate rate = rateNode != null ? ctx.rate(rateNode, "penalty.rate") : null;
        Long burst = f.optionalLong("burst", 1, 1_000_000_000);
        if (burst != null && !f.has("rate")) {
            problems.add(
                    f.locationOf("burst"),
                    "penalty.burst: without rate (expected: a rate, or no burst: boxed callers are refused)");
        }
        Mode mode = ctx.entryMode(f);
        if (threshold == null || window == null || duration == null || problems.count() != before) {
            return null;
        }
        return new Penalty(
                key,
                failures,
                threshold.intValue(),
                window,
                duration,
                Optional.ofNullable(rate),
                rate == null ? 0 : burst == null ? rate.tokens() : burst,
                mode,
                ctx.origin(n.location()));
    }

    private Penalty.@Nullable Failure failure(YamlNode n) {
        String s = Fields.string(n, "penalty.failures", problems);
        if (s == null) {
            return null;
        }
        switch (s) {
            case "authn":
                return Penalty.Failure.AUTHN;
            case "authz":
                return Penalty.Failure.AUTHZ;
            default:
                problems.add(n, "penalty.failures: '" + s + "' (expected: authn or authz)");
                return null;
        }
    }
}
