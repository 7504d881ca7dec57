package io.trustline.ca.server;

import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.SvidValidator;
import io.trustline.ca.X509Svid;
import io.trustline.ca.tls.SvidKeyManager;
import io.trustline.ca.tls.SvidTrustManager;

/** Raw TLS channels to a CA server, optionally presenting a client SVID. */
final class CaChannels {

    private CaChannels() {}

    static ManagedChannel channel(CaServer server, CertificateAuthority trusted, X509Svid clientSvid) {
        final SvidValidator validator =
                new SvidValidator(trusted.trustBundle(), trusted.trustDomain(), trusted.clock());
        final TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder()
                .trustManager(SvidTrustManager.forPeer(() -> validator, trusted.serverId()));
        if (clientSvid != null) {
            credentials.keyManager(new SvidKeyManager(() -> clientSvid));
        }
        return NettyChannelBuilder.forAddress("127.0.0.1", server.port(), credentials.build())
                .build();
    }
}
