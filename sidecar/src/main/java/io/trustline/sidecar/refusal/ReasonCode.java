package io.trustline.sidecar.refusal;

import io.trustline.ca.SvidValidationException;
import io.trustline.policy.engine.AuthzReason;
import io.trustline.policy.engine.CorsCheck;
import io.trustline.policy.engine.DeprecatedRoute;
import io.trustline.policy.engine.RequestLimitsCheck;
import io.trustline.policy.path.NormalizedPath;
import org.jspecify.annotations.Nullable;

/**
 * Every reason code the sidecar emits: in refusal bodies and gRPC metadata, the access log's {@code reason} and
 * {@code audit_reason}, span attributes, the {@code reason} tag of every metric and the connection events. A closed
 * set, so that a dashboard or an alert written against a code keeps working; docs/policy.md ("Decisions and reason
 * codes") lists every one (a test keeps the two equal). Codes decided by the policy or CA module are that module's
 * constants, mapped here one to one by {@code of(...)}, so each code is spelled once in the code base.
 */
public enum ReasonCode {
    /** An ALLOW rule matched and no DENY rule did. */
    AUTHZ_ALLOWED(AuthzReason.ALLOWED.code()),
    /** A DENY rule matched. */
    AUTHZ_DENIED_BY_RULE(AuthzReason.DENIED_BY_RULE.code()),
    /** No rule matched: the default deny. */
    AUTHZ_NO_ALLOW_MATCH(AuthzReason.NO_ALLOW_MATCH.code()),
    /** No rule matched, and an ALLOW rule would have with a verified token. */
    AUTHZ_TOKEN_REQUIRED(AuthzReason.TOKEN_REQUIRED.code()),
    /** No policy in enforce mode targets the service. */
    AUTHZ_NO_POLICY(AuthzReason.NO_POLICY.code()),

    /** No verified peer certificate where the listener requires one. */
    PEER_UNAUTHENTICATED("peer.unauthenticated"),

    /** The path cannot be normalised safely. */
    REQUEST_INVALID_PATH(NormalizedPath.INVALID_PATH),
    /** More than one Host, none, or an HTTP/2 host unlike :authority. */
    REQUEST_INVALID_HOST("request.invalid_host"),
    /** A header name with {@code _} under {@code headersWithUnderscores: reject}. */
    REQUEST_INVALID_HEADER("request.invalid_header"),
    /** A request Armeria could not parse. */
    REQUEST_MALFORMED("request.malformed"),
    /** The request body is over the listener's limit. */
    REQUEST_BODY_TOO_LARGE("request.body_too_large"),
    /** The request headers are over the listener's limit. */
    REQUEST_HEADERS_TOO_LARGE("request.headers_too_large"),
    /** The request did not complete within the listener's request timeout. */
    REQUEST_TIMEOUT("request.timeout"),
    /** A transfer coding other than chunked. */
    REQUEST_UNSUPPORTED_TRANSFER_CODING("request.unsupported_transfer_coding"),
    /** {@code requestLimits.maxQueryParams} exceeded. */
    REQUEST_TOO_MANY_QUERY_PARAMS(RequestLimitsCheck.Exceeded.TOO_MANY_QUERY_PARAMS.reason()),
    /** {@code requestLimits.maxQueryBytes} exceeded. */
    REQUEST_QUERY_TOO_LONG(RequestLimitsCheck.Exceeded.QUERY_TOO_LONG.reason()),
    /** {@code requestLimits.maxHeaderCount} exceeded. */
    REQUEST_TOO_MANY_HEADERS(RequestLimitsCheck.Exceeded.TOO_MANY_HEADERS.reason()),

    /** A cross-origin request or preflight from an origin not listed. */
    CORS_ORIGIN_NOT_ALLOWED(CorsCheck.Outcome.ORIGIN_NOT_ALLOWED.reason()),
    /** A cross-origin request, or a preflight asking, for a method not allowed. */
    CORS_METHOD_NOT_ALLOWED(CorsCheck.Outcome.METHOD_NOT_ALLOWED.reason()),
    /** A preflight asking for a header not allowed. */
    CORS_HEADERS_NOT_ALLOWED(CorsCheck.Outcome.PREFLIGHT_HEADERS_NOT_ALLOWED.reason()),
    /** An allowed preflight, answered by the sidecar. */
    CORS_PREFLIGHT(CorsCheck.Outcome.PREFLIGHT_ALLOWED.reason()),

    /** A call on a deprecated route after its sunset. */
    DEPRECATION_SUNSET(DeprecatedRoute.SUNSET),

