package io.trustline.examples.inventory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.trustline.examples.common.CallContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.OptionalInt;

/**
 * The inventory app: HTTP/JSON, behind its sidecar. Its sidecar's policy lets only {@code orders} in (with a user
 * token that may write orders); the app itself trusts its sidecar and listens on loopback only.
 *
 * <ul>
 *   <li>{@code GET /stock/{sku}}: {@code {"sku": "tea", "available": 50}}
 *   <li>{@code POST /stock/{sku}/reservations} with {@code {"quantity": 2}}: {@code {"reservation": "r-1",
 *       "remaining": 48, "user": "alice"}}, or 409 when short
 * </ul>
 */
public final class InventoryServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;

    private InventoryServer(Server server) {
        this.server = server;
    }

    /** Starts serving {@code stock} on {@code listen} (port 0 picks one). */
    public static InventoryServer start(InetSocketAddress listen, Stock stock) {
        final Server server = Server.builder()
                .http(listen)
                .disableServerHeader()
                .service("/stock/{sku}", (ctx, req) -> {
                    if (req.method() != HttpMethod.GET) {
                        return error(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed");
                    }
                    final String sku = ctx.pathParam("sku");
                    final OptionalInt n = stock.available(sku);
                    if (n.isEmpty()) {
                        return error(HttpStatus.NOT_FOUND, "unknown item");
                    }
                    return json(
                            HttpStatus.OK,
                            JSON.createObjectNode().put("sku", sku).put("available", n.getAsInt()));
                })
                .service("/stock/{sku}/reservations", (ctx, req) -> {
                    if (req.method() != HttpMethod.POST) {
                        return error(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed");
                    }
                    return HttpResponse.of(req.aggregate().thenApply(agg -> reserve(ctx, agg, stock)));
                })
                .service("/healthz", (ctx, req) -> HttpResponse.of("ok"))
                .build();
        server.start().join();
        return new InventoryServer(server);
    }

    private static HttpResponse reserve(ServiceRequestContext ctx, AggregatedHttpRequest req, Stock stock) {
        final int quantity;
        try {
            final JsonNode body = JSON.readTree(req.contentUtf8());
            quantity = body == null ? 0 : body.path("quantity").asInt(0);
        } catch (IOException e) {
            return error(HttpStatus.BAD_REQUEST, "body: expected JSON {\"quantity\": n}");
        }
        if (quantity < 1 || quantity > 100) {
            return error(HttpStatus.BAD_REQUEST, "quantity: expected 1 to 100");
        }
        final String sku = ctx.pathParam("sku");
        final Stock.Reservation r = stock.reserve(sku, quantity);
        if (r == null) {
            return stock.available(sku).isEmpty()
                    ? error(HttpStatus.NOT_FOUND, "unknown item")
                    : error(HttpStatus.CONFLICT, "out of stock");
        }
        final String user = CallContext.of(req.headers()).user();
        return json(
                HttpStatus.OK,
                JSON.createObjectNode()
                        .put("reservation", r.id())
                        .put("sku", sku)
                        .put("remaining", r.remaining())
                        .put("user", user == null ? "" : user));
    }

    private static HttpResponse json(HttpStatus status, ObjectNode body) {
        return HttpResponse.of(status, MediaType.JSON_UTF_8, body.toString());
    }

    private static HttpResponse error(HttpStatus status, String message) {
        return json(status, JSON.createObjectNode().put("error", message));
    }

    public int port() {
        return server.activeLocalPort();
    }

    @Override
    public void close() {
        server.stop().join();
    }
}
