package io.trustline.sidecar.jwt;

import io.trustline.policy.model.TokenSource;
import org.jspecify.annotations.Nullable;

/**
 * A token as found on a request, before any check.
 *
 * @param value the token text (the prefix such as {@code "Bearer "} removed)
 * @param source the header and prefix it was read from, or null when it came from the query
 * @param queryParam the query parameter it was read from, or null when it came from a header
 */
public record FoundToken(
        String value,
        @Nullable TokenSource source,
        @Nullable String queryParam) {

    /** A token read from {@code Authorization: Bearer}. */
    public static FoundToken bearer(String value) {
        return new FoundToken(value, TokenSource.AUTHORIZATION_BEARER, null);
    }

    @Override
    public String toString() {
        // Never the token itself.
        return "FoundToken{" + (source != null ? source.header() : "?" + queryParam) + ", " + value.length()
                + " chars}";
    }
}