    /** No token where an issuer requires one. */
    JWT_MISSING("jwt.missing"),
    /** Not a compact JWS. */
    JWT_MALFORMED("jwt.malformed"),
    /** A JWE where a signed token is expected. */
    JWT_ENCRYPTED("jwt.encrypted"),
    /** More than one token on the request. */
    JWT_MULTIPLE_TOKENS("jwt.multiple_tokens"),
    /** Longer than {@code maxTokenBytes}. */
    JWT_TOO_LARGE("jwt.too_large"),
    /** An algorithm outside the issuer's allow-list. */
    JWT_ALG_NOT_ALLOWED("jwt.alg_not_allowed"),
    /** A {@code crit} header. */
    JWT_UNKNOWN_CRIT("jwt.unknown_crit"),
    /** No {@code iss}, or an issuer the service does not accept. */
    JWT_WRONG_ISSUER("jwt.wrong_issuer"),
    /** No key of the issuer matches the token's {@code kid}. */
    JWT_UNKNOWN_KID("jwt.unknown_kid"),
    /** The signature does not verify. */
    JWT_BAD_SIGNATURE("jwt.bad_signature"),
    /** {@code exp} is past. */
    JWT_EXPIRED("jwt.expired"),
    /** {@code nbf} or {@code iat} is in the future. */
    JWT_NOT_YET_VALID("jwt.not_yet_valid"),
    /** No {@code exp}. */
    JWT_MISSING_EXP("jwt.missing_exp"),
    /** No {@code iat} although the issuer has a {@code maxTokenLifetime}. */
    JWT_MISSING_IAT("jwt.missing_iat"),
    /** No {@code sub}. */
    JWT_MISSING_SUB("jwt.missing_sub"),
    /** No accepted audience. */
    JWT_WRONG_AUDIENCE("jwt.wrong_audience"),
    /** {@code exp - iat} exceeds {@code maxTokenLifetime}. */
    JWT_LIFETIME_TOO_LONG("jwt.lifetime_too_long"),
    /** The issuer's keys are not usable. */
    JWT_JWKS_UNAVAILABLE("jwt.jwks_unavailable"),
    /** A token used more often than the replay guard allows. */
    JWT_REPLAYED("jwt.replayed"),
    /** No {@code jti} where the replay guard requires one. */
    JWT_MISSING_JTI("jwt.missing_jti"),
    /** The replay guard's store is full. */
    JWT_REPLAY_STORE_FULL("jwt.replay_store_full"),

    /** A rate limit of the policy refused the call (or would have, in audit mode). */
    RATELIMIT_EXCEEDED("ratelimit.exceeded"),
    /** The penalty box refused the call (or would have, in audit mode). */
    RATELIMIT_PENALTY_BOX("ratelimit.penalty_box"),

    /** The outbound destination is not in the route table. */
    ROUTE_UNKNOWN("route.unknown"),

    /** The app or the peer sidecar refused the connection. */
    UPSTREAM_CONNECT_FAILED("upstream.connect_failed"),
    /** The TLS handshake with the peer sidecar failed. */
    UPSTREAM_TLS_FAILED("upstream.tls_failed"),
    /** The peer sidecar proved another SPIFFE ID than the route expects. */
    UPSTREAM_IDENTITY_MISMATCH("upstream.identity_mismatch"),
    /** The upstream connection or stream was reset. */
    UPSTREAM_RESET("upstream.reset"),
    /** The upstream did not answer in time. */
    UPSTREAM_TIMEOUT("upstream.timeout"),
    /** The route has no endpoint to call (DNS has no records, the endpoints file lists none). */
    UPSTREAM_NO_ENDPOINTS("upstream.no_endpoints"),
    /** The route's circuit breaker is open: {@code limits.maxConcurrent} in flight and {@code maxPending} waiting. */
    UPSTREAM_OVERLOADED("upstream.overloaded"),

    /** The listener is at its concurrency limit. */
    OVERLOAD_CONCURRENCY_LIMIT("overload.concurrency_limit"),
    /** The request waited for a slot longer than allowed. */
    OVERLOAD_PENDING_TIMEOUT("overload.pending_timeout"),
    /** Armeria answered 503 itself (e.g. shutting down). */
    SERVER_UNAVAILABLE("server.unavailable"),

    /** A bug or an unexpected failure inside the sidecar. */
    INTERNAL_ERROR("internal.error"),
    /** A stage ran without the request view that hygiene puts on the context. */
    INTERNAL_REQUEST_VIEW_MISSING("internal.request_view_missing"),

    /** An admin call while no {@code admin.tokenFile} is configured. */
    ADMIN_TOKEN_NOT_CONFIGURED("admin.token_not_configured"),
    /** An admin call without a token. */
    ADMIN_TOKEN_REQUIRED("admin.token_required"),
    /** An admin call with a wrong token. */
    ADMIN_TOKEN_INVALID("admin.token_invalid"),

    /** No complete TLS handshake within {@code slowClients.handshakeTimeout}. */
    CONNECTION_HANDSHAKE_TIMEOUT("connection.handshake_timeout"),
    /** No complete request headers within {@code slowClients.headersTimeout}. */
    CONNECTION_HEADERS_TIMEOUT("connection.headers_timeout"),
    /** A request body slower than {@code slowClients.minBodyRate}. */
    CONNECTION_BODY_TOO_SLOW("connection.body_too_slow"),

