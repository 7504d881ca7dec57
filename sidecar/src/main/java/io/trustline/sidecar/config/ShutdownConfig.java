package io.trustline.sidecar.config;

import java.time.Duration;

/**
 * How the sidecar stops on SIGTERM ({@code shutdown:} in {@code sidecar.yaml}): every listener lets the requests in
 * flight finish, but waits at most {@code drainTimeout} for them; whatever still runs then is refused (503 /
 * UNAVAILABLE), and the process exits.
 *
 * @param drainTimeout default {@value #DEFAULT_DRAIN_TIMEOUT_SECONDS}s; 0 stops at once without draining
 */
public record ShutdownConfig(Duration drainTimeout) {

    static final long DEFAULT_DRAIN_TIMEOUT_SECONDS = 5;

    /** Default {@code drainTimeout}, as Istio's {@code terminationDrainDuration}. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(DEFAULT_DRAIN_TIMEOUT_SECONDS);

    // null picks the default, as an absent YAML key does; NullAway cannot see that the compact constructor replaces it.
    @SuppressWarnings("NullAway")
    static final ShutdownConfig DEFAULT = new ShutdownConfig(null);

    public ShutdownConfig {
        if (drainTimeout == null) {
            drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "drainTimeout: " + Durations.format(drainTimeout) + " (expected: >= 0; 0 = no draining)");
        }
    }
}
