package io.trustline.sidecar.connection;

import io.trustline.sidecar.refusal.ReasonCode;

/** Why a slow client's connection was closed; {@link #code()} is the stable reason code (the reason table in docs/policy.md). */
public enum SlowClientReason {
    /** No complete TLS handshake within {@code slowClients.handshakeTimeout}. */
    HANDSHAKE_TIMEOUT(ReasonCode.CONNECTION_HANDSHAKE_TIMEOUT),
    /** No complete request headers within {@code slowClients.headersTimeout}. */
    HEADERS_TIMEOUT(ReasonCode.CONNECTION_HEADERS_TIMEOUT),
    /** A request body arrived slower than {@code slowClients.minBodyRate}. */
    BODY_TOO_SLOW(ReasonCode.CONNECTION_BODY_TOO_SLOW);

    private final ReasonCode code;

    SlowClientReason(ReasonCode code) {
        this.code = code;
    }

    public ReasonCode code() {
        return code;
    }
}
