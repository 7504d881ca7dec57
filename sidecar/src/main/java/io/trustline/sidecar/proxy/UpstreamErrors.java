package io.trustline.sidecar.proxy;

import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.endpoint.EndpointGroupException;
import com.linecorp.armeria.client.limit.ConcurrencyLimitTimeoutException;
import com.linecorp.armeria.client.limit.TooManyPendingAcquisitionsException;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.ssl.SslClosedEngineException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.trustline.sidecar.identity.PeerIdentityMismatchException;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import java.io.IOException;
import java.net.ConnectException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * Names the failures of an upstream call (the app, or the peer sidecar) as the refusal the caller gets; the cause
 * itself goes only to the log. The causes every listener shares, and the order, are {@link Refusals#classify}'s.
 *
 * <p>One reason per root cause, whatever the timing: a peer that is gone is {@code upstream.connect_failed} whether
 * the connect was refused, or accepted by the kernel and then reset or closed before or during the TLS handshake (a
 * peer killed mid-accept; Netty then reports the handshake as failed, but TLS did not fail, the transport did).
 * {@code upstream.tls_failed} is kept for a peer that answered TLS and the negotiation itself failed (an untrusted
 * certificate, an alert, no common protocol).
 */
public final class UpstreamErrors {

    static final Refusal CONNECT_FAILED =
            Refusal.of(RefusalKind.UPSTREAM_UNAVAILABLE, ReasonCode.UPSTREAM_CONNECT_FAILED);
    static final Refusal TLS_FAILED = Refusal.of(RefusalKind.UPSTREAM_UNAVAILABLE, ReasonCode.UPSTREAM_TLS_FAILED);
    static final Refusal IDENTITY_MISMATCH =
            Refusal.of(RefusalKind.UPSTREAM_IDENTITY, ReasonCode.UPSTREAM_IDENTITY_MISMATCH);
    static final Refusal RESET = Refusal.of(RefusalKind.UPSTREAM_UNAVAILABLE, ReasonCode.UPSTREAM_RESET);
    static final Refusal TIMEOUT = Refusal.of(RefusalKind.UPSTREAM_TIMEOUT, ReasonCode.UPSTREAM_TIMEOUT);
    static final Refusal NO_ENDPOINTS = Refusal.of(RefusalKind.UPSTREAM_UNAVAILABLE, ReasonCode.UPSTREAM_NO_ENDPOINTS);
    static final Refusal OVERLOADED = Refusal.of(RefusalKind.OVERLOADED, ReasonCode.UPSTREAM_OVERLOADED);
    private static final String NETTY_CLOSED_DURING_HANDSHAKE = "io.netty.handler.ssl.StacklessSSLHandshakeException";

    /** The refusal for a request whose upstream call failed with {@code cause}. */
    public static Refusal classify(Throwable cause) {
        return Refusals.classify(cause, UpstreamErrors::upstreamRefusal);
    }

    /** The refusal for an upstream failure, or null when {@code cause} is not one. */
    public static @Nullable Refusal upstreamRefusal(Throwable cause) {
        if (cause instanceof ResponseTimeoutException) {
            return TIMEOUT;
        }
        if (has(cause, TooManyPendingAcquisitionsException.class)
                || has(cause, ConcurrencyLimitTimeoutException.class)) {
            // The route's circuit breaker (limits): nothing was sent.
            return OVERLOADED;
        }
        if (has(cause, EndpointGroupException.class)) {
            // No endpoint was selected: nothing was sent anywhere.
            return NO_ENDPOINTS;
        }
        if (cause instanceof UnprocessedRequestException) {
            final Throwable inner = cause.getCause();
            if (has(inner, PeerIdentityMismatchException.class)) {
                return IDENTITY_MISMATCH;
            }
            if (transportFailed(inner)) {
                return CONNECT_FAILED;
            }
            if (has(inner, SSLException.class)) {
                return TLS_FAILED;
            }
            return CONNECT_FAILED;
        }
        if (cause instanceof ClosedSessionException || cause instanceof ClosedStreamException) {
            return RESET;
        }
        if (has(cause, SSLException.class)) {
            return TLS_FAILED;
        }
        return null;
    }

    /**
     * Whether the connection broke underneath the handshake rather than the handshake failing: a refused or timed out
     * connect, an I/O error that is not TLS's own (reset, closed channel), or Netty's report that the connection closed
     * while the handshake was in progress (a package-private type, hence matched by name) or timed out.
     */
    static boolean transportFailed(@Nullable Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectException
                    || c instanceof ConnectTimeoutException
                    || c instanceof SslHandshakeTimeoutException
                    || c instanceof SslClosedEngineException
                    || NETTY_CLOSED_DURING_HANDSHAKE.equals(c.getClass().getName())
                    || (c instanceof IOException && !(c instanceof SSLException))) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(@Nullable Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private UpstreamErrors() {}
}
