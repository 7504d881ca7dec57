package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import org.jspecify.annotations.Nullable;

/**
 * One destination the app may call: the address of its inbound sidecar and the identity it must present.
 *
 * @param servicePort the port apps name when they call the service directly (captured traffic, e.g. 8080 in
 *     {@code http://orders:8080/}): a {@code Host} with another port is no route. A {@code Host} without a port
 *     always matches. Default none: the port in {@code Host} is ignored
 */
public record RouteConfig(
        HostPort address, SpiffeId identity, @Nullable Integer servicePort) {

    public RouteConfig {
        requireNonNull(address, "address");
        requireNonNull(identity, "identity");
        if (servicePort != null && (servicePort < 1 || servicePort > 65535)) {
            throw new IllegalArgumentException("servicePort: " + servicePort + " (expected: 1-65535)");
        }
    }
}
