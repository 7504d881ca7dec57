package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How an issuer's keys are kept (the {@code jwksCache} section of a {@code jwt} entry).
 *
 * @param refreshInterval keys are refetched this often, ahead of use (default 5m)
 * @param maxStaleness through an issuer outage the last good keys are used for at most this long,
 *     then verification fails closed with {@code jwt.jwks_unavailable} (default 1h)
 * @param minRefetchInterval a token with an unknown {@code kid} triggers a refetch at most this
 *     often (default 30s), so unknown kids cannot be used to hammer the issuer
 * @param fetchTimeout timeout of one fetch (default 5s)
 */
public record JwksCache(
        Duration refreshInterval, Duration maxStaleness, Duration minRefetchInterval, Duration fetchTimeout) {

    public static final JwksCache DEFAULT =
            new JwksCache(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofSeconds(30), Duration.ofSeconds(5));

    public JwksCache {
        requireNonNull(refreshInterval, "refreshInterval");
        requireNonNull(maxStaleness, "maxStaleness");
        requireNonNull(minRefetchInterval, "minRefetchInterval");
        requireNonNull(fetchTimeout, "fetchTimeout");
    }
}
