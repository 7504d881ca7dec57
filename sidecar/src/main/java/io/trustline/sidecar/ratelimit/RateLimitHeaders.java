package io.trustline.sidecar.ratelimit;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import io.netty.util.AsciiString;

/**
 * The rate-limit response headers (IETF draft {@code RateLimit-*} fields as separate headers, plus
 * {@code Retry-After} on refusals), for the bucket that is closest to refusing:
 *
 * <ul>
 *   <li>{@code RateLimit-Limit}: the bucket size (the limit's burst);
 *   <li>{@code RateLimit-Remaining}: tokens left after this request (0 on a refusal);
 *   <li>{@code RateLimit-Reset}: seconds until the bucket is full again, rounded up;
 *   <li>{@code Retry-After} (refusals only): seconds until one token is available, rounded up, at least 1.
 * </ul>
 */
public final class RateLimitHeaders {

    public static final AsciiString LIMIT = AsciiString.cached("ratelimit-limit");
    public static final AsciiString REMAINING = AsciiString.cached("ratelimit-remaining");
    public static final AsciiString RESET = AsciiString.cached("ratelimit-reset");
    public static final AsciiString RETRY_AFTER = HttpHeaderNames.RETRY_AFTER;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Seconds, rounded up. */
    static long ceilSeconds(long nanos) {
        return nanos <= 0 ? 0 : (nanos - 1) / NANOS_PER_SECOND + 1;
    }

    /** The headers of an allowed request whose bucket has {@code debt} nanoseconds to go until full. */
    static void setAllowed(HttpHeadersBuilder h, BucketSpec spec, long debt) {
        h.set(LIMIT, Long.toString(spec.burst()))
                .set(REMAINING, Long.toString(spec.remaining(debt)))
                .set(RESET, Long.toString(ceilSeconds(debt)));
    }

    /** The headers of a refusal by a bucket that had {@code debt} nanoseconds to go until full. */
    static void addRefused(HttpHeadersBuilder h, BucketSpec spec, long debt) {
        h.add(LIMIT, Long.toString(spec.burst()))
                .add(REMAINING, "0")
                .add(RESET, Long.toString(ceilSeconds(debt)))
                .add(RETRY_AFTER, Long.toString(Math.max(1, ceilSeconds(spec.retryAfterNanos(debt)))));
    }

    static void remove(HttpHeadersBuilder h) {
        h.remove(LIMIT);
        h.remove(REMAINING);
        h.remove(RESET);
    }

    private RateLimitHeaders() {}
}
