package io.trustline.examples.common;

import java.net.InetSocketAddress;

/**
 * Where a shop app sends its calls to another shop service, and the authority it names.
 *
 * <p>Under transparent capture the app calls the service by name ({@code orders:8080}) as if no mesh existed, and
 * netfilter rules in its network namespace bring the connection to its sidecar, which routes on that authority.
 * Without capture (the embedded demo, on loopback and without root) the app connects to its sidecar's outbound
 * listener itself and names the service in {@code Host}/{@code :authority}.
 *
 * @param connectTo the address the app's client connects to; unresolved for a name, so that it is resolved at
 *     connection time as a real client would
 * @param authority the {@code Host}/{@code :authority} of each call
 */
public record Peer(InetSocketAddress connectTo, String authority) {

    /** The service itself, called by {@code host:port} (transparent capture). */
    public static Peer byName(String host, int port) {
        return new Peer(InetSocketAddress.createUnresolved(host, port), host + ':' + port);
    }

    /** The service named {@code service}, called through the sidecar's outbound listener at {@code outbound}. */
    public static Peer viaSidecar(String service, InetSocketAddress outbound) {
        return new Peer(outbound, service);
    }
}
