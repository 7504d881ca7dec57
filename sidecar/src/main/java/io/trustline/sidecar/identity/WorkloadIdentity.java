package io.trustline.sidecar.identity;

import io.trustline.ca.X509Svid;
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

    @Override
    void close();
}
