package io.trustline.policy;

import static io.trustline.policy.ReadContext.orEmpty;

import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Rate;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.policy.model.RateLimitMatch;
import io.trustline.policy.model.RateOverride;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads {@code spec.rateLimits[]}: which requests a limit counts, its key, rate, burst and overrides. */
final class RateLimitReader {

    private final ReadContext ctx;
    private final Problems problems;
    private final MatchValues values;

    RateLimitReader(ReadContext ctx) {
        this.ctx = ctx;
        this.problems = ctx.problems();
        this.values = new MatchValues(problems);
    }

    @Nullable
    RateLimit rateLimit(YamlNode n) {
        Fields f = Fields.of(n, "rateLimits", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly("name", "match", "key", "rate", "burst", "overrides", "mode");
        String name = ctx.entryName(f, "rateLimits");
        RateLimitMatch match = RateLimitMatch.ALL;
        Fields m = ctx.nonEmptyMap(f, "match", "every request");
        if (m != null) {
            m.allowOnly("methods", "paths", "grpc", "principals");
            match = new RateLimitMatch(
                    orEmpty(m.optionalList("methods", x -> values.method(x, m.name("methods")))),
                    orEmpty(m.optionalList("paths", x -> values.pathPattern(x, m.name("paths")))),
                    orEmpty(m.optionalList("grpc", x -> values.grpcPattern(x, m.name("grpc")))),
                    orEmpty(m.optionalList("principals", x -> values.principal(x, m.name("principals")))));
        }
        RateLimitKey key = null;
        String k = f.requiredString("key");
        if (k != null) {
            try {
                key = RateLimitKey.parse(k);
            } catch (IllegalArgumentException e) {
                problems.add(f.locationOf("key"), "rateLimits." + e.getMessage());
            }
        }
        YamlNode rateNode = f.node("rate");
        Rate rate = rateNode != null ? ctx.rate(rateNode, "rateLimits.rate") : null;
        if (!f.has("rate")) {
            f.required("rate");
        }
        Long burst = f.optionalLong("burst", 1, 1_000_000_000);
        List<RateOverride> overrides = f.optionalList("overrides", this::override);
        if (overrides != null && key != null && key.kind() == RateLimitKey.Kind.GLOBAL) {
            problems.add(
                    f.locationOf("overrides"),
                    "rateLimits.overrides: key 'global' has a single bucket (expected: no overrides)");
        }
        if (overrides != null) {
            Set<String> seen = new LinkedHashSet<>();
            for (RateOverride o : overrides) {
                if (!seen.add(o.value())) {
                    problems.add(
                            f.locationOf("overrides"), "rateLimits.overrides: value '" + o.value() + "' listed twice");
                }
            }
        }
        Mode mode = ctx.entryMode(f);
        if (name == null || key == null || rate == null || problems.count() != before) {
            return null;
        }
        return new RateLimit(
                name,
                match,
                key,
                rate,
                burst == null ? rate.tokens() : burst,
                overrides == null ? List.of() : overrides,
                mode,
                ctx.origin(n.location()));
    }

    @Nullable
    private RateOverride override(YamlNode n) {
        Fields f = Fields.of(n, "rateLimits.overrides", problems);
        if (f == null) {
            return null;
        }
        f.allowOnly("value", "rate", "burst");
        String value = f.requiredString("value");
        YamlNode rateNode = f.node("rate");
        Rate rate = rateNode != null ? ctx.rate(rateNode, "rateLimits.overrides.rate") : null;
        if (!f.has("rate")) {
            f.required("rate");
        }
        Long burst = f.optionalLong("burst", 1, 1_000_000_000);
        if (value == null || rate == null) {
            return null;
        }
        return new RateOverride(value, rate, burst == null ? rate.tokens() : burst);
    }
}
