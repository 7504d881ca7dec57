package io.trustline.sidecar.proxy;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.trustline.sidecar.config.SidecarConfig.AppProtocol;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.HeaderEdits;
import io.trustline.sidecar.request.InboundRequest;
import java.net.InetSocketAddress;

/**
 * The last stage of the inbound pipeline: forwards the request, streaming in both directions, to the local app on
 * loopback, with the headers {@link ProxyHeaders#toApp} prepares. An unreachable app is a quick 503 (gRPC
 * UNAVAILABLE); a passed gRPC deadline a 504 (DEADLINE_EXCEEDED).
 */
public final class AppProxyService implements HttpService {

    private final WebClient app;
    private final boolean http1App;

    /**
     * Forwards to {@code app}, a client made by {@link Upstreams#appClient} for an app that speaks {@code protocol}.
     */
    public AppProxyService(WebClient app, AppProtocol protocol) {
        this.app = app;
        this.http1App = protocol == AppProtocol.HTTP;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        final InetSocketAddress remote = ctx.remoteAddress();
        final String target = InboundRequest.of(ctx).path().pathAndQuery();
        // The app client would re-normalise the path (decoding %3B, re-encoding the query); Upstreams sends this.
        ctx.setAttr(Upstreams.TARGET, target);
        final RequestHeaders headers = ProxyHeaders.toApp(
                req.headers(),
                target,
                ctx.attr(PeerIdentity.ATTR),
                remote.getAddress().getHostAddress(),
                ctx.sessionProtocol().isTls(),
                ctx.attr(HeaderEdits.ATTR));
        return AppResponseFilter.apply(app.execute(req.withHeaders(headers)), http1App)
                .recover(cause -> Refusals.respond(ctx, req.headers(), UpstreamErrors.classify(cause)));
    }
}
