package io.trustline.sidecar.identity;

import io.trustline.ca.X509Svid;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * This sidecar's current X.509-SVID and trust bundle. Listeners hear of every new SVID so the listeners' and the
 * clients' TLS can switch to it without a restart; connections opened with the old one finish on it.
 */
public interface WorkloadIdentity extends AutoCloseable {

    /** The SVID to present on new connections. Never null once the sidecar is started. */
    X509Svid current();

    /** Calls {@code listener} with each new SVID (not with the current one). */
    void addListener(Consumer<X509Svid> listener);

    /**
     * Obtains a new SVID now instead of at the scheduled time (the admin port's {@code POST /certs/renew}). Completes
     * with the new SVID once the listeners have taken it, or exceptionally with the reason; the current SVID stays in
     * use on failure. Sources that cannot renew on demand (files written by another tool) fail with
     * {@link UnsupportedOperationException}.
     */
    default CompletableFuture<X509Svid> renewNow() {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                "this identity source does not renew on demand: " + getClass().getSimpleName()));
    }

    /** Failed renewal attempts since the start (each retry counts); 0 for sources that do not renew. */
    default long failedRenewals() {
        return 0;
    }

    @Override
    void close();
}
