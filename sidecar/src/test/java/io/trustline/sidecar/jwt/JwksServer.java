package io.trustline.sidecar.jwt;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An issuer's JWKS endpoint on loopback ({@code /jwks.json}), served by Armeria. Tests change the keys it publishes,
 * make it fail, or stop it and start it again on the same port (an outage and a recovery).
 */
public final class JwksServer implements AutoCloseable {

    private final AtomicReference<String> jwks;
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile boolean failing;
    private int port;
    private Server server;

    public JwksServer(String jwks) {
        this.jwks = new AtomicReference<>(jwks);
        server = newServer(0);
        server.start().join();
        port = server.activeLocalPort();
    }

    private Server newServer(int port) {
        return Server.builder()
                .http(port)
                .gracefulShutdownTimeoutMillis(0, 0)
                .service("/jwks.json", (ctx, req) -> {
                    fetches.incrementAndGet();
                    return failing
                            ? HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE)
                            : HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, jwks.get());
                })
                .build();
    }

    /** The URL to put in a policy's {@code jwksUri}. */
    public String url() {
        return "http://127.0.0.1:" + port + "/jwks.json";
    }

    public void publish(String jwks) {
        this.jwks.set(jwks);
    }

    /** Answers 503 (true) or the keys (false). */
    public void failing(boolean failing) {
        this.failing = failing;
    }

    /** Requests for the keys so far. */
    public int fetches() {
        return fetches.get();
    }

    /** Stops listening: the issuer is down. */
    public void stop() {
        server.stop().join();
    }

    /** Listens again on the same port. */
    public void restart() {
        server = newServer(port);
        server.start().join();
    }

    /** Stops without waiting for the event loops' quiet period (two seconds per server). */
    @Override
    public void close() {
        server.stop();
    }
}
