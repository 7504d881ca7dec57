package io.trustline.sidecar.outbound;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import io.trustline.sidecar.config.SidecarConfig.RouteConfig;
import io.trustline.sidecar.identity.MeshTls;
import io.trustline.sidecar.proxy.ProxyHeaders;
import io.trustline.sidecar.proxy.UpstreamErrors;
import io.trustline.sidecar.proxy.Upstreams;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The outbound listener's service: looks the destination up by the name in {@code Host}/{@code :authority} (or in
 * an absolute-form request URI) and forwards over mTLS to that service's inbound sidecar. A name that is not in the
 * route table is refused and never forwarded: the sidecar is not an open proxy.
 */
public final class OutboundService implements HttpService {

    /** The route the current outbound request took, for the access log and the span. */
    public static final AttributeKey<String> ROUTE = AttributeKey.valueOf(OutboundService.class, "ROUTE");

    static final Refusal UNKNOWN_ROUTE = Refusal.of(RefusalKind.NO_ROUTE, "route.unknown");

    private final Map<String, OutboundRoute> routes;

    public OutboundService(Map<String, RouteConfig> routes, ClientFactory factory, MeshTls tls) {
        final Map<String, OutboundRoute> built = new HashMap<>();
        routes.forEach((name, route) -> built.put(
                name.toLowerCase(java.util.Locale.ROOT),
                new OutboundRoute(
                        name, route.address(), route.identity(), Upstreams.peerClient(factory, route.address()), tls)));
        this.routes = Map.copyOf(built);
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        final RequestHeaders headers = req.headers();
        final OutboundRoute route = routeFor(headers.authority());
        if (route == null) {
            return Refusals.respond(ctx, headers, UNKNOWN_ROUTE);
        }
        ctx.setAttr(ROUTE, route.name());
        return route.execute(req.withHeaders(ProxyHeaders.toPeer(headers)))
                .recover(cause -> Refusals.respond(ctx, headers, UpstreamErrors.classify(cause)));
    }

    private @Nullable OutboundRoute routeFor(@Nullable String authority) {
        if (authority == null || authority.isEmpty()) {
            return null;
        }
        String host = authority;
        if (host.charAt(0) != '[') {
            final int colon = host.indexOf(':');
            if (colon >= 0) {
                host = host.substring(0, colon);
            }
        }
        OutboundRoute route = routes.get(host);
        if (route == null) {
            route = routes.get(host.toLowerCase(java.util.Locale.ROOT));
        }
        return route;
    }

    /**
     * Turns an absolute-form request target ({@code http://name/path}, sent by apps that use the listener as their
     * HTTP proxy) into its path; the name travels in the {@code Host} header, which HTTP/1.1 clients must send. Only
     * {@code http://} is accepted: TLS to the destination is the sidecar's job.
     */
    public static String absoluteUriToPath(String uri) {
        if (!uri.regionMatches(true, 0, "http://", 0, 7)) {
            throw new IllegalArgumentException("only http:// absolute URIs are proxied");
        }
        final int slash = uri.indexOf('/', 7);
        return slash < 0 ? "/" : uri.substring(slash);
    }
}
