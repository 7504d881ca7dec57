package io.trustline.sidecar.config;

import java.time.Duration;

/**
 * A security-event line when one caller (peer SPIFFE ID, or IP without one) fails authentication or authorization
 * {@code threshold} times within {@code window}.
 *
 * @param threshold failures that raise an event; default 20, 0 switches events off
 * @param window default 1m
 * @param maxCallers callers tracked at once (least recent dropped first); default 10000
 */
public record SecurityEventsConfig(Integer threshold, Duration window, Integer maxCallers) {

    // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
    // constructor replaces it, so the record's accessors never return null.
    @SuppressWarnings("NullAway")
    static final SecurityEventsConfig DEFAULT = new SecurityEventsConfig(null, null, null);

    public SecurityEventsConfig {
        if (threshold == null) {
            threshold = 20;
        }
        if (window == null) {
            window = Duration.ofMinutes(1);
        }
        if (maxCallers == null) {
            maxCallers = 10_000;
        }
        if (threshold < 0) {
            throw new IllegalArgumentException("threshold: " + threshold + " (expected: >= 0; 0 = off)");
        }
        if (window.isZero() || window.isNegative()) {
            throw new IllegalArgumentException("window: " + Durations.format(window) + " (expected: > 0)");
        }
        if (maxCallers < 1) {
            throw new IllegalArgumentException("maxCallers: " + maxCallers + " (expected: >= 1)");
        }
    }
}
