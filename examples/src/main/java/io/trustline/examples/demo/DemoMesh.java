package io.trustline.examples.demo;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.Durations;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.X509Svid;
import io.trustline.ca.client.SvidClient;
import io.trustline.ca.server.CaServer;
import io.trustline.ca.store.JoinTokenStore;
import io.trustline.examples.auth.AuthServer;
import io.trustline.examples.auth.TokenIssuer;
import io.trustline.examples.common.Peer;
import io.trustline.examples.frontend.FrontendServer;
import io.trustline.examples.inventory.InventoryServer;
import io.trustline.examples.inventory.Stock;
import io.trustline.examples.orders.OrdersServer;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.config.ConfigException;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.identity.CaWorkloadIdentity;
import io.trustline.sidecar.identity.Identities;
import io.trustline.sidecar.identity.WorkloadIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The whole example mesh in one JVM, on loopback: the CA (in memory), the token issuer, the three shop services and
 * their sidecars. Each sidecar takes the production path: a join token from the CA, its own key and CSR, its SVID
 * from the CA's gRPC API, the policy directory loaded, then the listeners opened.
 */
public final class DemoMesh implements AutoCloseable {

    public static final String TRUST_DOMAIN = "example.org";
    public static final String NAMESPACE = "shop";
    /** The issuer the policies trust; the name the auth service has inside the mesh (compose, Kubernetes). */
    public static final String ISSUER = "http://auth:9000";
    /** Where the policy files point for keys; the demo points them at the local auth server instead. */
    static final String MESH_AUTH_URL = "http://auth:9000";

    static final List<String> SERVICES = List.of("frontend", "orders", "inventory");

    /**
     * The shortest {@code identity.certTtl} that sidecar.yaml accepts. The demo asks for shorter certificates (so that
     * a renewal happens within seconds) by building that sidecar's SVID client itself.
     */
    static final Duration SHORTEST_CONFIG_CERT_TTL = Duration.ofMinutes(1);

    /** How the demo mesh is started. Port 0 picks a free port. */
    public record Options(
            int authPort,
            int frontendPort,
            Duration certTtl,
            Duration ordersCertTtl,
            Path workDir,
            Telemetry telemetry) {}

    private final Options options;
    private final Clock clock = Clock.systemUTC();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<String, Sidecar> sidecars = new LinkedHashMap<>();
    private final Map<String, WorkloadIdentity> identities = new LinkedHashMap<>();
    private final Map<String, X509Svid> firstSvids = new LinkedHashMap<>();
    private final Map<String, Integer> appPorts = new LinkedHashMap<>();
    // Set by startAll(), before anything reads them.
    private @Nullable CaServer caServer;
    private @Nullable AuthServer auth;
    private @Nullable TraceSink traceSink;
    private @Nullable String traceEndpoint;

    private DemoMesh(Options options) {
        this.options = options;
    }

