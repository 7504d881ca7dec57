package io.trustline.sidecar.connection;

import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/** Where connection-level refusals go: a metric and a connection-event line (implemented by telemetry). */
@FunctionalInterface
public interface ConnectionEvents {

    /**
     * A listener closed a connection whose client was too slow.
     *
     * @param remote the client's address, when the channel still knows it
     * @param ageNanos how long the connection had been open
     */
    void slowClientClosed(String listener, SlowClientReason reason, @Nullable InetSocketAddress remote, long ageNanos);
}
