package io.trustline.sidecar.config;

import java.time.Duration;

/**
 * How long a listener waits on a slow client ({@code limits.slowClients}): the deadlines that close a connection
 * whose client holds it open without finishing its request, as a slowloris attack does. Idle timeouts alone cannot:
 * a client that sends one byte every few seconds is never idle. None of them is a deadline on a whole request, so
 * long gRPC streams and large downloads are not cut.
 *
 * @param handshakeTimeout from accept to the end of the TLS handshake (PERMISSIVE plaintext: to the first request's
 *     headers); default 10s
 * @param headersTimeout from the end of the handshake (or accept, plaintext) to the first request's complete
 *     headers; on HTTP/1.1 also from the first byte of each later request to its complete headers; default 15s
 * @param bodyWindow while a request body is arriving, each window of this length must bring at least
 *     {@code minBodyRate × bodyWindow} bytes; default 10s
 * @param minBodyRate bytes per second a request body must average over each {@code bodyWindow}; 0 turns the body
 *     check off. gRPC calls and WebSocket upgrades are streams, not uploads, and are exempt. Default 256
 */
public record SlowClientLimits(
        Duration handshakeTimeout, Duration headersTimeout, Duration bodyWindow, Integer minBodyRate) {

    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_HEADERS_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_BODY_WINDOW = Duration.ofSeconds(10);
    public static final int DEFAULT_MIN_BODY_RATE = 256;

    // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
    // constructor replaces it, so the record's accessors never return null.
    @SuppressWarnings("NullAway")
    public static final SlowClientLimits DEFAULT = new SlowClientLimits(null, null, null, null);

    public SlowClientLimits {
        if (handshakeTimeout == null) {
            handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        }
        if (headersTimeout == null) {
            headersTimeout = DEFAULT_HEADERS_TIMEOUT;
        }
        if (bodyWindow == null) {
            bodyWindow = DEFAULT_BODY_WINDOW;
        }
        if (minBodyRate == null) {
            minBodyRate = DEFAULT_MIN_BODY_RATE;
        }
        // No "0 = off" for the deadlines: a listener without them is open to slowloris, which is the point here.
        positive("handshakeTimeout", handshakeTimeout);
        positive("headersTimeout", headersTimeout);
        positive("bodyWindow", bodyWindow);
        if (minBodyRate < 0) {
            throw new IllegalArgumentException("minBodyRate: " + minBodyRate + " (expected: >= 0; 0 = off)");
        }
    }

    /** The bytes a request body must bring in each {@link #bodyWindow()}. */
    public long minBodyBytesPerWindow() {
        return minBodyRate * bodyWindow.toMillis() / 1000;
    }

    private static void positive(String name, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + ": " + Durations.format(value) + " (expected: > 0)");
        }
    }
}
