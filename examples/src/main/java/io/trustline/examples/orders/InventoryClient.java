package io.trustline.examples.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.examples.common.CallContext;
import io.trustline.examples.common.Peer;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Calls {@code inventory} the way every mesh app calls another service: plain HTTP, by name
 * ({@code http://inventory:8080/}) where its sidecar captures the connection, or to its sidecar's outbound listener
 * naming {@code inventory} in {@code Host} (see {@link Peer}). The sidecar adds mTLS, checks inventory's SPIFFE ID
 * and forwards; the user's token and the trace context travel along.
 */
final class InventoryClient {

    /** What inventory answered: a reservation id, or the status and (for a sidecar refusal) its reason code. */
    record Result(
            int status,
            @Nullable String reservation,
            @Nullable String reason,
            String message) {
        boolean ok() {
            return status == 200 && reservation != null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<Peer> inventory;
    private volatile @Nullable Peer peer;
    private volatile @Nullable WebClient client;

    InventoryClient(Supplier<Peer> inventory) {
        this.inventory = inventory;
    }

    CompletableFuture<Result> reserve(CallContext call, String sku, int quantity) {
        final RequestHeaders headers = call.propagateTo(
                        RequestHeaders.builder(HttpMethod.POST, "/stock/" + sku + "/reservations")
                                .authority(peer().authority())
                                .contentType(MediaType.JSON_UTF_8))
                .build();
        final String body = JSON.createObjectNode().put("quantity", quantity).toString();
        return client().execute(HttpRequest.of(headers, HttpData.ofUtf8(body)))
                .aggregate()
                .thenApply(InventoryClient::result);
    }

    private static Result result(AggregatedHttpResponse res) {
        JsonNode body;
        try {
            body = JSON.readTree(res.contentUtf8());
        } catch (Exception e) {
            body = null;
        }
        final JsonNode b = body == null ? JSON.createObjectNode() : body;
        return new Result(
                res.status().code(),
                b.hasNonNull("reservation") ? b.get("reservation").asText() : null,
                b.hasNonNull("reason") ? b.get("reason").asText() : null,
                b.path("error").asText(res.status().reasonPhrase()));
    }

    private Peer peer() {
        Peer p = peer;
        if (p == null) {
            p = inventory.get();
            peer = p;
        }
        return p;
    }

    private WebClient client() {
        WebClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    final InetSocketAddress a = peer().connectTo();
                    c = WebClient.of("http://" + a.getHostString() + ':' + a.getPort());
                    client = c;
                }
            }
        }
        return c;
    }
}
