package io.trustline.sidecar.config;

import io.trustline.ca.HostPort;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads where a route's requests go: its one endpoint source ({@code address}, {@code endpoints}, {@code dns} or
 * {@code file}) and {@code outlierDetection}, each problem at its place.
 */
final class RouteEndpointsReader {

    private static final String EXAMPLE_HOST = "10.0.0.7";

    private final ConfigValues v;

    RouteEndpointsReader(ConfigValues values) {
        this.v = values;
    }

    /**
     * Reports a route that sets no source (at the route) or more than one (at the second), and returns whether the
     * sources are fine. A missing source whose key is only mistyped ({@code adress:}) was reported as that typo.
     */
    boolean exactlyOneSource(Fields r, List<String> allowed) {
        final List<String> present = new ArrayList<>();
        for (String key : r.map().entries().keySet()) {
            if (RouteConfig.SOURCES.contains(key)) {
                present.add(key);
            }
        }
        if (present.size() == 1) {
            return true;
        }
        if (present.isEmpty()) {
            final boolean typo = r.map().entries().keySet().stream()
                    .anyMatch(k -> !allowed.contains(k) && RouteConfig.SOURCES.contains(Fields.closest(k, allowed)));
            if (!typo) {
                v.problems()
                        .add(
                                r.location(),
                                r.name("").replaceAll("\\.$", "") + ": no endpoints (expected: one of "
                                        + String.join(", ", RouteConfig.SOURCES) + ")");
            }
            return false;
        }
        v.problems()
                .add(
                        r.keyLocation(present.get(1)),
                        r.name(present.get(1)) + ": " + present.get(0) + " is set too (expected: exactly one of "
                                + String.join(", ", RouteConfig.SOURCES) + ")");
        return false;
    }

    @Nullable
    HostPort address(Fields r) {
        return v.address(r, "address", EXAMPLE_HOST);
    }

    /** {@code endpoints: [host:port, ...]}: each item checked like an address. */
    @Nullable
    List<HostPort> endpoints(Fields r) {
        final YamlNode n = r.node("endpoints");
        if (n == null) {
            return null;
        }
        if (!(n instanceof YamlList l) || l.items().isEmpty()) {
            v.problems()
                    .add(
                            n,
                            r.name("endpoints") + ": " + Fields.got(n) + " (expected: a list of host:port, e.g. ["
                                    + EXAMPLE_HOST + ":15006, 10.0.0.8:15006])");
            return null;
        }
        final List<HostPort> out = new ArrayList<>(l.items().size());
        for (YamlNode item : l.items()) {
            final HostPort a = v.address(item, r.name("endpoints"), EXAMPLE_HOST);
            if (a != null) {
                out.add(a);
            }
        }
        return out.size() == l.items().size() ? out : null;
    }

    @SuppressWarnings("NullAway") // v.build calls the constructor only without problems
    @Nullable
    DnsEndpointsConfig dns(Fields r) {
        final int before = v.problems().count();
        final Fields f = v.section(r, "dns", DnsEndpointsConfig.class);
        if (f == null) {
            return null;
        }
        final List<String> keys = ConfigValues.keys(DnsEndpointsConfig.class);
        final String name = v.requiredString(f, "name", keys);
        final YamlNode portNode = v.required(f, "port", keys);
        final Integer port = portNode == null ? null : v.integer(f, "port");
        final Duration minTtl = v.duration(f, "minTtl");
        final Duration maxTtl = v.duration(f, "maxTtl");
        final List<HostPort> servers = servers(f);
        return v.build(f, before, () -> new DnsEndpointsConfig(name, port, minTtl, maxTtl, servers));
    }

    private @Nullable List<HostPort> servers(Fields f) {
        final YamlNode n = f.node("servers");
        if (n == null) {
            return null;
        }
        if (!(n instanceof YamlList l)) {
            v.problems().add(n, f.name("servers") + ": " + Fields.got(n) + " (expected: a list of host:port)");
            return null;
        }
        final List<HostPort> out = new ArrayList<>();
        for (YamlNode item : l.items()) {
            final HostPort a = v.address(item, f.name("servers"), "10.96.0.10");
            if (a != null) {
                out.add(a);
            }
        }
        return out;
    }

    @Nullable
    Path file(Fields r) {
        return v.path(r, "file");
    }

    @SuppressWarnings("NullAway") // v.build calls the constructor only without problems
    @Nullable
    OutlierDetectionConfig outlierDetection(Fields r) {
        final int before = v.problems().count();
        final Fields f = v.section(r, "outlierDetection", OutlierDetectionConfig.class);
        if (f == null) {
            return null;
        }
        final Boolean enabled = v.bool(f, "enabled");
        final Integer failurePercent = v.integer(f, "failurePercent");
        final Integer minimumRequests = v.integer(f, "minimumRequests");
        final Duration window = v.duration(f, "window");
        final Duration ejectionTime = v.duration(f, "ejectionTime");
        final Integer maxEjectedPercent = v.integer(f, "maxEjectedPercent");
        return v.build(
                f,
                before,
                () -> new OutlierDetectionConfig(
                        enabled, failurePercent, minimumRequests, window, ejectionTime, maxEjectedPercent));
    }
}
