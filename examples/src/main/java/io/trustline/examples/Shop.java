package io.trustline.examples;

import io.trustline.ca.HostPort;
import io.trustline.ca.cli.DurationConverter;
import io.trustline.ca.cli.TrustlineVersion;
import io.trustline.examples.auth.AuthServer;
import io.trustline.examples.auth.TokenIssuer;
import io.trustline.examples.common.Peer;
import io.trustline.examples.compose.ComposeInit;
import io.trustline.examples.demo.DemoCommand;
import io.trustline.examples.frontend.FrontendServer;
import io.trustline.examples.inventory.InventoryServer;
import io.trustline.examples.inventory.Stock;
import io.trustline.examples.orders.OrdersServer;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code java -jar trustline-examples.jar [demo|auth|frontend|orders|inventory] [options]}: the whole demo in one
 * JVM (the default), or one shop service on its own, as its container runs it. Each service listens on loopback by
 * default, so only its sidecar (which shares its network namespace) can reach it.
 */
@Command(
        name = "trustline-shop",
        mixinStandardHelpOptions = true,
        // --help and -V on every subcommand too.
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = TrustlineVersion.class,
        description = "The Trustline example shop: run the one-command demo, or one service behind its sidecar.",
        subcommands = {
            DemoCommand.class,
            Shop.Auth.class,
            Shop.Frontend.class,
            Shop.Orders.class,
            Shop.Inventory.class,
            ComposeInit.class,
            AutoComplete.GenerateCompletion.class
        })
public final class Shop implements Callable<Integer> {

    public static void main(String[] args) {
        final String[] effective =
                args.length == 0 || args[0].startsWith("--") && !isHelp(args[0]) ? prepend("demo", args) : args;
        if ("demo".equals(effective[0])) {
            DemoCommand.quietLogging();
        }
        System.exit(new CommandLine(new Shop()).execute(effective));
    }

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("--version");
    }

    private static String[] prepend(String first, String[] rest) {
        final String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Override
    public Integer call() {
        return new CommandLine(new DemoCommand()).execute();
    }

    static InetSocketAddress address(String hostPort) {
        return HostPort.parse(hostPort).toSocketAddress();
    }

    static int runUntilStopped(AutoCloseable service, String what) {
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                service.close();
                            } catch (Exception e) {
                                // Shutting down anyway.
                            }
                            stopped.countDown();
                        },
                        "shop-shutdown"));
        System.err.println(what);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    @Command(name = "auth", mixinStandardHelpOptions = true, description = "The token issuer: POST /token, JWKS.")
    static final class Auth implements Callable<Integer> {
        @Option(
                names = "--listen",
                defaultValue = "${env:AUTH_LISTEN:-0.0.0.0:9000}",
                description = "Default: ${DEFAULT-VALUE}.")
        String listen;

        @Option(
                names = "--issuer",
                defaultValue = "${env:AUTH_ISSUER:-http://auth:9000}",
                description = "The iss claim. Default: ${DEFAULT-VALUE}.")
        String issuer;

        @Option(
                names = "--audience",
                defaultValue = "${env:AUTH_AUDIENCE:-shop}",
                description = "The aud claim. Default: ${DEFAULT-VALUE}.")
        String audience;

        @Option(
                names = "--token-ttl",
                defaultValue = "${env:AUTH_TOKEN_TTL:-5m}",
                converter = DurationConverter.class,
                description = "Token lifetime. Default: ${DEFAULT-VALUE}.")
        Duration ttl;

        @Override
        public Integer call() {
            final AuthServer server =
                    AuthServer.start(address(listen), new TokenIssuer(issuer, audience, ttl, Clock.systemUTC()));
            return runUntilStopped(server, "auth: issuing tokens for " + issuer + " on port " + server.port());
        }
    }

    /** Where a shop service listens: loopback by default, so only its sidecar reaches it. */
    static final class AppAddress {
        @Option(
                names = "--listen",
                defaultValue = "${env:APP_LISTEN:-127.0.0.1:8080}",
                description = "Default: ${DEFAULT-VALUE}.")
        String listen;
    }

    /**
     * How the app calls the other shop services: by name, as an app that knows nothing of the mesh does (its sidecar
     * captures the connection with netfilter rules in the app's network namespace), or, with {@code --outbound},
     * through the sidecar's outbound listener, naming the service in {@code Host}/{@code :authority}.
     */
    static final class SidecarAddress {
        @Option(
                names = "--outbound",
                defaultValue = "${env:SIDECAR_OUTBOUND}",
                description = "Call the other services through the sidecar's outbound listener at this address"
                        + " (e.g. 127.0.0.1:15001). Default: none, call them by name (transparent capture).")
        @Nullable
        String outbound;

        /** Where calls to {@code service} ({@code host:port}) go. */
        Peer peer(String service) {
            final HostPort named = HostPort.parse(service);
            return outbound == null
                    ? Peer.byName(named.host(), named.port())
                    : Peer.viaSidecar(named.host(), address(outbound));
        }
    }

    @Command(name = "frontend", mixinStandardHelpOptions = true, description = "The shop's HTTP frontend.")
    static final class Frontend implements Callable<Integer> {
        @Mixin
        AppAddress app;

        @Mixin
        SidecarAddress sidecar;

        @Option(
                names = "--orders",
                defaultValue = "${env:ORDERS_ADDRESS:-orders:8080}",
                description = "The orders service, by name. Default: ${DEFAULT-VALUE}.")
        String orders;

        @Override
        public Integer call() {
            final Peer peer = sidecar.peer(orders);
            final FrontendServer server = FrontendServer.start(address(app.listen), () -> peer);
            return runUntilStopped(
                    server, "frontend: serving on port " + server.port() + ", orders at " + describe(peer));
        }
    }

    @Command(name = "orders", mixinStandardHelpOptions = true, description = "The orders gRPC service.")
    static final class Orders implements Callable<Integer> {
        @Mixin
        AppAddress app;

        @Mixin
        SidecarAddress sidecar;

        @Option(
                names = "--inventory",
                defaultValue = "${env:INVENTORY_ADDRESS:-inventory:8080}",
                description = "The inventory service, by name. Default: ${DEFAULT-VALUE}.")
        String inventory;

        @Override
        public Integer call() {
            final Peer peer = sidecar.peer(inventory);
            final OrdersServer server = OrdersServer.start(address(app.listen), () -> peer);
            return runUntilStopped(
                    server, "orders: serving gRPC on port " + server.port() + ", inventory at " + describe(peer));
        }
    }

    private static String describe(Peer peer) {
        final String to =
                peer.connectTo().getHostString() + ':' + peer.connectTo().getPort();
        return to.equals(peer.authority()) ? to : to + " (as " + peer.authority() + ")";
    }

    @Command(name = "inventory", mixinStandardHelpOptions = true, description = "The inventory HTTP/JSON service.")
    static final class Inventory implements Callable<Integer> {
        @Mixin
        AppAddress app;

        @Override
        public Integer call() {
            final InventoryServer server = InventoryServer.start(address(app.listen), Stock.seeded());
            return runUntilStopped(server, "inventory: serving on port " + server.port());
        }
    }
}
