package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import java.nio.file.Path;
import java.time.Duration;
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
 * @param timeout how long a request may take, all attempts and the whole response included, before the caller gets
 *     504 {@code upstream.timeout}. Default none: long-lived streams are bounded by the caller's {@code grpc-timeout}
 *     and the listeners' idle timeouts only
 * @param retries retries within a budget; on by default for idempotent requests (see {@link RetriesConfig})
 * @param limits the route's circuit breaker; unlimited by default (see {@link RouteLimitsConfig})
 */
public record RouteConfig(
        @Nullable HostPort address,
        SpiffeId identity,
        @Nullable Integer servicePort,
        @Nullable List<HostPort> endpoints,
        @Nullable DnsEndpointsConfig dns,
        @Nullable Path file,
        OutlierDetectionConfig outlierDetection,
        @Nullable Duration timeout,
        RetriesConfig retries,
        RouteLimitsConfig limits) {

    /** The keys that name a route's endpoints, of which a route sets exactly one. */
    public static final List<String> SOURCES = List.of("address", "endpoints", "dns", "file");

    public RouteConfig {
        requireNonNull(identity, "identity");
        if (outlierDetection == null) {
            outlierDetection = OutlierDetectionConfig.DEFAULT;
        }
        if (retries == null) {
            retries = RetriesConfig.DEFAULT;
        }
        if (limits == null) {
            limits = RouteLimitsConfig.UNLIMITED;
        }
        if (timeout != null && timeout.toMillis() < 1) {
            throw new IllegalArgumentException("timeout: " + Durations.format(timeout) + " (expected: >= 1ms)");
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

    /** A route to one endpoint, with outlier detection, retries and limits at their defaults. */
    public RouteConfig(HostPort address, SpiffeId identity, @Nullable Integer servicePort) {
        this(
                address,
                identity,
                servicePort,
                null,
                null,
                null,
                OutlierDetectionConfig.DEFAULT,
                null,
                RetriesConfig.DEFAULT,
                RouteLimitsConfig.UNLIMITED);
    }
}
