package io.trustline.sidecar.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetSocketAddress;

/** A {@code host:port} pair from the config; IPv6 hosts are written in brackets ({@code [::1]:15006}). */
public record HostPort(String host, int port) {

    public HostPort {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host: '' (expected: a host name or IP address)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
    }

    /** Parses {@code host:port}; port 0 asks the OS for a free port (tests). */
    @JsonCreator
    public static HostPort parse(String text) {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("address: '" + text + "' (expected: host:port)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address: '" + text + "' (expected: host:port with a numeric port)");
        }
        return new HostPort(host, port);
    }

    public static HostPort of(String host, int port) {
        return new HostPort(host, port);
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    /** Whether this address can only be reached from this machine. */
    public boolean isLoopback() {
        return "localhost".equals(host) || host.startsWith("127.") || "::1".equals(host);
    }

    @JsonValue
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? '[' + host + "]:" + port : host + ':' + port;
    }
}
