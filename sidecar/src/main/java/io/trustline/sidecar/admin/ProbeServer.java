package io.trustline.sidecar.admin;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.trustline.ca.HostPort;
import java.util.concurrent.CompletableFuture;

/**
 * The probe and scrape listener ({@code admin.probeListen}, like Istio's 15020/15090): {@code GET /healthz},
 * {@code /readyz} and {@code /metrics} only, the admin port's own handlers, so kubelet probes and Prometheus can reach
 * them from the pod network. Nothing here changes state or shows config, policy or certificates: those stay on the
 * loopback admin port, behind its token. Any other path or method is answered 404/405 by Armeria.
 */
public final class ProbeServer implements AutoCloseable {

    private final Server server;

    private ProbeServer(Server server) {
        this.server = server;
    }

    /** A probe listener on {@code listen}, on {@code eventLoops}, serving {@code admin}'s read-only endpoints. */
    public static ProbeServer of(HostPort listen, AdminServer admin, EventLoopGroup eventLoops) {
        requireNonNull(listen, "listen");
        requireNonNull(admin, "admin");
        final ServerBuilder sb = Server.builder()
                .workerGroup(eventLoops, false)
                .port(listen.toSocketAddress(), SessionProtocol.HTTP)
                .disableServerHeader()
                .blockingTaskExecutor(AdminServer.viewExecutor("trustline-probe"), true);
        admin.readOnlyProbes().forEach((path, service) -> sb.route().get(path).build(service));
        return new ProbeServer(sb.build());
    }

    public CompletableFuture<Void> start() {
        return server.start();
    }

    /** The port actually bound (the configured one, or the OS's choice for port 0). */
    public int port() {
        return server.activeLocalPort();
    }

    public CompletableFuture<Void> stop() {
        return server.stop();
    }

    @Override
    public void close() {
        server.close();
    }
}
