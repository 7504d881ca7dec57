package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A token-bucket limit (an entry of {@code spec.rateLimits}). Every limit whose {@code match}
 * matches a request applies; the request passes only if all of them pass.
 *
 * @param name unique among the limits of a service; named in logs, spans and metrics
 * @param burst the bucket size (default: the rate's N)
 * @param overrides per key value; the first with an equal value wins
 * @param mode the effective mode: audit if this limit or its policy says so
 */
public record RateLimit(
        String name,
        RateLimitMatch match,
        RateLimitKey key,
        Rate rate,
        long burst,
        List<RateOverride> overrides,
        Mode mode,
        Origin origin) {

    public RateLimit {
        requireNonNull(name, "name");
        requireNonNull(match, "match");
        requireNonNull(key, "key");
        requireNonNull(rate, "rate");
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: > 0)");
        }
        overrides = List.copyOf(overrides);
        requireNonNull(mode, "mode");
        requireNonNull(origin, "origin");
    }

    public static RateLimit of(String name, RateLimitKey key, Rate rate) {
        return new RateLimit(
                name, RateLimitMatch.ALL, key, rate, rate.tokens(), List.of(), Mode.ENFORCE, Origin.PROGRAMMATIC);
    }

    /** The override for a key value, if any. */
    public Optional<RateOverride> overrideFor(String keyValue) {
        for (RateOverride o : overrides) {
            if (o.value().equals(keyValue)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }
}
