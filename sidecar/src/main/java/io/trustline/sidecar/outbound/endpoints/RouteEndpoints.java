package io.trustline.sidecar.outbound.endpoints;

import com.linecorp.armeria.client.DecoratingHttpClientFunction;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.client.endpoint.OutlierDetectingEndpointGroup;
import com.linecorp.armeria.client.endpoint.dns.DnsAddressEndpointGroup;
import com.linecorp.armeria.client.endpoint.dns.DnsAddressEndpointGroupBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.trustline.ca.HostPort;
import io.trustline.sidecar.config.DnsEndpointsConfig;
import io.trustline.sidecar.config.OutlierDetectionConfig;
import io.trustline.sidecar.config.RouteConfig;
import io.trustline.sidecar.metrics.MetricNames;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where one route's requests go, built once per route: an {@link EndpointGroup} to hand the client, and the
 * decorator that feeds each call's outcome to outlier detection (null when there is none).
 *
 * <p>A route with one {@code address} is that {@link Endpoint} itself: no group, no listeners, no per-request work
 * beyond today's. Every other source becomes source group -> Armeria's {@link OutlierDetectingEndpointGroup} (unless
 * {@code outlierDetection.enabled: false}) -> {@link EjectionLimitingEndpointGroup}, which balances requests
 * round-robin over what is in the rotation.
 */
public final class RouteEndpoints implements AutoCloseable {

    private final EndpointGroup group;
    private final @Nullable DecoratingHttpClientFunction outcomes;

    private RouteEndpoints(EndpointGroup group, @Nullable DecoratingHttpClientFunction outcomes) {
        this.group = group;
        this.outcomes = outcomes;
    }

    /**
     * Builds the endpoints of route {@code name}. A request that finds the route empty waits at most
     * {@code selectionTimeout} for an endpoint (e.g. the first DNS answer), then fails with an
     * {@link com.linecorp.armeria.client.endpoint.EndpointGroupException}. DNS lookups run on one of
     * {@code eventLoops}.
     */
    public static RouteEndpoints of(
            String name,
            RouteConfig route,
            MeterRegistry meters,
            Duration selectionTimeout,
            EventLoopGroup eventLoops) {
        final HostPort address = route.address();
        if (address != null) {
            return new RouteEndpoints(Endpoint.of(address.host(), address.port()), null);
        }
        final long timeoutMillis = Math.max(1, selectionTimeout.toMillis());
        final EndpointGroup source = source(name, route, timeoutMillis, eventLoops);
        final OutlierDetectionConfig od = route.outlierDetection();
        final Counter ejections = Counter.builder(MetricNames.OUTBOUND_ENDPOINT_EJECTIONS)
                .description("Endpoints taken out of a route's rotation by outlier detection")
                .tag(MetricNames.ROUTE, name)
                .register(meters);
        if (!od.enabled()) {
            return new RouteEndpoints(
                    gauged(
                            name,
                            new EjectionLimitingEndpointGroup(name, source, null, 0, ejections, timeoutMillis),
                            meters),
                    null);
        }
        final OutlierDetectingEndpointGroup outliers = OutlierDetectingEndpointGroup.builder(source)
                .namePrefix("trustline-route-" + name)
                .failureRateThreshold(od.failurePercent() / 100.0)
                .minimumRequestThreshold(od.minimumRequests())
                .counterSlidingWindow(od.window())
                .circuitOpenWindow(od.ejectionTime())
                .build();
        return new RouteEndpoints(
                gauged(
                        name,
                        new EjectionLimitingEndpointGroup(
                                name, source, outliers, od.maxEjectedPercent(), ejections, timeoutMillis),
                        meters),
                outliers.asDecorator());
    }

    private static final String ENDPOINTS_DESCRIPTION =
            "A route's endpoints now: serving, or ejected by outlier detection";

    /** Registers {@code group}'s serving and ejected counts as {@link MetricNames#OUTBOUND_ENDPOINTS}. */
    private static EjectionLimitingEndpointGroup gauged(
            String name, EjectionLimitingEndpointGroup group, MeterRegistry meters) {
        Gauge.builder(MetricNames.OUTBOUND_ENDPOINTS, group, g -> g.endpoints().size())
                .description(ENDPOINTS_DESCRIPTION)
                .tags(MetricNames.ROUTE, name, MetricNames.STATE, "serving")
                .register(meters);
        Gauge.builder(MetricNames.OUTBOUND_ENDPOINTS, group, EjectionLimitingEndpointGroup::ejectedNow)
                .description(ENDPOINTS_DESCRIPTION)
                .tags(MetricNames.ROUTE, name, MetricNames.STATE, "ejected")
                .register(meters);
        return group;
    }

    private static EndpointGroup source(
            String name, RouteConfig route, long selectionTimeoutMillis, EventLoopGroup eventLoops) {
        final List<HostPort> list = route.endpoints();
        if (list != null) {
            return EndpointGroup.of(
                    EndpointSelectionStrategy.roundRobin(),
                    list.stream().map(a -> Endpoint.of(a.host(), a.port())).toList());
        }
        final DnsEndpointsConfig dns = route.dns();
        if (dns != null) {
            final DnsAddressEndpointGroupBuilder b = DnsAddressEndpointGroup.builder(dns.name())
                    .eventLoop(eventLoops.next())
                    .port(dns.port())
                    .ttl((int) dns.minTtl().toSeconds(), (int) dns.maxTtl().toSeconds())
                    .selectionStrategy(EndpointSelectionStrategy.roundRobin())
                    .selectionTimeoutMillis(selectionTimeoutMillis);
            if (!dns.servers().isEmpty()) {
                b.serverAddresses(dns.servers().stream()
                        .map(s -> new InetSocketAddress(s.host(), s.port()))
                        .toList());
            }
            return b.build();
        }
        final var file = route.file();
        if (file != null) {
            return new FileEndpointGroup(name, file, selectionTimeoutMillis);
        }
        throw new IllegalArgumentException("route " + name + ": no endpoints");
    }

    /** The group the route's client sends to. */
    public EndpointGroup group() {
        return group;
    }

    /** The decorator that reports each call's outcome to outlier detection, or null (one endpoint, or disabled). */
    public @Nullable DecoratingHttpClientFunction outcomes() {
        return outcomes;
    }

    @Override
    public void close() {
        group.closeAsync();
    }
}
