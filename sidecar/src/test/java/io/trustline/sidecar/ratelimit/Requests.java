package io.trustline.sidecar.ratelimit;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.trustline.ca.SpiffeId;
import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.VerifiedToken;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Requests as the rate-limit stages see them: attributes set by the stages before them. */
final class Requests {

    static final String SERVICE = "orders";
    static final String FRONTEND = "spiffe://example.org/ns/shop/sa/frontend";
    static final String BATCH = "spiffe://example.org/ns/shop/sa/batch";

    /** An engine for {@link #SERVICE} whose spec is the given YAML lines (indented by two spaces). */
    static PolicyEngine engine(String spec) {
        try {
            return PolicyEngine.compile(
                    PolicyParser.parse(
                            "limits.yaml",
                            "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: limits}\nspec:\n"
                                    + "  service: " + SERVICE + "\n"
                                    + "  rules: [{name: all, action: allow}]\n"
                                    + spec,
                            Path.of(".")),
                    "v1");
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private HttpMethod method = HttpMethod.GET;
    private String path = "/api/orders";
    private @Nullable String peer = FRONTEND;
    private String ip = "10.0.0.1";
    private @Nullable VerifiedToken token;
    private boolean grpc;

    static Requests get(String path) {
        final Requests r = new Requests();
        r.path = path;
        return r;
    }

    static Requests post(String path) {
        final Requests r = get(path);
        r.method = HttpMethod.POST;
        return r;
    }

    static Requests grpc(String fullMethod) {
        final Requests r = post('/' + fullMethod);
        r.grpc = true;
        return r;
    }

    Requests peer(@Nullable String spiffeId) {
        peer = spiffeId;
        return this;
    }

    Requests ip(String address) {
        ip = address;
        return this;
    }

    Requests user(String subject, Map<String, Object> claims) {
        token = new VerifiedToken(
                "https://auth.example.org",
                subject,
                "https://auth.example.org/" + subject,
                claims,
                Instant.now().plusSeconds(3600));
        return this;
    }

    RequestHeaders headers() {
        final RequestHeadersBuilder b = RequestHeaders.builder(method, path);
        if (grpc) {
            b.contentType(MediaType.parse("application/grpc"));
        }
        return b.build();
    }

    ServiceRequestContext ctx() {
        try {
            final ServiceRequestContext ctx = ServiceRequestContext.builder(HttpRequest.of(headers()))
                    .remoteAddress(new InetSocketAddress(InetAddress.getByName(ip), 40000))
                    .build();
            if (peer != null) {
                ctx.setAttr(PeerIdentity.ATTR, new PeerIdentity(SpiffeId.parse(peer), "00", "By=x;URI=" + peer));
            }
            InboundRequest.put(ctx, new InboundRequest(PathNormalizer.normalize(path)));
            if (token != null) {
                ctx.setAttr(VerifiedToken.ATTR, token);
            }
            return ctx;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
