package io.trustline.examples.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.Server;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.trustline.examples.common.CallContext;
import io.trustline.examples.common.Peer;
import io.trustline.examples.common.Refusal;
import io.trustline.examples.orders.v1.CreateOrderRequest;
import io.trustline.examples.orders.v1.GetOrderRequest;
import io.trustline.examples.orders.v1.ListOrdersRequest;
import io.trustline.examples.orders.v1.Order;
import io.trustline.examples.orders.v1.OrdersGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The shop's HTTP frontend. It serves the shop's JSON API and calls {@code orders} with grpc-java, in plaintext: by
 * name ({@code orders:8080}) where its sidecar captures the connection, or to the sidecar's outbound listener naming
 * {@code orders} (see {@link Peer}); the sidecar does mTLS. The caller's token and trace context go along on every
 * call.
 *
 * <ul>
 *   <li>{@code GET /shop/orders/{id}}: one order (unary {@code GetOrder})
 *   <li>{@code GET /shop/orders}: the user's orders as JSON lines, streamed as they arrive ({@code ListOrders})
 *   <li>{@code POST /shop/orders} with {@code {"sku": "tea", "quantity": 1}}: a new order ({@code CreateOrder})
 * </ul>
 *
 * Failures further down come back as {@code {"error": ..., "reason": <the sidecar's reason code>, "refused_by":
 * <the hop>}} with the matching HTTP status.
 */
