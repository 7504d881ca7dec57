package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * An IPv4 or IPv6 CIDR block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}); a bare address is a
 * single-host block. An IPv4-mapped IPv6 source ({@code ::ffff:10.1.2.3}, as dual-stack sockets
 * report IPv4 peers) matches IPv4 blocks. Parsing never resolves host names.
 */
public final class IpBlock {

    private final byte[] network;
    private final int prefixLength;

    private IpBlock(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code address[/prefix]}.
     *
     * @throws IllegalArgumentException for anything that is not an IP literal with a prefix length
     *     in range, or a block with host bits set ({@code 10.0.0.1/8} names no block; it is
     *     usually a typo for {@code 10.0.0.0/8} or {@code 10.0.0.1/32})
     */
    public static IpBlock parse(String cidr) {
        requireNonNull(cidr, "cidr");
        int slash = cidr.indexOf('/');
        String addr = slash < 0 ? cidr : cidr.substring(0, slash);
        byte[] bytes = parseAddress(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + cidr + "' (expected: an IPv4 or IPv6 CIDR such as 10.0.0.0/8)");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = cidr.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException(
                        "'" + cidr + "' (expected: a prefix length between 0 and " + max + ")");
            }
            prefix = Integer.parseInt(p);
            if (prefix > max) {
                throw new IllegalArgumentException(
                        "'" + cidr + "' (expected: a prefix length between 0 and " + max + ")");
            }
        }
        byte[] masked = mask(bytes, prefix);
        if (!Arrays.equals(masked, bytes)) {
            throw new IllegalArgumentException(
                    "'" + cidr + "' has host bits set (expected: " + format(masked) + "/" + prefix + ")");
        }
        return new IpBlock(masked, prefix);
    }

    /** Whether {@code address} lies in this block; {@code null} (no source address) never does. */
    public boolean contains(@Nullable InetAddress address) {
        if (address == null) {
            return false;
        }
        byte[] a = address.getAddress();
        if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
            a = Arrays.copyOfRange(a, 12, 16);
        }
        if (a.length != network.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xff << (8 - rest)) & 0xff;
        return (a[full] & m) == (network[full] & m);
    }

    public int prefixLength() {
        return prefixLength;
    }

    public boolean isIpv6() {
        return network.length == 16;
    }

    /**
     * Parses an IP literal without any name lookup, or returns null. IPv4 must be a strict dotted
     * quad (no {@code 010}, no {@code 10.1}); IPv6 is checked for its alphabet before the JDK parses
     * it, since {@link InetAddress#getByName} would otherwise resolve a host name.
     */
    public static byte @Nullable [] parseAddress(String s) {
        if (s.indexOf(':') < 0) {
            return parseIpv4(s);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok =
                    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
            if (!ok) {
                return null;
            }
        }
        try {
            InetAddress a = InetAddress.getByName(s);
            byte[] b = a.getAddress();
            if (a instanceof Inet4Address) {
                // The JDK folds "::ffff:1.2.3.4" into an IPv4 address; keep the form the user wrote.
                byte[] v6 = new byte[16];
                v6[10] = (byte) 0xff;
                v6[11] = (byte) 0xff;
                System.arraycopy(b, 0, v6, 12, 4);
                return v6;
            }
            return a instanceof Inet6Address ? b : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte @Nullable [] parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            b[i] = (byte) v;
        }
        return b;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & ((0xff << (8 - bits)) & 0xff));
        }
        return out;
    }

    private static String format(byte[] b) {
        try {
            return InetAddress.getByAddress(b).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpBlock other
                && other.prefixLength == prefixLength
                && Arrays.equals(other.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    /** The canonical CIDR form, e.g. {@code 10.0.0.0/8} or {@code 2001:db8:0:0:0:0:0:0/32}. */
    @Override
    public String toString() {
        return format(network) + "/" + prefixLength;
    }
}
