package io.trustline.sidecar.proxy;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientFactoryOptions;
import com.linecorp.armeria.client.DecoratingHttpClientFunction;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.HttpPreprocessor;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.client.WebClientBuilder;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.channel.EventLoopGroup;
import io.netty.util.AttributeKey;
import io.trustline.ca.HostPort;
import io.trustline.sidecar.config.SidecarConfig.AppProtocol;
import io.trustline.sidecar.config.SidecarConfig.Limits;
import io.trustline.sidecar.connection.FlushBatching;
import io.trustline.sidecar.request.StageOutcomes;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** Builds the sidecar's clients: to the local app, and to peer sidecars over mTLS. */
public final class Upstreams {

    /**
     * The request target to send upstream byte for byte. Armeria's client parses a request's path again and decodes
     * percent-encodings on the way (an app would receive {@code ;} for {@code %3B}, {@code +} for {@code %20} in the
     * query), so the listeners put the exact target here and the clients restore it after that parsing.
     */
    public static final AttributeKey<String> TARGET = AttributeKey.valueOf(Upstreams.class, "TARGET");

    /**
     * A client factory for one kind of upstream, on the sidecar's {@code eventLoops} (left running when it closes).
     * Connections idle for {@code idleTimeout} are closed, and live at most {@code maxConnectionAge} so none outlives
     * the certificate it was opened with.
     */
    public static ClientFactory factory(
            EventLoopGroup eventLoops, Limits limits, Duration idleTimeout, Duration maxConnectionAge) {
        return ClientFactory.builder()
                .workerGroup(eventLoops, false)
                .connectTimeout(limits.connectTimeout())
                .idleTimeout(idleTimeout)
                .maxConnectionAge(maxConnectionAge)
                // Streams are bounded by the caller's deadline and idle timeouts, not by a response cap.
                .http2MaxHeaderListSize(limits.maxHeaderBytes())
                .option(ClientFactoryOptions.CHANNEL_PIPELINE_CUSTOMIZER, FlushBatching.CLIENT_CUSTOMIZER)
                .build();
    }

    /** The client to the app on loopback; gRPC apps need {@link AppProtocol#H2C}. */
    public static WebClient appClient(ClientFactory factory, HostPort app, AppProtocol protocol) {
        final SessionProtocol sessionProtocol = protocol == AppProtocol.H2C ? SessionProtocol.H2C : SessionProtocol.H1C;
        return builder(factory, sessionProtocol, Endpoint.of(app.host(), app.port()))
                .decorator(Upstreams::honourGrpcDeadline)
                .decorator(Upstreams::exactTarget)
                .build();
    }

    /**
     * The client to a route's peer sidecars' inbound listeners: HTTP/2 over mTLS, each request to the endpoint
     * {@code peers} selects (an {@link Endpoint} for a route with one address). {@code outcomes}, when not null,
     * sees each attempt with its endpoint (outlier detection). The endpoint that served the request is put on the
     * serving request as {@link StageOutcomes#UPSTREAM_ENDPOINT}.
     *
     * <p>The chain, outermost first: {@code around} (the route's limits and timeout), the caller's {@code grpc-timeout},
     * {@code retries}, then per attempt the exact target, {@code outcomes} and the endpoint record. Retries sit inside
     * the deadlines, which then bound all attempts together, and outside everything that must see each attempt: every
     * attempt carries the exact target and counts for outlier detection. A route with neither {@code around} nor
     * {@code retries} gets exactly the plain chain, not even an empty decorator.
     */
    public static WebClient peerClient(
            ClientFactory factory,
            EndpointGroup peers,
            @Nullable DecoratingHttpClientFunction outcomes,
            @Nullable Function<? super HttpClient, ? extends HttpClient> retries,
            List<Function<? super HttpClient, ? extends HttpClient>> around) {
        // WebClientBuilder applies the decorator added last outermost.
        final WebClientBuilder b = builder(factory, SessionProtocol.H2, peers).decorator(Upstreams::recordEndpoint);
        if (outcomes != null) {
            b.decorator(outcomes);
        }
        b.decorator(Upstreams::exactTarget);
        if (retries != null) {
            b.decorator(retries);
        }
        b.decorator(Upstreams::honourGrpcDeadline);
        for (int i = around.size() - 1; i >= 0; i--) {
            b.decorator(around.get(i));
        }
        return b.build();
    }

    /** The client to one peer sidecar's inbound listener: HTTP/2 over mTLS. */
    public static WebClient peerClient(ClientFactory factory, HostPort peer) {
        return peerClient(factory, Endpoint.of(peer.host(), peer.port()), null, null, List.of());
    }

    private static WebClientBuilder builder(ClientFactory factory, SessionProtocol protocol, EndpointGroup target) {
        final HttpPreprocessor sameEventLoop = (delegate, ctx, req) -> {
            ctx.setSessionProtocol(protocol);
            ctx.setEndpointGroup(target);
            // Run the upstream call on the event loop that serves the incoming request: no hand-off between
            // threads per request, and each event loop keeps its own upstream connections.
            final ServiceRequestContext root = ctx.root();
            if (root != null) {
                ctx.setEventLoop(root.eventLoop().withoutContext());
            }
            return delegate.execute(ctx, req);
        };
        return WebClient.builder(sameEventLoop)
                .factory(factory)
                // Armeria's 10 s response timeout and 10 MiB cap would cut long streams and large bodies.
                .responseTimeout(Duration.ZERO)
                .maxResponseLength(0);
    }

    private static com.linecorp.armeria.common.HttpResponse recordEndpoint(
            HttpClient delegate,
            com.linecorp.armeria.client.ClientRequestContext ctx,
            com.linecorp.armeria.common.HttpRequest req)
            throws Exception {
        final Endpoint endpoint = ctx.endpoint();
        final ServiceRequestContext root = ctx.root();
        if (endpoint != null && root != null) {
            root.setAttr(StageOutcomes.UPSTREAM_ENDPOINT, endpoint);
        }
        return delegate.execute(ctx, req);
    }

    private static com.linecorp.armeria.common.HttpResponse honourGrpcDeadline(
            HttpClient delegate,
            com.linecorp.armeria.client.ClientRequestContext ctx,
            com.linecorp.armeria.common.HttpRequest req)
            throws Exception {
        final long timeoutMillis = GrpcDeadlines.timeoutMillis(req.headers());
        // A route's shorter timeout, set before, stays.
        final long current = ctx.responseTimeoutMillis();
        if (timeoutMillis > 0 && (current <= 0 || current > timeoutMillis)) {
            ctx.setResponseTimeoutMillis(timeoutMillis);
        }
        return delegate.execute(ctx, req);
    }

    private static com.linecorp.armeria.common.HttpResponse exactTarget(
            HttpClient delegate,
            com.linecorp.armeria.client.ClientRequestContext ctx,
            com.linecorp.armeria.common.HttpRequest req)
            throws Exception {
        // attr() looks in the serving request's context too, where the listener put the target.
        final String target = ctx.attr(TARGET);
        if (target == null || target.equals(req.path())) {
            return delegate.execute(ctx, req);
        }
        final com.linecorp.armeria.common.HttpRequest exact =
                req.withHeaders(req.headers().toBuilder().path(target));
        ctx.updateRequest(exact);
        return delegate.execute(ctx, exact);
    }

    private Upstreams() {}
}