    /** Starts everything, in dependency order; on failure stops what was started. */
    public static DemoMesh start(Options options) throws Exception {
        final DemoMesh mesh = new DemoMesh(options);
        try {
            mesh.startAll();
            return mesh;
        } catch (Exception | Error e) {
            mesh.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        Files.createDirectories(options.workDir());
        if (options.telemetry().exporting()) {
            traceEndpoint = options.telemetry().otlpEndpoint();
        } else {
            traceSink = track(new TraceSink());
            traceEndpoint = traceSink.endpoint();
        }
        final CertificateAuthority ca = CertificateAuthority.createRoot(TRUST_DOMAIN, KeyType.EC_P256, clock);
        caServer = track(CaServer.builder()
                .certificateAuthority(ca)
                .joinTokens(JoinTokenStore.inMemory(clock))
                .listen("127.0.0.1:0")
                .build()
                .start());
        Files.writeString(
                options.workDir().resolve("bundle.pem"), ca.trustBundle().toPem());

        auth = track(AuthServer.start(
                new InetSocketAddress("127.0.0.1", options.authPort()),
                new TokenIssuer(ISSUER, "shop", TokenIssuer.DEFAULT_TTL, clock)));

        final InventoryServer inventoryApp =
                track(InventoryServer.start(new InetSocketAddress("127.0.0.1", 0), Stock.seeded()));
        appPorts.put("inventory", inventoryApp.port());
        final Sidecar inventory = sidecar("inventory", inventoryApp.port(), "http", null, options.certTtl(), "");

        final AtomicReference<InetSocketAddress> ordersOutbound = new AtomicReference<>();
        final OrdersServer ordersApp = track(OrdersServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                () -> Peer.viaSidecar("inventory", requireNonNull(ordersOutbound.get()))));
        appPorts.put("orders", ordersApp.port());
        final Sidecar orders = sidecar(
                "orders",
                ordersApp.port(),
                "h2c",
                null,
                options.ordersCertTtl(),
                "outbound:\n  listen: 127.0.0.1:0\n  routes:\n" + route("inventory", inventory));
        ordersOutbound.set(new InetSocketAddress("127.0.0.1", orders.outboundPort()));

        final AtomicReference<InetSocketAddress> frontendOutbound = new AtomicReference<>();
        final FrontendServer frontendApp = track(FrontendServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                () -> Peer.viaSidecar("orders", requireNonNull(frontendOutbound.get()))));
        appPorts.put("frontend", frontendApp.port());
        // The frontend has a route to inventory on purpose: the demo shows that inventory's policy, not a missing
        // route, is what stops a compromised frontend.
        final Sidecar frontend = sidecar(
                "frontend",
                frontendApp.port(),
                "http",
                options.frontendPort(),
                options.certTtl(),
                "outbound:\n  listen: 127.0.0.1:0\n  routes:\n" + route("orders", orders)
                        + route("inventory", inventory));
        frontendOutbound.set(new InetSocketAddress("127.0.0.1", frontend.outboundPort()));
    }

    private static String route(String name, Sidecar target) {
        return "    " + name + ": {address: 127.0.0.1:" + target.inboundPort() + ", identity: "
                + SpiffeId.of(TRUST_DOMAIN, NAMESPACE, name) + "}\n";
    }

    /**
     * Starts the sidecar of {@code service}: policies copied from the jar (keys fetched from the local auth server),
     * a sidecar.yaml, a join token, then {@link Identities#obtain} and {@link Sidecar#start} exactly as the sidecar's
     * own main does.
     *
     * @param edgePort the inbound port for the shop's edge (the frontend, which also accepts plaintext), or null for
     *     a mesh-only inbound on a free port
     */
    private Sidecar sidecar(
            String service,
            int appPort,
            String appProtocol,
            @Nullable Integer edgePort,
            Duration certTtl,
            String outbound)
            throws IOException, ConfigException, PolicyParseException {
        final Path dir = Files.createDirectories(options.workDir().resolve(service));
        final Path policies = Files.createDirectories(dir.resolve("policies"));
        Files.writeString(policies.resolve(service + ".yaml"), policy(service));

        final SpiffeId id = SpiffeId.of(TRUST_DOMAIN, NAMESPACE, service);
        final String token = ca().joinTokens().create(id, Duration.ofMinutes(5), false);
        Files.writeString(dir.resolve("join.token"), token + "\n");

        final String yaml = "service: " + service + "\n"
                + "namespace: " + NAMESPACE + "\n"
                + "trustDomain: " + TRUST_DOMAIN + "\n"
                + "identity:\n"
                + "  ca: 127.0.0.1:" + ca().port() + "\n"
                + "  caBundle: ../bundle.pem\n"
                + "  joinTokenFile: join.token\n"
                + certTtlYaml(certTtl)
                + "inbound:\n"
                + "  listen: 127.0.0.1:" + (edgePort != null ? edgePort : 0) + "\n"
                + "  app: 127.0.0.1:" + appPort + "\n"
                + "  appProtocol: " + appProtocol + "\n"
                + (edgePort != null ? "  mtls: permissive\n" : "")
                + outbound
                + "policy: {dir: policies}\n"
                + "admin: {listen: 127.0.0.1:0}\n"
                + Telemetry.sidecarYaml(
                        requireNonNull(traceEndpoint, "traceEndpoint"),
                        options.telemetry().protocol(),
                        dir);
        final Path file = dir.resolve("sidecar.yaml");
        Files.writeString(file, yaml);
        final SidecarConfig config = new ConfigLoader().load(file);
        final WorkloadIdentity identity = certTtl.compareTo(SHORTEST_CONFIG_CERT_TTL) < 0
                ? shortLivedIdentity(config, certTtl)
                : Identities.obtain(config, clock);
        Files.deleteIfExists(dir.resolve("join.token"));
        final Sidecar sidecar;
        try {
            sidecar = Sidecar.start(config, identity, clock);
        } catch (RuntimeException | PolicyParseException e) {
            identity.close();
            throw e;
        }
        track(sidecar);
        sidecars.put(service, sidecar);
        identities.put(service, identity);
        firstSvids.put(service, identity.current());
        return sidecar;
    }

    private static String certTtlYaml(Duration certTtl) {
        if (certTtl.compareTo(SHORTEST_CONFIG_CERT_TTL) >= 0) {
            return "  certTtl: " + Durations.format(certTtl) + "\n";
        }
        return "  # The demo asks the CA for " + Durations.format(certTtl) + " certificates for this sidecar, below the"
                + " shortest this file accepts, so that a renewal happens within seconds.\n"
                + "  certTtl: " + Durations.format(SHORTEST_CONFIG_CERT_TTL) + "\n";
    }

    /**
     * What {@link Identities#obtain} does for a sidecar whose certificates come from the CA, with a lifetime below
     * what sidecar.yaml accepts: the same CA, bundle, join token and SPIFFE ID, and the same renewal at about half of
     * the lifetime.
     */
    private WorkloadIdentity shortLivedIdentity(SidecarConfig config, Duration certTtl) throws IOException {
        // The demo writes a CA identity for every sidecar (ca, caBundle and joinTokenFile all set).
        final SidecarConfig.IdentityConfig id = config.identity();
        final SvidClient client = SvidClient.builder()
                .caAddress(requireNonNull(id.ca(), "identity.ca").toString())
                .caBundle(TrustBundle.parsePem(Files.readString(requireNonNull(id.caBundle(), "identity.caBundle"))))
                .spiffeId(config.spiffeId())
                .joinTokenFile(requireNonNull(id.joinTokenFile(), "identity.joinTokenFile"))
                .ttl(certTtl)
                .clock(clock)
                .build();
        client.start();
        return new CaWorkloadIdentity(client);
    }

    /** The service's policy from the jar, with the JWKS fetched from the local auth server. */
    private String policy(String service) throws IOException {
        final String resource = "/io/trustline/examples/policies/" + service + "/" + service + ".yaml";
        try (InputStream in = DemoMesh.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + ": not on the classpath (build with ./mvnw package)");
            }
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.replace("jwksUri: " + MESH_AUTH_URL + "/", "jwksUri: " + authUrl() + "/");
        }
    }

    private <T extends AutoCloseable> T track(T t) {
        closeables.add(0, t);
        return t;
    }

    public String authUrl() {
        return "http://127.0.0.1:" + auth().port();
    }

    public String frontendUrl() {
        return "http://127.0.0.1:" + sidecar("frontend").inboundPort();
    }

    public CaServer ca() {
        return requireNonNull(caServer, "caServer: the mesh is not started");
    }

    public AuthServer auth() {
        return requireNonNull(auth, "auth: the mesh is not started");
    }

    public Sidecar sidecar(String service) {
        final Sidecar s = sidecars.get(service);
        if (s == null) {
            throw new IllegalArgumentException("no sidecar for " + service);
        }
        return s;
    }

    public WorkloadIdentity identity(String service) {
        final WorkloadIdentity identity = identities.get(service);
        if (identity == null) {
            throw new IllegalArgumentException("no identity for " + service);
        }
        return identity;
    }

    /** The SVID that {@code service}'s sidecar started with. */
    public X509Svid firstSvid(String service) {
        final X509Svid svid = firstSvids.get(service);
        if (svid == null) {
            throw new IllegalArgumentException("no sidecar for " + service);
        }
        return svid;
    }

    /**
     * Waits until {@code service}'s certificate is no longer {@code before} (the sidecar renews at about half of the
     * lifetime, in the background), at most {@code timeout}.
     *
     * @return the new certificate, or null if none came in time
     */
    public @Nullable X509Svid awaitRenewal(String service, X509Svid before, Duration timeout) {
        final WorkloadIdentity identity = identity(service);
        final CompletableFuture<X509Svid> renewed = new CompletableFuture<>();
        identity.addListener(svid -> {
            if (!svid.leaf().getSerialNumber().equals(before.leaf().getSerialNumber())) {
                renewed.complete(svid);
            }
        });
        final X509Svid now = identity.current();
        if (!now.leaf().getSerialNumber().equals(before.leaf().getSerialNumber())) {
            return now;
        }
        try {
            return renewed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public int appPort(String service) {
        final Integer port = appPorts.get(service);
        if (port == null) {
            throw new IllegalArgumentException("no app for " + service);
        }
        return port;
    }

    /** The sidecars' access logs. */
    AccessLogs accessLogs() {
        final Map<String, Path> files = new LinkedHashMap<>();
        for (String service : SERVICES) {
            files.put(service, options.workDir().resolve(service).resolve("access.log"));
        }
        return new AccessLogs(files);
    }

    /** The demo's own trace receiver, when no collector was found. */
    @Nullable
    TraceSink traceSink() {
        return traceSink;
    }

    public Options options() {
        return options;
    }

    /**
     * Stops every part at once: each server's stop waits for its HTTP/2 peers to go away (about a second each), so one
     * after the other the demo took some 14 s to exit after its last step.
     */
    @Override
    public void close() {
        final List<Thread> closing = new ArrayList<>();
        for (AutoCloseable c : closeables) {
            final Thread t = new Thread(
                    () -> {
                        try {
                            c.close();
                        } catch (Exception e) {
                            // The others close regardless.
                        }
                    },
                    "demo-close");
            t.start();
            closing.add(t);
        }
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        closeables.clear();
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // A temporary directory; the OS cleans up what is left.
        }
    }
}
