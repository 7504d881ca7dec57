package io.trustline.sidecar.refusal;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpHeaders;

/**
 * Why a request is refused: the {@link RefusalKind} (which decides the HTTP and gRPC status), a stable reason code
 * such as {@code authz.denied_by_rule} that callers may rely on, and response headers the kind calls for
 * ({@code WWW-Authenticate}, {@code RateLimit-*}, {@code Retry-After}). What decided and why (rule, peer, user) is
 * never in here: it goes to the access log and the span only.
 */
public record Refusal(RefusalKind kind, ReasonCode reason, HttpHeaders headers) {

    public Refusal {
        requireNonNull(kind, "kind");
        requireNonNull(reason, "reason");
        requireNonNull(headers, "headers");
    }

    public static Refusal of(RefusalKind kind, ReasonCode reason) {
        return new Refusal(kind, reason, HttpHeaders.of());
    }

    public static Refusal of(RefusalKind kind, ReasonCode reason, HttpHeaders headers) {
        return new Refusal(kind, reason, headers);
    }
}
