package io.trustline.policy.path;

import org.jspecify.annotations.Nullable;

/**
 * The result of {@link PathNormalizer#normalize}: either a normalised path (and the untouched
 * query), or a rejection with a stable reason code and a detail for the logs. Never thrown: a
 * hostile path is an expected input on the request path, not an exceptional one.
 *
 * @param path the normalised path, or null when rejected
 * @param query the raw query after {@code ?} (without it), or null when there was none
 * @param reason null when valid; {@link #INVALID_PATH} when rejected
 * @param detail why it was rejected, for logs (never for the caller)
 */
public record NormalizedPath(
        @Nullable String path,
        @Nullable String query,
        @Nullable String reason,
        @Nullable String detail) {

    /** The reason code of every rejection. */
    public static final String INVALID_PATH = "request.invalid_path";

    static NormalizedPath ok(String path, @Nullable String query) {
        return new NormalizedPath(path, query, null, null);
    }

    static NormalizedPath rejected(String detail) {
        return new NormalizedPath(null, null, INVALID_PATH, detail);
    }

    public boolean isValid() {
        return reason == null;
    }

    /** The normalised path followed by {@code ?query} if there was one: what goes to the app. */
    public String pathAndQuery() {
        if (path == null) {
            throw new IllegalStateException("rejected path: " + detail);
        }
        return query == null ? path : path + '?' + query;
    }
}
