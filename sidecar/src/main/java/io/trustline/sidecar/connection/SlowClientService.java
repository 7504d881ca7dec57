package io.trustline.sidecar.connection;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.trustline.sidecar.config.SlowClientLimits;

/**
 * Slow-client deadlines for one listener: {@link #install} puts a {@link SlowClientGuard} at the head of every
 * connection and returns this decorator, the listener's outermost, which tells the guard when a request's headers
 * are complete. The guard judges a body by its request stream: open until the client's last byte is in. A request
 * costs a channel attribute lookup and, while its body is still arriving, a place in a per-connection list.
 */
public final class SlowClientService extends SimpleDecoratingHttpService {

    /**
     * Installs the guard on {@code sb}'s connections and wraps {@code service} in the decorator that feeds it.
     *
     * @param tls whether the listener speaks TLS (a handshake deadline first)
     */
    public static HttpService install(
            ServerBuilder sb,
            String listener,
            SlowClientLimits limits,
            boolean tls,
            ConnectionEvents events,
            HttpService service) {
        sb.childChannelPipelineCustomizer(p -> p.addFirst(new SlowClientGuard(listener, limits, tls, events)));
        return new SlowClientService(service);
    }

    private SlowClientService(HttpService delegate) {
        super(delegate);
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final Channel channel = ctx.log().isAvailable(RequestLogProperty.SESSION)
                ? ctx.log().partial().channel()
                : null;
        final SlowClientGuard guard =
                channel != null ? channel.attr(SlowClientGuard.KEY).get() : null;
        if (guard != null && channel != null) {
            final boolean multiplexed = ctx.sessionProtocol().isMultiplex();
            final EventLoop loop = channel.eventLoop();
            if (loop.inEventLoop()) {
                guard.requestStarted(req, multiplexed, isStream(req.headers()));
            } else {
                final boolean stream = isStream(req.headers());
                loop.execute(() -> guard.requestStarted(req, multiplexed, stream));
            }
        }
        return unwrap().serve(ctx, req);
    }

    /** gRPC calls and WebSocket upgrades are long-lived streams whose messages may come rarely, not uploads. */
    static boolean isStream(RequestHeaders headers) {
        final String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        return (contentType != null && contentType.startsWith("application/grpc"))
                || headers.contains(HttpHeaderNames.UPGRADE)
                || headers.contains(HttpHeaderNames.PROTOCOL);
    }
}
