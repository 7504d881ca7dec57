package io.trustline.examples.orders;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.trustline.examples.common.CallContext;
import io.trustline.examples.common.Refusal;
import io.trustline.examples.orders.v1.CreateOrderRequest;
import io.trustline.examples.orders.v1.GetOrderRequest;
import io.trustline.examples.orders.v1.ListOrdersRequest;
import io.trustline.examples.orders.v1.Order;
import io.trustline.examples.orders.v1.OrdersGrpc;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The orders app's gRPC service. The user is whoever the sidecar says ({@code x-user-id}, copied from the verified
 * token); a call without one is refused, since only a sidecar that verified a token sets it.
 */
final class OrdersService extends OrdersGrpc.OrdersImplBase {

    private final Map<String, Order> orders = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(3001);
    private final InventoryClient inventory;

    OrdersService(InventoryClient inventory) {
        this.inventory = inventory;
        seed("1001", "alice", "tea", 2);
        seed("1002", "alice", "mug", 1);
        seed("2001", "bob", "teapot", 1);
    }

    private void seed(String id, String user, String sku, int quantity) {
        orders.put(
                id,
                Order.newBuilder()
                        .setId(id)
                        .setUser(user)
                        .setSku(sku)
                        .setQuantity(quantity)
                        .build());
    }

    @Override
    public void getOrder(GetOrderRequest req, StreamObserver<Order> out) {
        final String user = user(out);
        if (user == null) {
            return;
        }
        final Order order = orders.get(req.getId());
        if (order == null || !order.getUser().equals(user)) {
            // Another user's order does not exist, as far as this caller can tell.
            out.onError(Status.NOT_FOUND.withDescription("no such order").asRuntimeException());
            return;
        }
        out.onNext(order);
        out.onCompleted();
    }

    @Override
    public void listOrders(ListOrdersRequest req, StreamObserver<Order> out) {
        final String user = user(out);
        if (user == null) {
            return;
        }
        orders.values().stream()
                .filter(o -> o.getUser().equals(user))
                .sorted(Comparator.comparing(Order::getId))
                .forEach(out::onNext);
        out.onCompleted();
    }

    @Override
    public void createOrder(CreateOrderRequest req, StreamObserver<Order> out) {
        final String user = user(out);
        if (user == null) {
            return;
        }
        if (req.getSku().isEmpty() || req.getQuantity() < 1 || req.getQuantity() > 100) {
            out.onError(Status.INVALID_ARGUMENT
                    .withDescription("sku and a quantity of 1 to 100 are required")
                    .asRuntimeException());
            return;
        }
        inventory
                .reserve(CallContext.current(), req.getSku(), req.getQuantity())
                .whenComplete((result, cause) -> {
                    if (cause != null) {
                        out.onError(Status.UNAVAILABLE
                                .withDescription("inventory unreachable")
                                .asRuntimeException(Refusal.trailers(null, "inventory")));
                        return;
                    }
                    if (!result.ok()) {
                        out.onError(Status.fromCode(Refusal.grpcCodeOf(result.status()))
                                .withDescription("inventory: " + result.message())
                                .asRuntimeException(Refusal.trailers(result.reason(), "inventory")));
                        return;
                    }
                    final Order order = Order.newBuilder()
                            .setId(Integer.toString(nextId.getAndIncrement()))
                            .setUser(user)
                            .setSku(req.getSku())
                            .setQuantity(req.getQuantity())
                            // An ok result always carries its reservation.
                            .setReservation(requireNonNull(result.reservation(), "reservation"))
                            .build();
                    orders.put(order.getId(), order);
                    out.onNext(order);
                    out.onCompleted();
                });
    }

    private static @Nullable String user(StreamObserver<Order> out) {
        final String user = CallContext.current().user();
        if (user == null || user.isEmpty()) {
            out.onError(Status.UNAUTHENTICATED
                    .withDescription("no verified user from the sidecar")
                    .asRuntimeException());
            return null;
        }
        return user;
    }
}
