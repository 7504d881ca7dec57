package io.trustline.sidecar.request;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;

/**
 * Why a token was not accepted: one stable reason code each, the only thing a caller learns (with 401 and
 * {@code WWW-Authenticate}, or UNAUTHENTICATED for gRPC; {@link #REPLAY_STORE_FULL}, a condition of the sidecar
 * rather than of the token, is 503 / UNAVAILABLE). docs/jwt.md lists them with their causes.
 */
public enum JwtReason {
    /** No token at all, and an issuer of the service says {@code required: true}. */
    MISSING(ReasonCode.JWT_MISSING),
    /** Not a compact JWS: wrong number of parts, bad base64url or JSON, a claim of the wrong type, a bad typ. */
    MALFORMED(ReasonCode.JWT_MALFORMED),
    /** A JWE (five parts, encrypted) where a signed token is expected. */
    ENCRYPTED(ReasonCode.JWT_ENCRYPTED),
    /** More than one token on the request (two Authorization headers, header and query, ...). */
    MULTIPLE_TOKENS(ReasonCode.JWT_MULTIPLE_TOKENS),
    /** Longer than {@code maxTokenBytes}; refused before parsing. */
    TOO_LARGE(ReasonCode.JWT_TOO_LARGE),
    /** {@code alg: none}, an HMAC algorithm, or any algorithm not in the issuer's allow-list. */
    ALG_NOT_ALLOWED(ReasonCode.JWT_ALG_NOT_ALLOWED),
    /** A {@code crit} header: the sidecar understands no JWS extension, so any critical one is unknown. */
    UNKNOWN_CRIT(ReasonCode.JWT_UNKNOWN_CRIT),
    /** No {@code iss}, an issuer this service does not accept, or a token read from a place its issuer does not use. */
    WRONG_ISSUER(ReasonCode.JWT_WRONG_ISSUER),
    /** No key of the issuer matches the token's {@code kid} and algorithm, even after a refetch of the JWKS. */
    UNKNOWN_KID(ReasonCode.JWT_UNKNOWN_KID),
    /** The signature does not verify (including ECDSA signatures with r or s out of range, CVE-2022-21449). */
    BAD_SIGNATURE(ReasonCode.JWT_BAD_SIGNATURE),
    /** {@code exp} is in the past by more than the clock skew. */
    EXPIRED(ReasonCode.JWT_EXPIRED),
    /** {@code nbf} or {@code iat} is in the future by more than the clock skew. */
    NOT_YET_VALID(ReasonCode.JWT_NOT_YET_VALID),
    /** No {@code exp}: every token must expire. */
    MISSING_EXP(ReasonCode.JWT_MISSING_EXP),
    /** No {@code iat} although the issuer has a {@code maxTokenLifetime}. */
    MISSING_IAT(ReasonCode.JWT_MISSING_IAT),
    /** No {@code sub}: the request principal is {@code iss/sub}. */
    MISSING_SUB(ReasonCode.JWT_MISSING_SUB),
    /** No {@code aud}, or none of its values is an accepted audience. */
    WRONG_AUDIENCE(ReasonCode.JWT_WRONG_AUDIENCE),
    /** {@code exp - iat} exceeds the issuer's {@code maxTokenLifetime}. */
    LIFETIME_TOO_LONG(ReasonCode.JWT_LIFETIME_TOO_LONG),
    /**
     * The issuer's keys are not usable: never fetched yet, or older than {@code jwksCache.maxStaleness} through an
     * outage. A server-side failure (503-class for the operator), but a 401 to the caller, who cannot be verified.
     */
    JWKS_UNAVAILABLE(ReasonCode.JWT_JWKS_UNAVAILABLE),
    /** A valid token used more often than its issuer's replay guard allows ({@code replay.maxUses}). */
    REPLAYED(ReasonCode.JWT_REPLAYED),
    /** A valid token without {@code jti}, from an issuer whose replay guard requires one. */
    MISSING_JTI(ReasonCode.JWT_MISSING_JTI),
    /**
     * A valid token the replay guard would have to remember, while its store is full of tokens that have not expired
     * yet ({@code jwt.replayStoreSize}). Refused rather than admitted, since admitting it would mean forgetting a used
     * token. 503 / UNAVAILABLE: the token is fine and was not counted, so the same call may be retried later.
     */
    REPLAY_STORE_FULL(ReasonCode.JWT_REPLAY_STORE_FULL, RefusalKind.OVERLOADED);

    /** RFC 6750 section 3: a request with credentials that failed. */
    static final String INVALID_TOKEN_CHALLENGE = "Bearer error=\"invalid_token\"";
    /** RFC 6750 section 3.1: a request without credentials gets the bare challenge, no error code. */
    static final String BARE_CHALLENGE = "Bearer";

    private final ReasonCode code;
    private final Refusal refusal;

    JwtReason(ReasonCode code) {
        this.code = code;
        refusal = Refusal.of(
                RefusalKind.UNAUTHENTICATED,
                code,
                HttpHeaders.of(
                        HttpHeaderNames.WWW_AUTHENTICATE,
                        code == ReasonCode.JWT_MISSING ? BARE_CHALLENGE : INVALID_TOKEN_CHALLENGE));
    }

    /** A reason whose refusal is not an authentication failure: no challenge, since the token was not at fault. */
    JwtReason(ReasonCode code, RefusalKind kind) {
        this.code = code;
        refusal = Refusal.of(kind, code);
    }

    /** The stable reason code, e.g. {@code jwt.expired}. */
    public ReasonCode code() {
        return code;
    }

    /** The refusal sent to the caller: 401 with the challenge, or UNAUTHENTICATED for gRPC (503 / UNAVAILABLE when full). */
    public Refusal refusal() {
        return refusal;
    }

    /**
     * Whether the sidecar, not the token, is at fault (keys unavailable, replay store full): an operator alert, not a
     * caller error.
     */
    public boolean serverSide() {
        return this == JWKS_UNAVAILABLE || this == REPLAY_STORE_FULL;
    }

    @Override
    public String toString() {
        return code.code();
    }
}
