package io.trustline.sidecar.request;

import io.netty.util.AttributeKey;

/**
 * Which limit fired on a request, for the access log, the span and metrics ({@link #ATTR}). Absent when no limit
 * fired.
 *
 * @param limit the limit's name from policy, or {@code penalty:<key>} (e.g. {@code penalty:principal}) for the
 *     penalty box; a colon never appears in a limit name, so the two cannot be confused
 * @param refused true if the request was refused; false if an audit-mode limit (or penalty box) would have refused
 *     it and it went on
 */
public record RateLimitOutcome(String limit, boolean refused) {

    /** Which limit fired on the current request, if any. */
    public static final AttributeKey<RateLimitOutcome> ATTR = AttributeKey.valueOf(RateLimitOutcome.class, "OUTCOME");
}
