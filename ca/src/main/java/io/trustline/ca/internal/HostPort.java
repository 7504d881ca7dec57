package io.trustline.ca.internal;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;

/** Parses {@code host:port} and {@code [ipv6]:port} strings. */
public final class HostPort {

    private HostPort() {}

    /**
     * Parses an address such as {@code 0.0.0.0:15012}, {@code localhost:0} or {@code [::1]:15012}
     * into an unresolved-if-needed socket address.
     *
     * @throws IllegalArgumentException if it has no port or the port is out of range
     */
    public static InetSocketAddress parse(String hostPort) {
        requireNonNull(hostPort, "hostPort");
        final int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("address: " + hostPort + " (expected: HOST:PORT)");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address: " + hostPort + " (expected: a numeric port)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("address: " + hostPort + " (expected: port 0..65535)");
        }
        return new InetSocketAddress(host, port);
    }
}
