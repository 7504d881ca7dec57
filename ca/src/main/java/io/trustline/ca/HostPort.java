package io.trustline.ca;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A {@code host:port} address, as the CA, its client and the sidecar's config take them; IPv6 hosts are written in
 * brackets ({@code [::1]:15006}). The one parser of such addresses in Trustline.
 */
public record HostPort(String host, int port) {

    /** Checks that the host is not empty and the port is in 0-65535. */
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

    /** Returns the address of {@code host} (a name or an IP address, IPv6 without brackets) and {@code port}. */
    public static HostPort of(String host, int port) {
        return new HostPort(host, port);
    }

    /** Returns the socket address, resolving the host name now (unresolved if it does not resolve). */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    /**
     * Whether this address can only be reached from this machine: the host resolves, and every address it resolves
     * to is a loopback address. Judged on the resolved addresses, never on the text, so {@code 127.evil.example}
     * is not loopback. A name that does not resolve is not loopback either (fail closed).
     */
    public boolean isLoopback() {
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The socket address to bind a loopback-only listener to, resolved once and checked again, so the name cannot
     * resolve to another address between the config check and the bind.
     *
     * @throws IllegalArgumentException if the host does not resolve to a loopback address
     */
    public InetSocketAddress toLoopbackSocketAddress() {
        final InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(this + " (expected: a loopback address; the host does not resolve)");
        }
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException(
                    this + " (expected: a loopback address; it resolves to " + address.getHostAddress() + ')');
        }
        return new InetSocketAddress(address, port);
    }

    @JsonValue
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? '[' + host + "]:" + port : host + ':' + port;
    }
}
