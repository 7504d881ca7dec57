package io.trustline.sidecar.config;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The circuit breaker of one route ({@code outbound.routes.<name>.limits}), Envoy's {@code max_requests} and
 * {@code max_pending_requests}: at most {@code maxConcurrent} requests are in flight to the route's endpoints; up to
 * {@code maxPending} more wait, each at most {@code pendingTimeout}, for one of them to finish; any request beyond
 * that is answered at once with 503 {@code upstream.overloaded}. Default: unlimited, as without this section.
 *
 * @param maxConcurrent requests in flight at once, retries included in their request. Default none (unlimited)
 * @param maxPending requests that may wait for a slot; 0 refuses at once. Default 0 when {@code maxConcurrent} is set
 * @param pendingTimeout how long a request waits for a slot before it is refused. Default 1s
 */
public record RouteLimitsConfig(@Nullable Integer maxConcurrent, Integer maxPending, Duration pendingTimeout) {

    @SuppressWarnings("NullAway")
    public static final RouteLimitsConfig UNLIMITED = new RouteLimitsConfig(null, null, null);

    public RouteLimitsConfig {
        if (maxPending == null) {
            maxPending = 0;
        }
        if (pendingTimeout == null) {
            pendingTimeout = Duration.ofSeconds(1);
        }
        if (maxConcurrent != null && maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent: " + maxConcurrent + " (expected: >= 1)");
        }
        if (maxPending < 0) {
            throw new IllegalArgumentException("maxPending: " + maxPending + " (expected: >= 0)");
        }
        if (pendingTimeout.toMillis() < 1) {
            throw new IllegalArgumentException(
                    "pendingTimeout: " + Durations.format(pendingTimeout) + " (expected: >= 1ms)");
        }
        if (maxConcurrent == null && maxPending > 0) {
            throw new IllegalArgumentException("maxPending: " + maxPending + " (expected: with maxConcurrent only)");
        }
    }

    /** Whether requests are limited at all. */
    public boolean limited() {
        return maxConcurrent != null;
    }
}
