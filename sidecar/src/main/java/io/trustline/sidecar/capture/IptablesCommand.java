package io.trustline.sidecar.capture;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trustline-sidecar iptables}: the pod's init step that captures its TCP for the sidecar, as
 * {@code istio-iptables} does for Envoy. Prints the {@link CaptureRules} as {@code iptables-restore} input, applies
 * them (IPv4 and IPv6) or removes them. Must run in the pod's network namespace with {@code NET_ADMIN}.
 */
@Command(
        name = "iptables",
        mixinStandardHelpOptions = true,
        description = "Print, apply or remove the nat rules that send this pod's TCP through the sidecar.")
public final class IptablesCommand implements Callable<Integer> {

    /** Exit code when a netfilter tool is missing or refuses the rules. */
    static final int EXIT_NETFILTER = 4;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true)
    Mode mode = new Mode();

    static final class Mode {
        @Option(names = "--print", description = "Print the iptables-restore input (the default).")
        boolean print;

        @Option(names = "--apply", description = "Remove earlier rules, then apply IPv4 and IPv6 rules.")
        boolean apply;

        @Option(names = "--clean", description = "Remove the TRUSTLINE_* chains and the jumps into them.")
        boolean clean;
    }

    @Option(
            names = "--family",
            defaultValue = "ipv4",
            description = "With --print: ipv4 (iptables-restore input) or ipv6 (ip6tables-restore). Default ipv4.")
    String family;

    @Option(names = "--proxy-uid", paramLabel = "UID", description = "The sidecar's user id; never captured.")
    Integer proxyUid;

    @Option(names = "--proxy-gid", paramLabel = "GID", description = "The sidecar's group id; never captured.")
    Integer proxyGid;

    @Option(names = "--outbound-port", defaultValue = "15001", description = "Outbound listener. Default 15001.")
    int outboundPort;

    @Option(names = "--inbound-port", defaultValue = "15006", description = "Inbound listener. Default 15006.")
    int inboundPort;

    @Option(
            names = "--admin-port",
            defaultValue = "15000",
            description = "The admin port, never captured inbound. Default 15000.")
    int adminPort;

    @Option(
            names = "--probe-port",
            defaultValue = "15020",
            description = "The probe port (admin.probeListen), never captured inbound; 0 for none. Default 15020.")
    int probePort;

    @Option(
            names = "--include-inbound-ports",
            defaultValue = "*",
            paramLabel = "PORTS",
            description = "'*' (every port but the excluded ones), a comma-separated list, or '' (none). Default '*'.")
    String includeInboundPorts;

    @Option(
            names = "--exclude-inbound-ports",
            defaultValue = "",
            paramLabel = "PORTS",
            description = "Comma-separated incoming ports that bypass the sidecar, besides the admin and probe port.")
    String excludeInboundPorts;

    @Option(
            names = "--exclude-outbound-ports",
            defaultValue = "",
            paramLabel = "PORTS",
            description = "Comma-separated destination ports the app reaches directly, outside the mesh.")
    String excludeOutboundPorts;

    @Option(
            names = "--exclude-outbound-cidrs",
            defaultValue = "",
            paramLabel = "CIDRS",
            description = "Comma-separated address blocks (IPv4 or IPv6) the app reaches directly, outside the mesh.")
    String excludeOutboundCidrs;

    @Option(
            names = "--ipv6",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "With --apply/--clean: also IPv6 (ip6tables). --no-ipv6 leaves the app's IPv6 uncaptured.")
    boolean ipv6;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final List<IpFamily> families = ipv6 ? List.of(IpFamily.IPV4, IpFamily.IPV6) : List.of(IpFamily.IPV4);
        try {
            if (mode.clean) {
                families.forEach(f -> clean(f, err));
                return 0;
            }
            final CaptureRules rules = rules();
            if (!mode.apply) {
                out.print(rules.render(parseFamily(family)));
                out.flush();
                return 0;
            }
            for (IpFamily f : families) {
                clean(f, err);
                run(List.of(f.tool() + "-restore", "--noflush"), rules.render(f));
                err.println("trustline-sidecar iptables: " + f.tool() + " capture rules applied");
            }
            return 0;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        } catch (NetfilterException e) {
            err.println("trustline-sidecar iptables: " + e.getMessage());
            return EXIT_NETFILTER;
        }
    }

    CaptureRules rules() {
        final SortedSet<Integer> excludedInbound = ports("--exclude-inbound-ports", excludeInboundPorts);
        excludedInbound.add(adminPort);
        if (probePort != 0) {
            excludedInbound.add(probePort);
        }
        final boolean all = includeInboundPorts.trim().equals("*");
        return new CaptureRules(
                outboundPort,
                inboundPort,
                proxyUid,
                proxyGid,
                all,
                all ? new TreeSet<>() : ports("--include-inbound-ports", includeInboundPorts),
                excludedInbound,
                ports("--exclude-outbound-ports", excludeOutboundPorts),
                list(excludeOutboundCidrs));
    }

    /** Removes what {@code --apply} adds; rules or chains that are not there are not an error. */
    private static void clean(IpFamily family, PrintWriter err) {
        for (List<String> jump : CaptureRules.JUMPS) {
            // A jump may have been added more than once by hand; remove every copy.
            for (int i = 0; i < 16 && quietly(family, "-D", jump); i++) {
                err.println(
                        "trustline-sidecar iptables: removed " + family.tool() + " -t nat " + String.join(" ", jump));
            }
        }
        // Every chain is emptied before any is deleted: TRUSTLINE_OUTPUT jumps to TRUSTLINE_IN_REDIRECT, and a chain
        // that is still a jump target cannot be deleted.
        for (String chain : CaptureRules.CHAINS) {
            quietly(family, "-F", List.of(chain));
        }
        for (String chain : CaptureRules.CHAINS) {
            quietly(family, "-X", List.of(chain));
        }
    }

    private static boolean quietly(IpFamily family, String op, List<String> args) {
        final List<String> command = new ArrayList<>(List.of(family.tool(), "-w", "-t", "nat", op));
        command.addAll(args);
        final int exit = run(command, null);
        // iptables exits with 1 for a rule that is not there and 2 for a chain that is not there (the nf_tables
        // variant); anything else (4: not permitted, no nat table) is an error.
        if (exit > 2) {
            throw new NetfilterException(String.join(" ", command) + " failed (exit " + exit + ')');
        }
        return exit == 0;
    }

    /** Runs {@code command}; a non-zero exit is an error when {@code input} is given and a "no" otherwise. */
    private static int run(List<String> command, @Nullable String input) {
        final Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new NetfilterException(command.get(0) + " cannot be run (is it installed?): " + e.getMessage(), e);
        }
        try {
            if (input != null) {
                process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            }
            process.getOutputStream().close();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            final int exit = process.waitFor();
            if (exit != 0 && input != null) {
                throw new NetfilterException(
                        String.join(" ", command) + " failed (exit " + exit + "): " + output.strip());
            }
            return exit;
        } catch (IOException e) {
            throw new NetfilterException(command.get(0) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetfilterException(command.get(0) + " interrupted", e);
        }
    }

    private static IpFamily parseFamily(String text) {
        for (IpFamily f : IpFamily.values()) {
            if (f.name().equalsIgnoreCase(text)) {
                return f;
            }
        }
        throw new IllegalArgumentException("--family: '" + text + "' (expected: ipv4, ipv6)");
    }

    private static SortedSet<Integer> ports(String option, String text) {
        final SortedSet<Integer> ports = new TreeSet<>();
        for (String item : list(text)) {
            try {
                ports.add(Integer.parseInt(item));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + item + "' (expected: a port number, 1-65535)");
            }
        }
        return ports;
    }

    private static List<String> list(String text) {
        final List<String> items = new ArrayList<>();
        for (String item : text.split(",")) {
            if (!item.isBlank()) {
                items.add(item.strip());
            }
        }
        return items;
    }

    /** A netfilter tool is missing or refused the rules; the message names the tool and what it said. */
    static final class NetfilterException extends RuntimeException {
        NetfilterException(String message) {
            super(message);
        }

        NetfilterException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
