package io.trustline.sidecar.outbound;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.config.RouteConfig;
import io.trustline.sidecar.identity.MeshTls;
import io.trustline.sidecar.outbound.endpoints.RouteEndpoints;
import io.trustline.sidecar.outbound.traffic.RouteTraffic;
import io.trustline.sidecar.proxy.ProxyHeaders;
import io.trustline.sidecar.proxy.UpstreamErrors;
import io.trustline.sidecar.proxy.Upstreams;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.HostHeaders;
import io.trustline.sidecar.request.StageOutcomes;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound listener's service: looks the destination up by the name in {@code Host}/{@code :authority} (or in
 * an absolute-form request URI), and by its port when the route declares a {@code servicePort}, and forwards over
 * mTLS to that service's inbound sidecar. A name that is not in the
 * route table is refused and never forwarded: the sidecar is not an open proxy.
 */
public final class OutboundService implements HttpService, AutoCloseable {

    static final Refusal UNKNOWN_ROUTE = Refusal.of(RefusalKind.NO_ROUTE, ReasonCode.ROUTE_UNKNOWN);

    /**
     * The first segment of a transformed absolute-form target. Random per process, so an origin-form path cannot
     * pose as one (and if it could, it would gain nothing: the app may send absolute-form to any route anyway).
     */
    static final String ABSOLUTE_FORM = "/.trustline-absolute-form-" + randomHex() + '/';

    private static final Logger logger = LoggerFactory.getLogger(OutboundService.class);

    private final Map<String, OutboundRoute> routes;

    /**
     * The routes of {@code routes}, each with its endpoints built once ({@link RouteEndpoints}); a request that finds
     * its route empty waits at most {@code connectTimeout} for an endpoint. {@link #close} stops them.
     */
    public OutboundService(
            Map<String, RouteConfig> routes,
            ClientFactory factory,
            MeshTls tls,
            MeterRegistry meters,
            Duration connectTimeout) {
        final Map<String, OutboundRoute> built = new HashMap<>();
        routes.forEach((name, route) -> {
            final RouteEndpoints endpoints =
                    RouteEndpoints.of(name, route, meters, connectTimeout, factory.eventLoopGroup());
            final RouteTraffic traffic = RouteTraffic.of(name, route, meters);
            built.put(
                    name.toLowerCase(java.util.Locale.ROOT),
                    new OutboundRoute(
                            name,
                            endpoints,
                            route.identity(),
                            route.servicePort(),
                            Upstreams.peerClient(
                                    factory,
                                    endpoints.group(),
                                    endpoints.outcomes(),
                                    traffic.retries(),
                                    traffic.around()),
                            tls));
        });
        this.routes = Map.copyOf(built);
    }

    /** Stops resolving and watching the routes' endpoints. */
    @Override
    public void close() {
        routes.values().forEach(r -> r.endpoints().close());
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        RequestHeaders headers = req.headers();
        final String raw = ctx.rawPath();
        final String authority;
        final String target;
        if (raw.startsWith(ABSOLUTE_FORM)) {
            // RFC 9112 3.2.2: the target's authority names the destination and replaces any Host the app sent.
            final int slash = raw.indexOf('/', ABSOLUTE_FORM.length());
            authority = raw.substring(ABSOLUTE_FORM.length(), slash);
            target = raw.substring(slash);
            headers = headers.toBuilder()
                    .removeAndThen(HttpHeaderNames.HOST)
                    .authority(authority)
                    .build();
        } else {
            final String hostProblem = HostHeaders.problem(headers);
            if (hostProblem != null) {
                logger.debug("request refused request_id={} reason=invalid_host detail={}", ctx.id(), hostProblem);
                return Refusals.respond(ctx, headers, HostHeaders.INVALID_HOST);
            }
            authority = headers.authority();
            target = raw;
        }
        final OutboundRoute route = routeFor(authority);
        if (route == null) {
            return Refusals.respond(ctx, headers, UNKNOWN_ROUTE);
        }
        ctx.setAttr(StageOutcomes.OUTBOUND_ROUTE, route.name());
        // The peer gets the target as the app wrote it; its inbound sidecar is the one that normalises and checks.
        ctx.setAttr(Upstreams.TARGET, target);
        final RequestHeaders received = headers;
        return route.execute(req.withHeaders(ProxyHeaders.toPeer(headers)))
                .recover(cause -> Refusals.respond(ctx, received, UpstreamErrors.classify(cause)));
    }

    private static String randomHex() {
        final byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private @Nullable OutboundRoute routeFor(@Nullable String authority) {
        if (authority == null || authority.isEmpty()) {
            return null;
        }
        String host = authority;
        String port = null;
        if (host.charAt(0) != '[') {
            final int colon = host.indexOf(':');
            if (colon >= 0) {
                port = host.substring(colon + 1);
                host = host.substring(0, colon);
            }
        }
        OutboundRoute route = routes.get(host);
        if (route == null) {
            route = routes.get(host.toLowerCase(java.util.Locale.ROOT));
        }
        // Captured calls name the service's own port (http://orders:8080/): a route that declares it matches only
        // that port, so a call meant for another port of the same name is not silently sent to this service.
        return route != null && route.acceptsPort(port) ? route : null;
    }

    /**
     * Turns an absolute-form request target ({@code http://name/path}, sent by apps that use the listener as their
     * HTTP proxy) into a path Armeria accepts that still carries the name: {@link #ABSOLUTE_FORM}, the authority,
     * then the path. Armeria hands services only the transformed target, and the route must come from the URI's
     * authority, not from {@code Host}. Only {@code http://} is accepted: TLS to the destination is the sidecar's job.
     */
    public static String absoluteUriToPath(String uri) {
        if (!uri.regionMatches(true, 0, "http://", 0, 7)) {
            throw new IllegalArgumentException("only http:// absolute URIs are proxied");
        }
        int end = 7;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        if (end == 7) {
            throw new IllegalArgumentException("absolute URI without an authority");
        }
        final String rest = uri.substring(end);
        return ABSOLUTE_FORM + uri.substring(7, end) + (rest.startsWith("/") ? rest : "/" + rest);
    }
}
