package io.trustline.sidecar.config;

import java.time.Duration;

/**
 * Passive outlier detection of a route with more than one endpoint ({@code outbound.routes.<name>.outlierDetection}):
 * an endpoint whose calls fail (5xx answers, failed connects and handshakes, resets) is taken out of the rotation for
 * a while. On by default with conservative values; never more than {@code maxEjectedPercent} of the endpoints are out
 * at once, so a route-wide outage still reaches the endpoints instead of emptying the route.
 *
 * @param enabled whether endpoints are ejected at all. Default true
 * @param failurePercent the share of failed calls, within {@code window}, at which an endpoint is ejected. Default 50
 * @param minimumRequests calls an endpoint must have had within {@code window} before it can be ejected. Default 10
 * @param window how far back calls are counted. Default 20s
 * @param ejectionTime how long an ejected endpoint stays out before it gets trial calls again. Default 30s
 * @param maxEjectedPercent the largest share of the route's endpoints that is ever out at once, rounded down (a
 *     route with one endpoint never ejects it). Default 50
 */
public record OutlierDetectionConfig(
        Boolean enabled,
        Integer failurePercent,
        Integer minimumRequests,
        Duration window,
        Duration ejectionTime,
        Integer maxEjectedPercent) {

    // null picks each default, as an absent YAML key does; NullAway cannot see that the compact constructor
    // replaces it, so the record's accessors never return null.
    @SuppressWarnings("NullAway")
    public static final OutlierDetectionConfig DEFAULT = new OutlierDetectionConfig(null, null, null, null, null, null);

    public OutlierDetectionConfig {
        if (enabled == null) {
            enabled = true;
        }
        if (failurePercent == null) {
            failurePercent = 50;
        }
        if (minimumRequests == null) {
            minimumRequests = 10;
        }
        if (window == null) {
            window = Duration.ofSeconds(20);
        }
        if (ejectionTime == null) {
            ejectionTime = Duration.ofSeconds(30);
        }
        if (maxEjectedPercent == null) {
            maxEjectedPercent = 50;
        }
        if (failurePercent < 1 || failurePercent > 100) {
            throw new IllegalArgumentException("failurePercent: " + failurePercent + " (expected: 1-100)");
        }
        if (minimumRequests < 1) {
            throw new IllegalArgumentException("minimumRequests: " + minimumRequests + " (expected: >= 1)");
        }
        if (window.toMillis() < 2000) {
            throw new IllegalArgumentException("window: " + Durations.format(window) + " (expected: >= 2s)");
        }
        if (ejectionTime.toMillis() < 1) {
            throw new IllegalArgumentException("ejectionTime: " + Durations.format(ejectionTime) + " (expected: > 0)");
        }
        if (maxEjectedPercent < 0 || maxEjectedPercent > 100) {
            throw new IllegalArgumentException("maxEjectedPercent: " + maxEjectedPercent + " (expected: 0-100)");
        }
    }
}
