package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Mode;
import io.trustline.policy.model.RequestLimits;
import org.jspecify.annotations.Nullable;

/** A service's {@code requestLimits}, checked on the raw query and the header count, before anything decodes them. */
public final class RequestLimitsCheck {

    /** The limit a request exceeded, with its reason code. */
    public enum Exceeded {
        /** Too many query parameters (400). */
        TOO_MANY_QUERY_PARAMS("request.too_many_query_params"),
        /** A query longer than {@code maxQueryBytes} (400). */
        QUERY_TOO_LONG("request.query_too_long"),
        /** More header fields than {@code maxHeaderCount} (431). */
        TOO_MANY_HEADERS("request.too_many_headers");

        private final String reason;

        Exceeded(String reason) {
            this.reason = reason;
        }

        /** The reason code, as in refusals, logs and metrics. */
        public String reason() {
            return reason;
        }
    }

    private final String policy;
    private final RequestLimits limits;

    RequestLimitsCheck(String policy, RequestLimits limits) {
        this.policy = requireNonNull(policy, "policy");
        this.limits = requireNonNull(limits, "limits");
    }

    /**
     * The first limit a request exceeds, or null.
     *
     * @param rawQuery the query as sent (after {@code ?}), or null
     * @param headerCount the number of header fields, or -1 when unknown (then not checked)
     */
    public @Nullable Exceeded check(@Nullable String rawQuery, int headerCount) {
        if (limits.maxHeaderCount() > 0 && headerCount > limits.maxHeaderCount()) {
            return Exceeded.TOO_MANY_HEADERS;
        }
        if (rawQuery != null) {
            // Length first: it bounds the work of counting.
            if (limits.maxQueryBytes() > 0 && rawQuery.length() > limits.maxQueryBytes()) {
                return Exceeded.QUERY_TOO_LONG;
            }
            if (limits.maxQueryParams() > 0 && QueryParams.count(rawQuery) > limits.maxQueryParams()) {
                return Exceeded.TOO_MANY_QUERY_PARAMS;
            }
        }
        return null;
    }

    public Mode mode() {
        return limits.mode();
    }

    public String policy() {
        return policy;
    }

    public RequestLimits model() {
        return limits;
    }
}
