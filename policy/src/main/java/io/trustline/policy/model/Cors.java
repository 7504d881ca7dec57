package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A service's CORS policy ({@code spec.cors}): which browser origins may call it and how. The inbound sidecar
 * answers preflight requests itself and refuses cross-origin requests from other origins.
 *
 * @param allowOrigins origins exactly as browsers send them ({@code https://shop.example.org}, lower case, no
 *     path); {@code *} (only without credentials) lets every origin in
 * @param allowMethods methods a cross-origin request may use (default: GET, HEAD, POST)
 * @param allowHeaders request headers (lower case) a cross-origin request may send beyond none; empty: none
 * @param exposeHeaders response headers (lower case) the page may read beyond the safelisted ones; empty: none
 * @param maxAge how long a browser may cache a preflight answer; empty: no {@code Access-Control-Max-Age}
 * @param allowCredentials whether cookies and HTTP authentication go with cross-origin requests
 * @param mode the effective mode: in audit, what would be refused is recorded and goes on
 */
public record Cors(
        List<String> allowOrigins,
        List<String> allowMethods,
        List<String> allowHeaders,
        List<String> exposeHeaders,
        Optional<Duration> maxAge,
        boolean allowCredentials,
        Mode mode,
        Origin origin) {

    /** The methods allowed when {@code allowMethods} is absent: the CORS-safelisted ones. */
    public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "POST");

    public static final String ANY_ORIGIN = "*";

    public Cors {
        allowOrigins = List.copyOf(allowOrigins);
        allowMethods = List.copyOf(allowMethods);
        allowHeaders = List.copyOf(allowHeaders);
        exposeHeaders = List.copyOf(exposeHeaders);
        requireNonNull(maxAge, "maxAge");
        requireNonNull(mode, "mode");
        requireNonNull(origin, "origin");
        if (allowCredentials && allowOrigins.contains(ANY_ORIGIN)) {
            throw new IllegalArgumentException("allowOrigins: '*' with allowCredentials: true");
        }
    }

    /** Whether every origin is allowed ({@code *}). */
    public boolean anyOrigin() {
        return allowOrigins.contains(ANY_ORIGIN);
    }
}
