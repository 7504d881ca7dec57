package io.trustline.sidecar.proxy;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.util.SafeCloseable;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.config.SidecarConfig.AppProtocol;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.HeaderEdits;
import io.trustline.sidecar.request.InboundRequest;
import java.net.InetSocketAddress;

/**
 * The last stage of the inbound pipeline: forwards the request, streaming in both directions, to the local app on
 * loopback, with the headers {@link ProxyHeaders#toApp} prepares. An unreachable app is a quick 503 (gRPC
 * UNAVAILABLE); a passed gRPC deadline a 504 (DEADLINE_EXCEEDED). A request without a body whose connection broke
 * before any answer is sent again once where that is safe ({@link AppResend}).
 */
public final class AppProxyService implements HttpService {

    private final WebClient app;
    private final boolean http1App;
    private final AppResend resend;

    /**
     * Forwards to {@code app}, a client made by {@link Upstreams#appClient} for an app that speaks {@code protocol};
     * requests sent again after a broken connection ({@link AppResend}) are counted in {@code meters}.
     */
    public AppProxyService(WebClient app, AppProtocol protocol, MeterRegistry meters) {
        this.app = app;
        this.http1App = protocol == AppProtocol.HTTP;
        this.resend = new AppResend(meters);
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
        if (!req.isEmpty()) {
            // A body streams to the app as it arrives and is not kept: such a request is sent exactly once.
            return toCaller(ctx, req, app.execute(req.withHeaders(headers)));
        }
        // A request without a body goes out as a fixed one (Armeria's client writes it at once instead of
        // subscribing to a stream), and can be sent again: recover() sees only failures before any response header.
        return AppResponseFilter.apply(app.execute(headers), http1App).recover(cause -> {
            if (!resend.sendAgain(headers.method(), cause)) {
                return Refusals.respond(ctx, req.headers(), UpstreamErrors.classify(cause));
            }
            // The failed attempt's connection has left the pool; this one goes out on another. Pushed, so that the
            // new client context is the serving request's child again (event loop, exact target).
            try (SafeCloseable ignored = ctx.push()) {
                return toCaller(ctx, req, app.execute(headers));
            }
        });
    }

    /** The app's answer, or the refusal for a failure before it. */
    private HttpResponse toCaller(ServiceRequestContext ctx, HttpRequest req, HttpResponse fromApp) {
        return AppResponseFilter.apply(fromApp, http1App)
                .recover(cause -> Refusals.respond(ctx, req.headers(), UpstreamErrors.classify(cause)));
    }
}
