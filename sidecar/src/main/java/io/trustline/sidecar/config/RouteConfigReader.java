package io.trustline.sidecar.config;

import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reads {@code outbound.routes}: one {@link RouteConfig} per destination name, every problem reported. */
final class RouteConfigReader {

    private final ConfigValues v;

    RouteConfigReader(ConfigValues values) {
        this.v = values;
    }

    @SuppressWarnings("NullAway") // see SidecarConfigReader: v.build calls the constructor only without problems
    @Nullable
    Map<String, RouteConfig> routes(Fields parent, @Nullable String trustDomain, @Nullable String namespace) {
        final YamlNode n = parent.node("routes");
        if (n == null) {
            return null;
        }
        final Fields f = Fields.of(n, parent.name("routes"), v.problems());
        if (f == null) {
            return null;
        }
        final Map<String, RouteConfig> routes = new LinkedHashMap<>();
        final List<String> keys = ConfigValues.keys(RouteConfig.class);
        for (YamlMap.Entry e : f.map().entries().values()) {
            final int before = v.problems().count();
            final Fields r = v.section(e.value(), f.name(e.key()), RouteConfig.class);
            if (r == null) {
                continue;
            }
            final RouteEndpointsReader sources = new RouteEndpointsReader(v);
            sources.exactlyOneSource(r, keys);
            final HostPort address = sources.address(r);
            final List<HostPort> endpoints = sources.endpoints(r);
            final DnsEndpointsConfig dns = sources.dns(r);
            final Path file = sources.file(r);
            final OutlierDetectionConfig outlierDetection = sources.outlierDetection(r);
            final RouteTrafficReader traffic = new RouteTrafficReader(v);
            final Duration timeout = traffic.timeout(r);
            final RetriesConfig retries = traffic.retries(r);
            final RouteLimitsConfig limits = traffic.limits(r);
            final YamlNode identityNode = v.required(r, "identity", keys);
            final SpiffeId identity =
                    identityNode == null ? null : v.spiffeId(identityNode, r.name("identity"), trustDomain, namespace);
            final Integer servicePort = v.integer(r, "servicePort");
            final RouteConfig route = v.build(
                    r,
                    before,
                    () -> new RouteConfig(
                            address,
                            identity,
                            servicePort,
                            endpoints,
                            dns,
                            file,
                            outlierDetection,
                            timeout,
                            retries,
                            limits));
            if (route != null) {
                routes.put(e.key(), route);
            }
        }
        return routes;
    }
}
