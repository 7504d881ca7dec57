package io.trustline.sidecar.identity;

import io.trustline.ca.X509Svid;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An SVID handed over in code (tests, embedded use). {@link #rotate(X509Svid)} swaps it in as a renewal would.
 */
public final class StaticWorkloadIdentity implements WorkloadIdentity {

    private final List<Consumer<X509Svid>> listeners = new CopyOnWriteArrayList<>();
    private volatile X509Svid current;

    public StaticWorkloadIdentity(X509Svid svid) {
        current = svid;
    }

    @Override
    public X509Svid current() {
        return current;
    }

    /** Makes {@code svid} current and tells the listeners, as a renewal does. */
    public void rotate(X509Svid svid) {
        current = svid;
        listeners.forEach(l -> l.accept(svid));
    }

    @Override
    public void addListener(Consumer<X509Svid> listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {}
}
