package io.trustline.ca.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/** Puts what the transport knows about the caller (client chain, address) into the call's context. */
final class CallerContext implements ServerInterceptor {

    static final Context.Key<X509Certificate[]> PEER_CHAIN = Context.key("trustline-peer-chain");
    static final Context.Key<String> PEER_ADDRESS = Context.key("trustline-peer-address");

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        final SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        final SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        final Context context = Context.current()
                .withValue(PEER_CHAIN, peerChain(session))
                .withValue(PEER_ADDRESS, remote == null ? "" : remote.toString());
        return Contexts.interceptCall(context, call, headers, next);
    }

    private static X509Certificate @Nullable [] peerChain(@Nullable SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            final Certificate[] certificates = session.getPeerCertificates();
            final X509Certificate[] chain = new X509Certificate[certificates.length];
            for (int i = 0; i < certificates.length; i++) {
                if (!(certificates[i] instanceof X509Certificate)) {
                    return null;
                }
                chain[i] = (X509Certificate) certificates[i];
            }
            return chain;
        } catch (SSLPeerUnverifiedException e) {
            // No client certificate: a join-token caller.
            return null;
        }
    }
}
