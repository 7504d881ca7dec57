package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * One destination the app may call: where its inbound sidecars are and the identity they must present. The
 * endpoints come from exactly one source: {@code address} (one endpoint), {@code endpoints} (a fixed list),
 * {@code dns} (A/AAAA records, re-resolved) or {@code file} (a watched file, one {@code host:port} a line).
 *
 * @param servicePort the port apps name when they call the service directly (captured traffic, e.g. 8080 in
 *     {@code http://orders:8080/}): a {@code Host} with another port is no route. A {@code Host} without a port
 *     always matches. Default none: the port in {@code Host} is ignored
 * @param outlierDetection passive ejection of failing endpoints; on by default (see {@link OutlierDetectionConfig})
 */
public record RouteConfig(
        @Nullable HostPort address,
        SpiffeId identity,
        @Nullable Integer servicePort,
        @Nullable List<HostPort> endpoints,
        @Nullable DnsEndpointsConfig dns,
        @Nullable Path file,
        OutlierDetectionConfig outlierDetection) {

    /** The keys that name a route's endpoints, of which a route sets exactly one. */
    public static final List<String> SOURCES = List.of("address", "endpoints", "dns", "file");

    public RouteConfig {
        requireNonNull(identity, "identity");
        if (outlierDetection == null) {
            outlierDetection = OutlierDetectionConfig.DEFAULT;
        }
        if (endpoints != null) {
            endpoints = List.copyOf(endpoints);
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("endpoints: [] (expected: at least one host:port)");
            }
        }
        if (servicePort != null && (servicePort < 1 || servicePort > 65535)) {
            throw new IllegalArgumentException("servicePort: " + servicePort + " (expected: 1-65535)");
        }
        if (Stream.of(address, endpoints, dns, file).filter(s -> s != null).count() != 1) {
            throw new IllegalArgumentException("route: set exactly one of " + String.join(", ", SOURCES));
        }
    }

    /** A route to one endpoint, with outlier detection at its defaults. */
    public RouteConfig(HostPort address, SpiffeId identity, @Nullable Integer servicePort) {
        this(address, identity, servicePort, null, null, null, OutlierDetectionConfig.DEFAULT);
    }
}
