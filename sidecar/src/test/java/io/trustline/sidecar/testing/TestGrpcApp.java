package io.trustline.sidecar.testing;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import io.trustline.sidecar.testing.v1.EchoResponse;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A grpc-java app (its own shaded Netty, h2c) with every call shape. It answers with the caller identity the
 * sidecar handed it in {@code x-forwarded-client-cert}, and fails on request with a given status plus a custom
 * trailer, so tests see trailers cross both sidecars intact.
 */
public final class TestGrpcApp implements AutoCloseable {

    public static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-app-detail", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> XFCC =
            Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> PEER = Context.key("peer");

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final LongAdder calls = new LongAdder();
    private final Server server;

    public TestGrpcApp() throws IOException {
        final ServerInterceptor capturePeer = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                calls.increment();
                final String xfcc = headers.get(XFCC);
                return Contexts.interceptCall(
                        Context.current().withValue(PEER, xfcc == null ? "" : xfcc), call, headers, next);
            }
        };
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(new EchoImpl(), capturePeer))
                .build()
                .start();
    }

    public int port() {
        return server.getPort();
    }

    /** Calls that reached the app. */
    public long calls() {
        return calls.sum();
    }

    @Override
    public void close() {
        server.shutdownNow();
        timer.shutdownNow();
    }

    private final class EchoImpl extends EchoGrpc.EchoImplBase {

        @Override
        public void unary(EchoRequest req, StreamObserver<EchoResponse> out) {
            if (failed(req, out)) {
                return;
            }
            final Runnable reply = () -> {
                out.onNext(response(req, 0));
                out.onCompleted();
            };
            if (req.getDelayMillis() > 0) {
                timer.schedule(Context.current().wrap(reply), req.getDelayMillis(), TimeUnit.MILLISECONDS);
            } else {
                reply.run();
            }
        }

        @Override
        public void serverStream(EchoRequest req, StreamObserver<EchoResponse> out) {
            if (failed(req, out)) {
                return;
            }
            sendNext(req, out, 0);
        }

        private void sendNext(EchoRequest req, StreamObserver<EchoResponse> out, int index) {
            if (index >= req.getCount()) {
                out.onCompleted();
                return;
            }
            out.onNext(response(req, index));
            timer.schedule(
                    Context.current().wrap(() -> sendNext(req, out, index + 1)),
                    req.getDelayMillis(),
                    TimeUnit.MILLISECONDS);
        }

        @Override
        public StreamObserver<EchoRequest> clientStream(StreamObserver<EchoResponse> out) {
            final StringBuilder all = new StringBuilder();
            return new StreamObserver<>() {
                private int n;

                @Override
                public void onNext(EchoRequest req) {
                    all.append(req.getMessage());
                    n++;
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    out.onNext(EchoResponse.newBuilder()
                            .setMessage(all.toString())
                            .setIndex(n)
                            .setPeerIdentity(PEER.get())
                            .build());
                    out.onCompleted();
                }
            };
        }

        @Override
        public StreamObserver<EchoRequest> bidi(StreamObserver<EchoResponse> out) {
            return new StreamObserver<>() {
                private int n;

                @Override
                public void onNext(EchoRequest req) {
                    out.onNext(response(req, n++));
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }

        private boolean failed(EchoRequest req, StreamObserver<EchoResponse> out) {
            if (req.getFailWithCode() == 0) {
                return false;
            }
            final Metadata trailers = new Metadata();
            trailers.put(DETAIL, "failed on purpose");
            out.onError(Status.fromCodeValue(req.getFailWithCode())
                    .withDescription("app failure")
                    .asRuntimeException(trailers));
            return true;
        }

        private EchoResponse response(EchoRequest req, int index) {
            return EchoResponse.newBuilder()
                    .setMessage(req.getMessage())
                    .setIndex(index)
                    .setPeerIdentity(PEER.get())
                    .setPayload(req.getPayload())
                    .build();
        }
    }
}
