package io.trustline.sidecar.config;

/**
 * Sidecar-wide JWT settings ({@code jwt:} in {@code sidecar.yaml}); the issuers themselves come from policy.
 *
 * @param replayStoreSize tokens the replay guard remembers at once (issuer + {@code jti}), for issuers with a
 *     {@code replay} guard; default 50000 (about 200 bytes each). When it is full, new tokens of such issuers are
 *     refused with {@code jwt.replay_store_full} until remembered ones expire
 */
public record JwtConfig(Integer replayStoreSize) {

    /** The default size of the replay guard's store. */
    public static final int DEFAULT_REPLAY_STORE_SIZE = 50_000;

    // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
    // constructor replaces it, so the record's accessors never return null.
    @SuppressWarnings("NullAway")
    static final JwtConfig DEFAULT = new JwtConfig(null);

    public JwtConfig {
        if (replayStoreSize == null) {
            replayStoreSize = DEFAULT_REPLAY_STORE_SIZE;
        }
        if (replayStoreSize < 1) {
            throw new IllegalArgumentException("replayStoreSize: " + replayStoreSize + " (expected: >= 1)");
        }
    }
}