public final class FrontendServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DEADLINE_SECONDS = 5;

    private final Server server;
    private final OrdersChannel orders;

    private FrontendServer(Server server, OrdersChannel orders) {
        this.server = server;
        this.orders = orders;
    }

    /**
     * Starts serving on {@code listen} (port 0 picks one).
     *
     * @param orders where calls to orders go; asked on the first call
     */
    public static FrontendServer start(InetSocketAddress listen, Supplier<Peer> orders) {
        final OrdersChannel channel = new OrdersChannel(orders);
        final Server server = Server.builder()
                .http(listen)
                .disableServerHeader()
                .service("/shop/orders/{id}", (ctx, req) -> {
                    if (req.method() != HttpMethod.GET) {
                        return error(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed", null, null);
                    }
                    return getOrder(channel, CallContext.of(req.headers()), ctx.pathParam("id"));
                })
                .service("/shop/orders", (ctx, req) -> {
                    final CallContext call = CallContext.of(req.headers());
                    if (req.method() == HttpMethod.GET) {
                        return listOrders(channel, call);
                    }
                    if (req.method() == HttpMethod.POST) {
                        return HttpResponse.of(req.aggregate().thenCompose(agg -> createOrder(channel, call, agg)));
                    }
                    return error(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed", null, null);
                })
                .service("/healthz", (ctx, req) -> HttpResponse.of("ok"))
                .build();
        server.start().join();
        return new FrontendServer(server, channel);
    }

    private static HttpResponse getOrder(OrdersChannel orders, CallContext call, String id) {
        final CompletableFuture<HttpResponse> res = new CompletableFuture<>();
        orders.stub(call).getOrder(GetOrderRequest.newBuilder().setId(id).build(), new StreamObserver<>() {
            @Override
            public void onNext(Order order) {
                res.complete(HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, json(order)));
            }

            @Override
            public void onError(Throwable t) {
                res.complete(failure(t));
            }

            @Override
            public void onCompleted() {}
        });
        return HttpResponse.of(res);
    }

    private static CompletableFuture<HttpResponse> createOrder(
            OrdersChannel orders, CallContext call, AggregatedHttpRequest req) {
        final CreateOrderRequest create;
        try {
            final JsonNode body = JSON.readTree(req.contentUtf8());
            create = CreateOrderRequest.newBuilder()
                    .setSku(body == null ? "" : body.path("sku").asText(""))
                    .setQuantity(body == null ? 0 : body.path("quantity").asInt(1))
                    .build();
        } catch (IOException e) {
            return CompletableFuture.completedFuture(
                    error(HttpStatus.BAD_REQUEST, "body: expected JSON {\"sku\": ..., \"quantity\": n}", null, null));
        }
        final CompletableFuture<HttpResponse> res = new CompletableFuture<>();
        orders.stub(call).createOrder(create, new StreamObserver<>() {
            @Override
            public void onNext(Order order) {
                res.complete(HttpResponse.of(HttpStatus.CREATED, MediaType.JSON_UTF_8, json(order)));
            }

            @Override
            public void onError(Throwable t) {
                res.complete(failure(t));
            }

            @Override
            public void onCompleted() {}
        });
        return res;
    }

    /** Streams the orders as JSON lines while they arrive; the status is decided by the first message or error. */
    private static HttpResponse listOrders(OrdersChannel orders, CallContext call) {
        final HttpResponseWriter writer = HttpResponse.streaming();
        orders.stub(call).listOrders(ListOrdersRequest.getDefaultInstance(), new StreamObserver<>() {
            private boolean started;

            private void start() {
                if (!started) {
                    started = true;
                    writer.write(ResponseHeaders.builder(HttpStatus.OK)
                            .contentType(MediaType.parse("application/x-ndjson"))
                            .build());
                }
            }

            @Override
            public void onNext(Order order) {
                start();
                writer.write(HttpData.ofUtf8(json(order) + "\n"));
            }

            @Override
            public void onError(Throwable t) {
                if (!started) {
                    final HttpResponse failure = failure(t);
                    failure.aggregate().thenAccept(agg -> {
                        writer.write(agg.headers());
                        writer.write(agg.content());
                        writer.close();
                    });
                    return;
                }
                writer.close(t);
            }

            @Override
            public void onCompleted() {
                start();
                writer.close();
            }
        });
        return writer;
    }

    private static String json(Order o) {
        final ObjectNode n = JSON.createObjectNode()
                .put("id", o.getId())
                .put("user", o.getUser())
                .put("sku", o.getSku())
                .put("quantity", o.getQuantity());
        if (!o.getReservation().isEmpty()) {
            n.put("reservation", o.getReservation());
        }
        return n.toString();
    }

    /** A failed call to orders, as the shop's HTTP caller sees it: status, sidecar reason code, refusing hop. */
    private static HttpResponse failure(Throwable t) {
        final Status status = Status.fromThrowable(t);
        final Metadata trailers = Status.trailersFromThrowable(t);
        final String reason = trailers == null ? null : trailers.get(Refusal.REASON);
        String refusedBy = trailers == null ? null : trailers.get(Refusal.REFUSED_BY);
        if (refusedBy == null) {
            refusedBy = "orders";
        }
        final String description = status.getDescription() != null
                ? status.getDescription()
                : status.getCode().name();
        return error(HttpStatus.valueOf(Refusal.httpStatusOf(status.getCode())), description, reason, refusedBy);
    }

    private static HttpResponse error(
            HttpStatus status, String message, @Nullable String reason, @Nullable String refusedBy) {
        final ObjectNode body = JSON.createObjectNode().put("error", message);
        if (reason != null) {
            body.put("reason", reason);
        }
        if (refusedBy != null) {
            body.put("refused_by", refusedBy);
        }
        return HttpResponse.of(status, MediaType.JSON_UTF_8, body.toString());
    }

    public int port() {
        return server.activeLocalPort();
    }

    @Override
    public void close() {
        server.stop().join();
        orders.close();
    }

    /** The channel to orders through the sidecar, opened on first use. */
    private static final class OrdersChannel implements AutoCloseable {
        private final Supplier<Peer> orders;
        private @Nullable ManagedChannel channel;

        OrdersChannel(Supplier<Peer> orders) {
            this.orders = orders;
        }

        OrdersGrpc.OrdersStub stub(CallContext call) {
            return OrdersGrpc.newStub(channel())
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(call.toMetadata()))
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        }

        private synchronized ManagedChannel channel() {
            ManagedChannel c = channel;
            if (c == null) {
                final Peer peer = orders.get();
                c = NettyChannelBuilder.forAddress(
                                peer.connectTo().getHostString(),
                                peer.connectTo().getPort())
                        .usePlaintext()
                        .overrideAuthority(peer.authority())
                        .build();
                channel = c;
            }
            return c;
        }

        @Override
        public synchronized void close() {
            if (channel != null) {
                channel.shutdownNow();
            }
        }
    }
}
