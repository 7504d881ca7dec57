package io.trustline.sidecar.ratelimit;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.policy.model.RateLimitMatch;
import io.trustline.policy.model.RateOverride;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.request.RateLimitOutcome;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/** One {@code rateLimits} entry ready for the request path: its buckets, match and metric. */
final class CompiledLimit {

    final RateLimit limit;
    final String name;
    final RateLimitKey key;
    final boolean enforced;
    final KeyedBuckets buckets;
    final RateLimitOutcome outcome;
    private final @Nullable RateLimitMatch match;
    private final Counter refusals;

    CompiledLimit(RateLimit limit, long maxKeys, Ticker ticker, Executor executor, MeterRegistry meters) {
        this.limit = limit;
        name = limit.name();
        key = limit.key();
        enforced = limit.mode() == Mode.ENFORCE;
        match = limit.match().equals(RateLimitMatch.ALL) ? null : limit.match();
        final boolean addressKey =
                key.kind() == RateLimitKey.Kind.SOURCE_IP || key.kind() == RateLimitKey.Kind.PRINCIPAL;
        final Map<String, BucketSpec> overrides = new HashMap<>();
        for (RateOverride o : limit.overrides()) {
            final String value = addressKey ? RateLimitKeys.normalizeAddress(o.value()) : o.value();
            overrides.putIfAbsent(RateLimitKeys.bounded(value), BucketSpec.of(o.rate(), o.burst()));
        }
        buckets = new KeyedBuckets(BucketSpec.of(limit.rate(), limit.burst()), overrides, maxKeys, ticker, executor);
        outcome = new RateLimitOutcome(name, RateLimitOutcome.Kind.LIMIT, enforced);
        refusals = Counter.builder(MetricNames.RATELIMIT_REFUSALS)
                .description("Requests refused by a rate limit (mode=audit: would have been)")
                .tag(MetricNames.LIMIT, name)
                .tag(MetricNames.MODE, limit.mode().yamlName())
                .register(meters);
    }

    boolean matches(String method, String path, @Nullable String grpcMethod, @Nullable String principal) {
        return match == null || match.matches(method, path, grpcMethod, principal);
    }

    void countRefusal() {
        refusals.increment();
    }
}
