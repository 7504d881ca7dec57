package io.trustline.sidecar.inbound;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.identity.MeshTls;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1 of the inbound pipeline: puts the peer's verified SPIFFE ID (from the mTLS handshake) on the request as
 * {@link PeerIdentity#ATTR}. A TLS request without one is refused; a plaintext request (permissive mode only) goes on
 * without a peer, logged once per connection and counted, and policy can still demand a peer identity.
 */
public final class PeerIdentityService extends SimpleDecoratingHttpService {

    private static final Logger logger = LoggerFactory.getLogger(PeerIdentityService.class);

    static final Refusal NO_PEER = Refusal.of(RefusalKind.UNAUTHENTICATED, ReasonCode.PEER_UNAUTHENTICATED);

    /** Identifies peers with {@code tls}; plaintext requests are counted in {@code meters}. */
    public static Function<? super HttpService, PeerIdentityService> newDecorator(MeshTls tls, MeterRegistry meters) {
        final Counter plaintext = Counter.builder(MetricNames.PLAINTEXT_REQUESTS)
                .description("Plaintext requests accepted by a permissive inbound listener")
                .register(meters);
        return delegate -> new PeerIdentityService(delegate, tls, plaintext);
    }

    private final MeshTls tls;
    private final Counter plaintextRequests;
    /** Remote addresses (ip:port, i.e. connections) already logged as plaintext; bounded so a flood costs nothing. */
    private final Cache<InetSocketAddress, Boolean> loggedPlaintext = Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterAccess(Duration.ofMinutes(10))
            .build();

    PeerIdentityService(HttpService delegate, MeshTls tls, Counter plaintextRequests) {
        super(delegate);
        this.tls = tls;
        this.plaintextRequests = plaintextRequests;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        if (ctx.sessionProtocol().isTls()) {
            final PeerIdentity peer = tls.peerOf(ctx.sslSession());
            if (peer == null) {
                return Refusals.respond(ctx, req.headers(), NO_PEER);
            }
            ctx.setAttr(PeerIdentity.ATTR, peer);
        } else {
            plaintextRequests.increment();
            final InetSocketAddress remote = ctx.remoteAddress();
            if (loggedPlaintext.asMap().putIfAbsent(remote, Boolean.TRUE) == null) {
                logger.warn("plaintext connection accepted (permissive mode) remote={}", remote);
            }
        }
        return unwrap().serve(ctx, req);
    }
}
