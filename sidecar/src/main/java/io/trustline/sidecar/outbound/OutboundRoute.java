package io.trustline.sidecar.outbound;

import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.identity.MeshTls;
import io.trustline.sidecar.outbound.endpoints.RouteEndpoints;
import org.jspecify.annotations.Nullable;

/**
 * One destination in the outbound route table: where its peers' inbound sidecars are ({@link RouteEndpoints}) and
 * the SPIFFE ID they must prove. Each call carries the {@link ClientTlsSpec} for that identity, reused until our SVID changes, so calls
 * share pooled connections and a rotation moves new calls to new connections.
 */
final class OutboundRoute {

    private final String name;
    private final RouteEndpoints endpoints;
    private final SpiffeId identity;
    private final @Nullable Integer servicePort;
    private final WebClient client;
    private final MeshTls tls;
    private volatile RequestOptions options = RequestOptions.of();
    private volatile @Nullable ClientTlsSpec optionsSpec;

    OutboundRoute(
            String name,
            RouteEndpoints endpoints,
            SpiffeId identity,
            @Nullable Integer servicePort,
            WebClient client,
            MeshTls tls) {
        this.name = name;
        this.endpoints = endpoints;
        this.identity = identity;
        this.servicePort = servicePort;
        this.client = client;
        this.tls = tls;
    }

    HttpResponse execute(HttpRequest req) {
        return client.execute(req, options());
    }

    private RequestOptions options() {
        final ClientTlsSpec spec = tls.clientTlsSpec(identity);
        if (spec != optionsSpec) {
            options = RequestOptions.builder().clientTlsSpec(spec).build();
            optionsSpec = spec;
        }
        return options;
    }

    /** Whether a {@code Host} naming {@code port} (null: no port) means this route. */
    boolean acceptsPort(@Nullable String port) {
        return port == null || servicePort == null || port.equals(servicePort.toString());
    }

    String name() {
        return name;
    }

    RouteEndpoints endpoints() {
        return endpoints;
    }

    SpiffeId identity() {
        return identity;
    }
}