    /** Inbound handshake: no client certificate. */
    SVID_EMPTY_CHAIN(SvidValidationException.Reason.EMPTY_CHAIN.code()),
    /** Inbound handshake: the leaf is a CA certificate. */
    SVID_NOT_A_LEAF(SvidValidationException.Reason.NOT_A_LEAF.code()),
    /** Inbound handshake: the leaf's key usage lacks digitalSignature. */
    SVID_KEY_USAGE(SvidValidationException.Reason.KEY_USAGE.code()),
    /** Inbound handshake: the leaf's extended key usage does not allow clientAuth. */
    SVID_EXTENDED_KEY_USAGE(SvidValidationException.Reason.EXTENDED_KEY_USAGE.code()),
    /** Inbound handshake: the SPIFFE ID is reserved for Trustline itself. */
    SVID_RESERVED_ID(SvidValidationException.Reason.RESERVED_ID.code()),
    /** Inbound handshake: not exactly one URI SAN. */
    SVID_URI_SAN_COUNT(SvidValidationException.Reason.URI_SAN_COUNT.code()),
    /** Inbound handshake: the URI SAN is not a valid workload SPIFFE ID. */
    SVID_INVALID_SPIFFE_ID(SvidValidationException.Reason.INVALID_SPIFFE_ID.code()),
    /** Inbound handshake: the SPIFFE ID is in another trust domain. */
    SVID_WRONG_TRUST_DOMAIN(SvidValidationException.Reason.WRONG_TRUST_DOMAIN.code()),
    /** Inbound handshake: the leaf has expired. */
    SVID_EXPIRED(SvidValidationException.Reason.EXPIRED.code()),
    /** Inbound handshake: the leaf is not valid yet. */
    SVID_NOT_YET_VALID(SvidValidationException.Reason.NOT_YET_VALID.code()),
    /** Inbound handshake: no path to a root of the trust bundle. */
    SVID_UNTRUSTED(SvidValidationException.Reason.UNTRUSTED.code());

    private final String code;

    ReasonCode(@Nullable String code) {
        if (code == null) {
            throw new IllegalArgumentException("code: null (expected: a reason code of the policy module)");
        }
        this.code = code;
    }

    /** The stable code, e.g. {@code authz.denied_by_rule}. */
    public String code() {
        return code;
    }

    /** The code of an authorization decision. */
    public static ReasonCode of(AuthzReason reason) {
        return switch (reason) {
            case ALLOWED -> AUTHZ_ALLOWED;
            case DENIED_BY_RULE -> AUTHZ_DENIED_BY_RULE;
            case NO_ALLOW_MATCH -> AUTHZ_NO_ALLOW_MATCH;
            case TOKEN_REQUIRED -> AUTHZ_TOKEN_REQUIRED;
            case NO_POLICY -> AUTHZ_NO_POLICY;
        };
    }

    /** The code of a CORS outcome that refuses a request or answers a preflight; null when the request goes on. */
    public static @Nullable ReasonCode of(CorsCheck.Outcome outcome) {
        return switch (outcome) {
            case SAME_ORIGIN, ALLOWED -> null;
            case PREFLIGHT_ALLOWED -> CORS_PREFLIGHT;
            case ORIGIN_NOT_ALLOWED, PREFLIGHT_ORIGIN_NOT_ALLOWED -> CORS_ORIGIN_NOT_ALLOWED;
            case METHOD_NOT_ALLOWED, PREFLIGHT_METHOD_NOT_ALLOWED -> CORS_METHOD_NOT_ALLOWED;
            case PREFLIGHT_HEADERS_NOT_ALLOWED -> CORS_HEADERS_NOT_ALLOWED;
        };
    }

    /** The code of a client certificate refused in the TLS handshake. */
    public static ReasonCode of(SvidValidationException.Reason reason) {
        return switch (reason) {
            case EMPTY_CHAIN -> SVID_EMPTY_CHAIN;
            case NOT_A_LEAF -> SVID_NOT_A_LEAF;
            case KEY_USAGE -> SVID_KEY_USAGE;
            case EXTENDED_KEY_USAGE -> SVID_EXTENDED_KEY_USAGE;
            case RESERVED_ID -> SVID_RESERVED_ID;
            case URI_SAN_COUNT -> SVID_URI_SAN_COUNT;
            case INVALID_SPIFFE_ID -> SVID_INVALID_SPIFFE_ID;
            case WRONG_TRUST_DOMAIN -> SVID_WRONG_TRUST_DOMAIN;
            case EXPIRED -> SVID_EXPIRED;
            case NOT_YET_VALID -> SVID_NOT_YET_VALID;
            case UNTRUSTED -> SVID_UNTRUSTED;
        };
    }

    /**
     * The code of an exceeded {@code requestLimits} check, from {@link RequestLimitsCheck#check}.
     */
    public static ReasonCode of(RequestLimitsCheck.Exceeded exceeded) {
        return switch (exceeded) {
            case TOO_MANY_QUERY_PARAMS -> REQUEST_TOO_MANY_QUERY_PARAMS;
            case QUERY_TOO_LONG -> REQUEST_QUERY_TOO_LONG;
            case TOO_MANY_HEADERS -> REQUEST_TOO_MANY_HEADERS;
        };
    }

    @Override
    public String toString() {
        return code;
    }
}
