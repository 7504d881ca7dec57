package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.HostPort;
import java.time.Duration;
import java.util.List;

/**
 * A route's endpoints from DNS ({@code outbound.routes.<name>.dns}): the A and AAAA records of {@code name}, each
 * with {@code port}, resolved again when the answer's TTL (clamped to {@code minTtl}..{@code maxTtl}) runs out.
 *
 * @param name the name to resolve, e.g. a Kubernetes headless service {@code inventory.shop.svc.cluster.local}
 * @param port the port of the peers' inbound sidecars
 * @param minTtl the shortest time an answer is kept, whole seconds. Default 1s
 * @param maxTtl the longest time an answer is kept, whole seconds. Default 30s
 * @param servers the DNS servers to ask. Default empty: the system's resolvers ({@code /etc/resolv.conf})
 */
public record DnsEndpointsConfig(String name, Integer port, Duration minTtl, Duration maxTtl, List<HostPort> servers) {

    public DnsEndpointsConfig {
        requireNonNull(name, "name");
        requireNonNull(port, "port");
        if (minTtl == null) {
            minTtl = Duration.ofSeconds(1);
        }
        if (maxTtl == null) {
            maxTtl = Duration.ofSeconds(30);
        }
        servers = servers == null ? List.of() : List.copyOf(servers);
        if (name.isBlank()) {
            throw new IllegalArgumentException("name: '' (expected: a DNS name)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        if (minTtl.toMillis() < 1000 || minTtl.toNanos() % 1_000_000_000L != 0) {
            throw new IllegalArgumentException(
                    "minTtl: " + Durations.format(minTtl) + " (expected: whole seconds, >= 1s)");
        }
        if (maxTtl.compareTo(minTtl) < 0 || maxTtl.toNanos() % 1_000_000_000L != 0) {
            throw new IllegalArgumentException(
                    "maxTtl: " + Durations.format(maxTtl) + " (expected: whole seconds, >= minTtl)");
        }
    }
}
