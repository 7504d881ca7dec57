package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One accepted token issuer (an entry of {@code spec.jwt}). The policy module only describes and
 * validates it; the sidecar verifies tokens with it.
 *
 * @param issuer the exact {@code iss} value
 * @param audiences at least one; a token must name one of them in {@code aud}
 * @param algorithms the allow-list (default RS256, ES256, EdDSA)
 * @param jwksUri where the keys are published; exactly one of {@code jwksUri}/{@code jwksFile}
 * @param jwksFile a local JWKS file, resolved against the policy file's directory
 * @param clockSkew tolerance for {@code exp}, {@code nbf} and {@code iat} (default 60s)
 * @param maxTokenLifetime if present, tokens whose {@code exp - iat} exceeds it are rejected (and
 *     {@code iat} becomes required)
 * @param fromHeaders where tokens are looked for (default {@code Authorization: Bearer})
 * @param fromQuery a query parameter that may carry the token; empty = never from the query
 * @param claimsToHeaders claim name -> lower-case request header set for the app
 * @param forwardToken whether the token goes on to the app (default true)
 * @param required whether a request without any token is refused (401 {@code jwt.missing}) instead of going on
 *     to authorization without a user (default false)
 * @param maxTokenBytes longer tokens are rejected before parsing (default 8192)
 * @param jwksCache refresh and outage settings
 * @param replay the token replay guard; empty: tokens may be reused until they expire (default)
 * @param mode the effective mode: audit if this entry or its policy says so
 */
public record JwtProvider(
        String issuer,
        List<String> audiences,
        Set<JwtAlgorithm> algorithms,
        Optional<URI> jwksUri,
        Optional<Path> jwksFile,
        Duration clockSkew,
        Optional<Duration> maxTokenLifetime,
        List<TokenSource> fromHeaders,
        Optional<String> fromQuery,
        Map<String, String> claimsToHeaders,
        boolean forwardToken,
        boolean required,
        int maxTokenBytes,
        JwksCache jwksCache,
        Optional<ReplayGuard> replay,
        Mode mode,
        Origin origin) {

    public static final Set<JwtAlgorithm> DEFAULT_ALGORITHMS =
            Set.of(JwtAlgorithm.RS256, JwtAlgorithm.ES256, JwtAlgorithm.EdDSA);
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_TOKEN_BYTES = 8192;

    public JwtProvider {
        requireNonNull(issuer, "issuer");
        audiences = List.copyOf(audiences);
        algorithms = Set.copyOf(algorithms);
        requireNonNull(jwksUri, "jwksUri");
        requireNonNull(jwksFile, "jwksFile");
        if (jwksUri.isPresent() == jwksFile.isPresent()) {
            throw new IllegalArgumentException("jwksUri/jwksFile: (expected: exactly one of them)");
        }
        requireNonNull(clockSkew, "clockSkew");
        requireNonNull(maxTokenLifetime, "maxTokenLifetime");
        fromHeaders = List.copyOf(fromHeaders);
        requireNonNull(fromQuery, "fromQuery");
        claimsToHeaders = Map.copyOf(claimsToHeaders);
        requireNonNull(jwksCache, "jwksCache");
        requireNonNull(replay, "replay");
        requireNonNull(mode, "mode");
        requireNonNull(origin, "origin");
    }

    /** An issuer with the defaults for everything but the required fields. */
    public static JwtProvider of(String issuer, List<String> audiences, URI jwksUri) {
        return new JwtProvider(
                issuer,
                audiences,
                DEFAULT_ALGORITHMS,
                Optional.of(jwksUri),
                Optional.empty(),
                DEFAULT_CLOCK_SKEW,
                Optional.empty(),
                List.of(TokenSource.AUTHORIZATION_BEARER),
                Optional.empty(),
                Map.of(),
                true,
                false,
                DEFAULT_MAX_TOKEN_BYTES,
                JwksCache.DEFAULT,
                Optional.empty(),
                Mode.ENFORCE,
                Origin.PROGRAMMATIC);
    }

    /** The same entry written elsewhere (or nowhere: {@link Origin#PROGRAMMATIC}), to compare entries by content. */
    public JwtProvider withOrigin(Origin origin) {
        return new JwtProvider(
                issuer,
                audiences,
                algorithms,
                jwksUri,
                jwksFile,
                clockSkew,
                maxTokenLifetime,
                fromHeaders,
                fromQuery,
                claimsToHeaders,
                forwardToken,
                required,
                maxTokenBytes,
                jwksCache,
                replay,
                mode,
                origin);
    }
}
