package io.trustline.sidecar.connection;

/** Why a slow client's connection was closed; {@link #code()} is the stable reason code (the reason table in docs/policy.md). */
public enum SlowClientReason {
    /** No complete TLS handshake within {@code slowClients.handshakeTimeout}. */
    HANDSHAKE_TIMEOUT("connection.handshake_timeout"),
    /** No complete request headers within {@code slowClients.headersTimeout}. */
    HEADERS_TIMEOUT("connection.headers_timeout"),
    /** A request body arrived slower than {@code slowClients.minBodyRate}. */
    BODY_TOO_SLOW("connection.body_too_slow");

    private final String code;

    SlowClientReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
