package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * An issuer's token replay guard ({@code jwt[].replay}): each token, identified by its issuer and {@code jti}, may be
 * used at most {@code maxUses} times (within {@code window} when set, else until it expires). Counted per sidecar.
 *
 * @param maxUses 1 makes tokens single-use
 * @param window when set, the count starts again this long after a token's first use; empty: until the token expires
 * @param requireJti whether a token without {@code jti} is refused ({@code jwt.missing_jti}); default true
 * @param mode the effective mode
 */
public record ReplayGuard(int maxUses, Optional<Duration> window, boolean requireJti, Mode mode) {

    public ReplayGuard {
        if (maxUses < 1) {
            throw new IllegalArgumentException("maxUses: " + maxUses + " (expected: >= 1)");
        }
        requireNonNull(window, "window");
        requireNonNull(mode, "mode");
    }
}
