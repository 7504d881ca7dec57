package io.trustline.examples.orders;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.trustline.examples.common.CallContext;
import io.trustline.examples.common.Peer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The orders app: a grpc-java server (its own shaded Netty, h2c) behind its sidecar, which speaks h2c to it. It
 * reserves stock at inventory through its sidecar (see {@link Peer}).
 */
public final class OrdersServer implements AutoCloseable {

    private final Server server;

    private OrdersServer(Server server) {
        this.server = server;
    }

    /**
     * Starts serving on {@code listen} (port 0 picks one).
     *
     * @param inventory where calls to inventory go; asked on the first call
     */
    public static OrdersServer start(InetSocketAddress listen, Supplier<Peer> inventory) {
        final OrdersService service = new OrdersService(new InventoryClient(inventory));
        try {
            return new OrdersServer(NettyServerBuilder.forAddress(listen)
                    .addService(ServerInterceptors.intercept(service, CallContext.serverInterceptor()))
                    .build()
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException("orders: cannot listen on " + listen, e);
        }
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
