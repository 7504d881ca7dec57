package io.trustline.sidecar.ratelimit;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.NetUtil;
import io.trustline.policy.model.ClaimCondition;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.request.VerifiedToken;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * The value a request has for a limit's key, or null when it has none (then the limit does not count the request):
 * a plaintext peer has no SPIFFE ID (its source address stands in for {@code principal}), a request without a
 * verified token has no request principal and no claims.
 */
final class RateLimitKeys {

    /** Longer key values are replaced by a digest, so that one bucket never holds a large string. */
    static final int MAX_KEY_CHARS = 256;

    static final String GLOBAL = "";

    /**
     * @param path the normalised path
     * @param grpcMethod {@code package.Service/Method} for gRPC calls, else null
     */
    static @Nullable String value(
            RateLimitKey key, ServiceRequestContext ctx, String method, String path, @Nullable String grpcMethod) {
        switch (key.kind()) {
            case PRINCIPAL:
                return principalOrAddress(ctx);
            case SOURCE_IP:
                return sourceIp(ctx);
            case REQUEST_PRINCIPAL: {
                final VerifiedToken token = ctx.attr(VerifiedToken.ATTR);
                return token != null ? bounded(token.requestPrincipal()) : null;
            }
            case CLAIM: {
                final VerifiedToken token = ctx.attr(VerifiedToken.ATTR);
                if (token == null) {
                    return null;
                }
                // A claim key always names its claim (RateLimitKey refuses one without).
                final Object v = ClaimCondition.lookup(token.claims(), requireNonNull(key.claim(), "claim"));
                // Only a scalar names one caller; an array or object claim does not count the request.
                return v instanceof String || v instanceof Number || v instanceof Boolean
                        ? bounded(v.toString())
                        : null;
            }
            case ROUTE:
                return bounded(grpcMethod != null ? grpcMethod : method + ' ' + path);
            case GLOBAL:
                return GLOBAL;
            default:
                throw new AssertionError(key);
        }
    }

    /** The peer's SPIFFE ID, or for a plaintext peer (permissive mode) its source address. */
    static @Nullable String principalOrAddress(ServiceRequestContext ctx) {
        final PeerIdentity peer = ctx.attr(PeerIdentity.ATTR);
        return peer != null ? bounded(peer.id().toString()) : sourceIp(ctx);
    }

    /**
     * The source address as text. An IPv6 source counts as its /64 (written {@code 2001:db8:1:2::/64}): one
     * host usually holds a whole /64, so a per-address key would give it 2^64 buckets.
     */
    static @Nullable String sourceIp(ServiceRequestContext ctx) {
        final InetSocketAddress remote = ctx.remoteAddress();
        final InetAddress address = remote != null ? remote.getAddress() : null;
        if (address == null) {
            return null;
        }
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        return ipv6Key(address.getAddress());
    }

    private static String ipv6Key(byte[] b) {
        if (isIpv4Mapped(b)) {
            return (b[12] & 0xff) + "." + (b[13] & 0xff) + '.' + (b[14] & 0xff) + '.' + (b[15] & 0xff);
        }
        final StringBuilder sb = new StringBuilder(24);
        for (int i = 0; i < 8; i += 2) {
            sb.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)))
                    .append(':');
        }
        return sb.append(":/64").toString();
    }

    private static boolean isIpv4Mapped(byte[] b) {
        if (b.length != 16 || b[10] != (byte) 0xff || b[11] != (byte) 0xff) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * An override value written as an address, in the form {@link #sourceIp} produces: {@code 10.0.0.1} stays,
     * {@code ::ffff:10.0.0.1} is {@code 10.0.0.1}, and an IPv6 address or {@code /64} such as
     * {@code 2001:db8::/64} is {@code 2001:db8:0:0::/64}. Anything else (a SPIFFE ID) is returned as it is.
     */
    static String normalizeAddress(String value) {
        final String host =
                value.endsWith("/64") && value.indexOf(':') >= 0 ? value.substring(0, value.length() - 3) : value;
        // Netty parses literals only: never a name lookup.
        final byte[] b = NetUtil.createByteArrayFromIpAddressString(host);
        if (b == null) {
            return value;
        }
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + '.' + (b[2] & 0xff) + '.' + (b[3] & 0xff);
        }
        return ipv6Key(b);
    }

    /** {@code value}, or for a value longer than {@link #MAX_KEY_CHARS} a prefix and its SHA-256. */
    static String bounded(String value) {
        if (value.length() <= MAX_KEY_CHARS) {
            return value;
        }
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return value.substring(0, 64) + "...#" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private RateLimitKeys() {}
}
