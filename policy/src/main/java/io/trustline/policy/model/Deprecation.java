package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;

/**
 * A deprecated route ({@code spec.deprecations}): responses to matching calls carry {@code Deprecation} (RFC
 * 9745), {@code Sunset} (RFC 8594) and {@code Link} headers, usage is counted, and after the sunset the route can
 * be refused with 410 Gone by policy, without a change to the app.
 *
 * @param name unique per service; the metric tag and the log field
 * @param match the calls it covers (methods, paths, gRPC methods)
 * @param deprecated when the route is (or will be) deprecated
 * @param sunset when the route stops being served; empty: no sunset announced
 * @param link where callers read about the deprecation; empty: no {@code Link} header
 * @param refuseAfterSunset {@code afterSunset: refuse}: calls after the sunset are refused with 410
 * @param mode the effective mode: in audit, a refusal after the sunset is recorded and the call goes on
 */
public record Deprecation(
        String name,
        RateLimitMatch match,
        Instant deprecated,
        Optional<Instant> sunset,
        Optional<URI> link,
        boolean refuseAfterSunset,
        Mode mode,
        Origin origin) {

    public Deprecation {
        requireNonNull(name, "name");
        requireNonNull(match, "match");
        requireNonNull(deprecated, "deprecated");
        requireNonNull(sunset, "sunset");
        requireNonNull(link, "link");
        requireNonNull(mode, "mode");
        requireNonNull(origin, "origin");
    }

    /** Whether the sunset has passed at {@code now} (never without a sunset). */
    public boolean sunsetPassed(Instant now) {
        return sunset.isPresent() && !now.isBefore(sunset.get());
    }
}
