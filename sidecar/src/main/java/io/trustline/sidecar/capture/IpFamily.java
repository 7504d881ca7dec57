package io.trustline.sidecar.capture;

/** The two address families the capture rules are written for, each with its own netfilter tools. */
public enum IpFamily {
    IPV4("iptables", "127.0.0.0/8"),
    IPV6("ip6tables", "::1/128");

    private final String tool;
    private final String loopback;

    IpFamily(String tool, String loopback) {
        this.tool = tool;
        this.loopback = loopback;
    }

    /** {@code iptables} or {@code ip6tables}; the restore tool is this name plus {@code -restore}. */
    public String tool() {
        return tool;
    }

    /** The loopback network of this family, which capture never redirects. */
    String loopback() {
        return loopback;
    }

    /** Whether {@code cidr} (already validated) is an address block of this family. */
    boolean contains(String cidr) {
        return (cidr.indexOf(':') >= 0) == (this == IPV6);
    }
}
