package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

/**
 * Where a JWT is read from: a request header and the prefix before the token.
 *
 * @param header lower-case header name
 * @param prefix text that must precede the token, e.g. {@code "Bearer "}; empty for the whole
 *     value. Compared case-insensitively, as RFC 6750's scheme name is.
 */
public record TokenSource(String header, String prefix) {

    /** {@code Authorization: Bearer <token>}. */
    public static final TokenSource AUTHORIZATION_BEARER = new TokenSource("authorization", "Bearer ");

    public TokenSource {
        requireNonNull(header, "header");
        requireNonNull(prefix, "prefix");
    }
}
