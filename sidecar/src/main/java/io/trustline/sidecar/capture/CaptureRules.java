package io.trustline.sidecar.capture;

import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The nat-table rules that send a pod's TCP through its sidecar, laid out as Istio's {@code istio-iptables} lays
 * them out: {@code TRUSTLINE_INBOUND} on {@code PREROUTING} picks the incoming connections that go to
 * {@code TRUSTLINE_IN_REDIRECT} (the inbound listener); {@code TRUSTLINE_OUTPUT} on {@code OUTPUT} lets the
 * sidecar's own connections, loopback, DNS and the excluded ports and address blocks through, and sends everything
 * else to {@code TRUSTLINE_REDIRECT} (the outbound listener). {@link #render} writes them as
 * {@code iptables-restore} input.
 *
 * @param outboundPort the outbound listener's port (Istio: 15001)
 * @param inboundPort the inbound listener's port (Istio: 15006)
 * @param proxyUid the sidecar's user id, whose connections are never captured; null when matched by group only
 * @param proxyGid the sidecar's group id, likewise; at least one of the two is required
 * @param allInboundPorts whether every incoming port is captured except {@code excludeInboundPorts} ({@code '*'})
 * @param includeInboundPorts the incoming ports captured when not {@code allInboundPorts}
 * @param excludeInboundPorts incoming ports never captured (the admin and probe ports among them)
 * @param excludeOutboundPorts destination ports the app reaches directly, outside the mesh
 * @param excludeOutboundCidrs destination address blocks the app reaches directly, outside the mesh
 */
public record CaptureRules(
        int outboundPort,
        int inboundPort,
        @Nullable Integer proxyUid,
        @Nullable Integer proxyGid,
        boolean allInboundPorts,
        SortedSet<Integer> includeInboundPorts,
        SortedSet<Integer> excludeInboundPorts,
        SortedSet<Integer> excludeOutboundPorts,
        List<String> excludeOutboundCidrs) {

    static final String INBOUND = "TRUSTLINE_INBOUND";
    static final String IN_REDIRECT = "TRUSTLINE_IN_REDIRECT";
    static final String OUTPUT = "TRUSTLINE_OUTPUT";
    static final String REDIRECT = "TRUSTLINE_REDIRECT";

    /** The chains, in the order they are declared and removed. */
    static final List<String> CHAINS = List.of(INBOUND, IN_REDIRECT, OUTPUT, REDIRECT);

    /** The jumps from the built-in chains into ours: the only rules outside our chains. */
    static final List<List<String>> JUMPS =
            List.of(List.of("PREROUTING", "-p", "tcp", "-j", INBOUND), List.of("OUTPUT", "-p", "tcp", "-j", OUTPUT));

    /** DNS over TCP (resolvers fall back to it for large answers) goes to the resolver, never to the listener. */
    private static final int DNS_PORT = 53;

    public CaptureRules {
        checkPort("outbound port", outboundPort);
        checkPort("inbound port", inboundPort);
        if (outboundPort == inboundPort) {
            throw new IllegalArgumentException(
                    "inbound port: " + inboundPort + " (expected: another port than the outbound port)");
        }
        if (proxyUid == null && proxyGid == null) {
            throw new IllegalArgumentException("proxy uid/gid: none (expected: --proxy-uid or --proxy-gid; without"
                    + " one the sidecar's own upstream connections would be redirected back into itself)");
        }
        checkId("proxy uid", proxyUid);
        checkId("proxy gid", proxyGid);
        includeInboundPorts = checkPorts("include inbound port", includeInboundPorts);
        excludeInboundPorts = checkPorts("exclude inbound port", excludeInboundPorts);
        excludeOutboundPorts = checkPorts("exclude outbound port", excludeOutboundPorts);
        excludeOutboundCidrs = List.copyOf(excludeOutboundCidrs);
        excludeOutboundCidrs.forEach(CaptureRules::checkCidr);
    }

    /** This rule set as {@code iptables-restore --noflush} input (or {@code ip6tables-restore}) for {@code family}. */
    public String render(IpFamily family) {
        final List<String> lines = new ArrayList<>();
        lines.add("# trustline-sidecar iptables: " + family.tool() + "-restore --noflush input");
        lines.add("*nat");
        CHAINS.forEach(chain -> lines.add(':' + chain + " - [0:0]"));
        lines.add("-A " + IN_REDIRECT + " -p tcp -j REDIRECT --to-ports " + inboundPort);
        lines.add("-A " + REDIRECT + " -p tcp -j REDIRECT --to-ports " + outboundPort);
        inbound(lines);
        output(lines, family);
        lines.add("COMMIT");
        return String.join("\n", lines) + '\n';
    }

    private void inbound(List<String> lines) {
        if (!allInboundPorts && includeInboundPorts.isEmpty()) {
            return;
        }
        lines.add("-A " + String.join(" ", JUMPS.get(0)));
        if (allInboundPorts) {
            excludeInboundPorts.forEach(port -> lines.add("-A " + INBOUND + " -p tcp --dport " + port + " -j RETURN"));
            lines.add("-A " + INBOUND + " -p tcp -j " + IN_REDIRECT);
            return;
        }
        includeInboundPorts.stream()
                .filter(port -> !excludeInboundPorts.contains(port))
                .forEach(port -> lines.add("-A " + INBOUND + " -p tcp --dport " + port + " -j " + IN_REDIRECT));
    }

    private void output(List<String> lines, IpFamily family) {
        lines.add("-A " + String.join(" ", JUMPS.get(1)));
        final String loopback = family.loopback();
        final List<String> owners = new ArrayList<>();
        if (proxyUid != null) {
            owners.add("--uid-owner " + proxyUid);
        }
        if (proxyGid != null) {
            owners.add("--gid-owner " + proxyGid);
        }
        for (String owner : owners) {
            // The sidecar calling its own pod's address (an app calling its own service by name) enters through
            // the inbound listener, as it would from another pod. Loopback destinations are the sidecar's hop to
            // its app, which must never be redirected.
            lines.add("-A " + OUTPUT + " -o lo ! -d " + loopback + " -m owner " + owner + " -j " + IN_REDIRECT);
            // The app talking to itself over loopback (its own pod address included) stays local.
            lines.add("-A " + OUTPUT + " -o lo -m owner ! " + owner + " -j RETURN");
            // The sidecar's own upstream connections: redirecting them would loop them back into the sidecar.
            lines.add("-A " + OUTPUT + " -m owner " + owner + " -j RETURN");
        }
        lines.add("-A " + OUTPUT + " -d " + loopback + " -j RETURN");
        lines.add("-A " + OUTPUT + " -p tcp --dport " + DNS_PORT + " -j RETURN");
        excludeOutboundPorts.forEach(port -> lines.add("-A " + OUTPUT + " -p tcp --dport " + port + " -j RETURN"));
        excludeOutboundCidrs.stream()
                .filter(family::contains)
                .forEach(cidr -> lines.add("-A " + OUTPUT + " -d " + cidr + " -j RETURN"));
        lines.add("-A " + OUTPUT + " -j " + REDIRECT);
    }

    private static void checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + ": " + port + " (expected: 1-65535)");
        }
    }

    private static SortedSet<Integer> checkPorts(String what, SortedSet<Integer> ports) {
        ports.forEach(port -> checkPort(what, port));
        return new TreeSet<>(ports);
    }

    private static void checkId(String what, @Nullable Integer id) {
        if (id != null && id < 0) {
            throw new IllegalArgumentException(what + ": " + id + " (expected: >= 0)");
        }
    }

    private static void checkCidr(String cidr) {
        final int slash = cidr.indexOf('/');
        final String address = slash < 0 ? cidr : cidr.substring(0, slash);
        final boolean v4 = NetUtil.isValidIpV4Address(address);
        final boolean v6 = !v4 && NetUtil.isValidIpV6Address(address);
        final int max = v4 ? 32 : 128;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
        }
        if (!(v4 || v6) || prefix < 0 || prefix > max) {
            throw new IllegalArgumentException(
                    "exclude outbound CIDR: '" + cidr + "' (expected: an IPv4 or IPv6 address block, e.g. 10.0.0.0/8)");
        }
    }
}
