package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

/**
 * Limits on the shape of a request ({@code spec.requestLimits}), checked before anything parses the query. A limit
 * of 0 is not set.
 *
 * @param maxQueryParams the most query parameters ({@code &}-separated) a request may carry
 * @param maxQueryBytes the longest raw query (after {@code ?}, as sent, before decoding)
 * @param maxHeaderCount the most header fields (each repetition counts; HTTP/2 pseudo-headers do not)
 * @param mode the effective mode
 */
public record RequestLimits(int maxQueryParams, int maxQueryBytes, int maxHeaderCount, Mode mode, Origin origin) {

    public RequestLimits {
        if (maxQueryParams < 0 || maxQueryBytes < 0 || maxHeaderCount < 0) {
            throw new IllegalArgumentException("request limits: negative (expected: >= 0)");
        }
        requireNonNull(mode, "mode");
        requireNonNull(origin, "origin");
    }
}
