package io.trustline.sidecar.request;

import io.netty.util.AttributeKey;
import java.time.Instant;
import java.util.Map;

/**
 * The end user of the current request, from a JWT whose signature, issuer, audience and times were verified. Later
 * stages (authorization, user-keyed rate limits) read it from {@link #ATTR}; it is absent when the request carried no
 * token (policy decides whether that is acceptable).
 *
 * @param requestPrincipal {@code iss/sub}, what policy's {@code requestPrincipals} match
 * @param claims the verified claims as Nimbus returns them; never modified
 */
public record VerifiedToken(
        String issuer, String subject, String requestPrincipal, Map<String, Object> claims, Instant expiresAt) {

    public static final AttributeKey<VerifiedToken> ATTR = AttributeKey.valueOf(VerifiedToken.class, "TOKEN");
}
