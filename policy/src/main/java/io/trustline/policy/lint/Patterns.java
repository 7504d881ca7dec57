package io.trustline.policy.lint;

import io.trustline.policy.model.IpBlock;
import io.trustline.policy.model.StringMatch;
import io.trustline.policy.model.StringMatch.Kind;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Set reasoning over the match values of rules: which patterns include or exclude each other. Every answer errs on
 * the side of "might overlap" and "might not cover", so that a lint built on it reports only what is certain.
 */
final class Patterns {

    private Patterns() {}

    /** Whether every string {@code inner} matches is also matched by {@code outer}. */
    static boolean covers(StringMatch outer, StringMatch inner) {
        if (outer.kind() == Kind.PRESENT) {
            return true;
        }
        String o = outer.value();
        String i = inner.value();
        return switch (inner.kind()) {
            case EXACT -> outer.matches(i);
            case PREFIX -> outer.kind() == Kind.PREFIX && i.startsWith(o);
            case SUFFIX -> outer.kind() == Kind.SUFFIX && i.endsWith(o);
            case PRESENT -> false;
        };
    }

    /** Whether one of {@code outers} alone covers {@code inner} (a union of several is not looked at). */
    static boolean coveredByOne(List<StringMatch> outers, StringMatch inner) {
        for (StringMatch o : outers) {
            if (covers(o, inner)) {
                return true;
            }
        }
        return false;
    }

    /** Whether every pattern of {@code inners} is covered by one of {@code outers}; false for an empty {@code inners}. */
    static boolean allCovered(List<StringMatch> outers, List<StringMatch> inners) {
        if (inners.isEmpty()) {
            return false;
        }
        for (StringMatch i : inners) {
            if (!coveredByOne(outers, i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether some string matches both patterns. */
    static boolean overlap(StringMatch a, StringMatch b) {
        if (a.kind() == Kind.PRESENT || b.kind() == Kind.PRESENT) {
            return true;
        }
        if (a.kind() == Kind.EXACT) {
            return b.matches(a.value());
        }
        if (b.kind() == Kind.EXACT) {
            return a.matches(b.value());
        }
        if (a.kind() != b.kind()) {
            // A prefix and a suffix: their concatenation matches both.
            return true;
        }
        return a.kind() == Kind.PREFIX
                ? a.value().startsWith(b.value()) || b.value().startsWith(a.value())
                : a.value().endsWith(b.value()) || b.value().endsWith(a.value());
    }

    /** Whether no pattern of {@code as} overlaps any pattern of {@code bs}. */
    static boolean disjoint(List<StringMatch> as, List<StringMatch> bs) {
        for (StringMatch a : as) {
            for (StringMatch b : bs) {
                if (overlap(a, b)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The pattern of the paths of the gRPC calls that {@code grpc} matches: a call's path is {@code /} followed by
     * its {@code package.Service/Method}. A suffix stays a suffix (it loses only the leading slash, which every path
     * has anyway).
     */
    static StringMatch grpcPath(StringMatch grpc) {
        return switch (grpc.kind()) {
            case EXACT -> StringMatch.exact("/" + grpc.value());
            case PREFIX -> new StringMatch(Kind.PREFIX, "/" + grpc.value());
            case SUFFIX, PRESENT -> grpc;
        };
    }

    /** Whether every address of {@code inner} is in {@code outer} (CIDR blocks nest or are disjoint). */
    static boolean contains(IpBlock outer, IpBlock inner) {
        return outer.isIpv6() == inner.isIpv6()
                && outer.prefixLength() <= inner.prefixLength()
                && outer.contains(networkAddress(inner));
    }

    /** Whether one of {@code outers} contains every block of {@code inners}; false for an empty {@code inners}. */
    static boolean allContained(List<IpBlock> outers, List<IpBlock> inners) {
        if (inners.isEmpty()) {
            return false;
        }
        for (IpBlock i : inners) {
            if (outers.stream().noneMatch(o -> contains(o, i))) {
                return false;
            }
        }
        return true;
    }

    /** Whether no block of {@code as} shares an address with a block of {@code bs}. */
    static boolean disjointBlocks(List<IpBlock> as, List<IpBlock> bs) {
        for (IpBlock a : as) {
            for (IpBlock b : bs) {
                if (contains(a, b) || contains(b, a)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static InetAddress networkAddress(IpBlock b) {
        String s = b.toString();
        byte[] bytes = IpBlock.parseAddress(s.substring(0, s.indexOf('/')));
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a parsed block has a valid address: " + b, e);
        }
    }
}
