package io.trustline.sidecar.identity;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.X509Svid;
import io.trustline.ca.client.SvidClient;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** The SVID comes from the Trustline CA: first with a join token, then renewed over mTLS in the background. */
public final class CaWorkloadIdentity implements WorkloadIdentity {

    private final SvidClient client;

    /** Wraps a started {@link SvidClient}. */
    public CaWorkloadIdentity(SvidClient client) {
        this.client = client;
    }

    @Override
    public X509Svid current() {
        // Null only before the client's first SVID, and the sidecar starts the client before wrapping it.
        return requireNonNull(client.current(), "SvidClient has no SVID: not started");
    }

    @Override
    public void addListener(Consumer<X509Svid> listener) {
        client.addListener(listener);
    }

    @Override
    public CompletableFuture<X509Svid> renewNow() {
        return client.renewNow();
    }

    @Override
    public long failedRenewals() {
        return client.failedRenewals();
    }

    @Override
    public void close() {
        client.close();
    }
}
