package io.trustline.sidecar.proxy;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import io.netty.util.AsciiString;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.request.HeaderEdits;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Header hygiene on both hops. Armeria already drops the hop-by-hop headers ({@code Connection} and the headers it
 * names, {@code Keep-Alive}, {@code Transfer-Encoding}, {@code Upgrade}, {@code Proxy-Connection}, {@code TE} other
 * than trailers); this class removes what a proxy must not pass on and sets what the sidecar vouches for.
 */
public final class ProxyHeaders {

    public static final AsciiString XFCC = AsciiString.cached("x-forwarded-client-cert");
    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    /** RFC 7239: a caller's claims about earlier hops the sidecar cannot check; removed, XFF carries the chain. */
    public static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    /** One address: the connection's peer as the sidecar saw it, whatever the caller sent. */
    public static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");

    /** Credentials for a proxy are meant for us, never for the next hop. */
    private static final AsciiString PROXY_AUTHORIZATION = AsciiString.cached("proxy-authorization");

    /** Fingerprinting headers removed from responses (an attacker learns nothing about the app's stack). */
    private static final List<AsciiString> FINGERPRINTS = List.of(
            AsciiString.cached("server"),
            AsciiString.cached("x-powered-by"),
            AsciiString.cached("x-aspnet-version"),
            AsciiString.cached("x-aspnetmvc-version"));

    /**
     * The headers the inbound sidecar sends to its app: the normalised path, the verified peer in XFCC (any XFCC
     * from outside removed first), the connection's real client address appended to {@code X-Forwarded-For} and
     * set as {@code X-Real-IP} (overwritten), {@code Forwarded} removed, and {@code X-Forwarded-Proto} from the
     * connection.
     *
     * @param pathAndQuery the normalised path with the original query, or null to keep the request's
     * @param extra more edits by earlier stages (e.g. claim headers), applied last
     */
    public static RequestHeaders toApp(
            RequestHeaders in,
            @Nullable String pathAndQuery,
            @Nullable PeerIdentity peer,
            String remoteIp,
            boolean tls,
            @Nullable HeaderEdits extra) {
        final RequestHeadersBuilder b = in.toBuilder();
        if (pathAndQuery != null) {
            b.path(pathAndQuery);
        }
        b.remove(PROXY_AUTHORIZATION);
        b.remove(XFCC);
        if (peer != null) {
            b.set(XFCC, peer.xfcc());
        }
        final String xff = in.get(X_FORWARDED_FOR);
        b.set(X_FORWARDED_FOR, xff == null || xff.isEmpty() ? remoteIp : xff + ", " + remoteIp);
        b.set(X_FORWARDED_PROTO, tls ? "https" : "http");
        b.remove(FORWARDED);
        b.set(X_REAL_IP, remoteIp);
        if (extra != null) {
            extra.applyTo(b);
        }
        return b.build();
    }

    /**
     * The headers the outbound sidecar sends to the peer: the app's request minus what only the local hop may
     * see. XFCC from the app is dropped: only an inbound sidecar may vouch for a peer.
     */
    public static RequestHeaders toPeer(RequestHeaders in) {
        if (!in.contains(PROXY_AUTHORIZATION) && !in.contains(XFCC)) {
            return in;
        }
        return in.toBuilder()
                .removeAndThen(PROXY_AUTHORIZATION)
                .removeAndThen(XFCC)
                .build();
    }

    /** Removes fingerprinting headers from a response, allocating only when there is something to remove. */
    public static ResponseHeaders scrubResponse(ResponseHeaders headers) {
        boolean found = false;
        for (AsciiString name : FINGERPRINTS) {
            if (headers.contains(name)) {
                found = true;
                break;
            }
        }
        if (!found) {
            return headers;
        }
        final ResponseHeadersBuilder b = headers.toBuilder();
        FINGERPRINTS.forEach(b::remove);
        return b.build();
    }

    /** Is this the hop-by-hop {@code Connection}-style header Armeria strips? Only for documentation and tests. */
    static boolean isHopByHop(CharSequence name) {
        return HttpHeaderNames.CONNECTION.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.KEEP_ALIVE.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.UPGRADE.contentEqualsIgnoreCase(name);
    }

    private ProxyHeaders() {}
}
