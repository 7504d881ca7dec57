package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The adaptive penalty box ({@code spec.penalty}): a caller that collects {@code threshold}
 * counted failures within {@code window} is boxed for {@code duration}. While boxed it is limited
 * to {@code rate}/{@code burst}, or refused outright when no rate is given.
 *
 * @param key who is boxed: {@code principal}, {@code requestPrincipal} or {@code sourceIp}
 * @param failures which refusals count: {@code authn} (401s), {@code authz} (403s); default both
 * @param rate the reduced rate while boxed; empty = every request refused while boxed
 * @param burst bucket size while boxed (default: the rate's N; 0 when refusing)
 * @param mode the effective mode: audit records "would box" without boxing
 */
public record Penalty(
        RateLimitKey key,
        Set<Failure> failures,
        int threshold,
        Duration window,
        Duration duration,
        Optional<Rate> rate,
        long burst,
        Mode mode,
        Origin origin) {

    /** A kind of refusal that counts toward the threshold. */
    public enum Failure {
        AUTHN,
        AUTHZ
    }

    public Penalty {
        requireNonNull(key, "key");
        failures = Set.copyOf(failures);
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0)");
        }
        requireNonNull(window, "window");
        requireNonNull(duration, "duration");
        requireNonNull(rate, "rate");
        requireNonNull(mode, "mode");
        requireNonNull(origin, "origin");
    }

    /** Whether boxed callers are refused rather than slowed. */
    public boolean refuses() {
        return rate.isEmpty();
    }
}
