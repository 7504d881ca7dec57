package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

/**
 * A different rate for one key value of a limit, e.g. a higher limit for a batch job's principal.
 *
 * @param value the key value exactly (a SPIFFE ID, {@code iss/sub}, claim value, IP address, route)
 * @param burst bucket size (default: the override rate's N)
 */
public record RateOverride(String value, Rate rate, long burst) {

    public RateOverride {
        requireNonNull(value, "value");
        requireNonNull(rate, "rate");
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: > 0)");
        }
    }
}
