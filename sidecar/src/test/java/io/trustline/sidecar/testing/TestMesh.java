package io.trustline.sidecar.testing;

import com.github.benmanes.caffeine.cache.Ticker;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.ca.testing.TestCertificates;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A small mesh in one JVM, every part real and on port 0: a CA, a plain HTTP app and a grpc-java app, each behind
 * its own inbound sidecar ({@code backend}, {@code grpc-backend}), and a {@code frontend} sidecar whose outbound
 * listener routes to both. The route {@code impostor} points at {@code backend}'s address but expects
 * {@code grpc-backend}'s identity, to prove the outbound check of the server's SPIFFE ID.
 */
public final class TestMesh implements AutoCloseable {

    public static final String TRUST_DOMAIN = "example.org";
    public static final SpiffeId FRONTEND = SpiffeId.of(TRUST_DOMAIN, "shop", "frontend");
    public static final SpiffeId BACKEND = SpiffeId.of(TRUST_DOMAIN, "shop", "backend");
    public static final SpiffeId GRPC_BACKEND = SpiffeId.of(TRUST_DOMAIN, "shop", "grpc-backend");

    /** The mesh's CA as a test PKI, for deliberately broken certificates under the same root. */
    public final TestCertificates pki;

    public final CertificateAuthority ca;
    public final TestHttpApp httpApp;
    public final TestGrpcApp grpcApp;
    public final StaticWorkloadIdentity frontendIdentity;
    public final StaticWorkloadIdentity backendIdentity;
    public final StaticWorkloadIdentity grpcBackendIdentity;
    public final Sidecar backend;
    public final Sidecar grpcBackend;
    public final Sidecar frontend;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** Extra YAML lines for the backend's {@code inbound} section (indented by four spaces). */
    public static TestMesh start(Path dir, String backendInboundExtra) throws Exception {
        return new TestMesh(dir, backendInboundExtra, "", Ticker.systemTicker());
    }

    public static TestMesh start(Path dir) throws Exception {
        return new TestMesh(dir, "", "", Ticker.systemTicker());
    }

    /**
     * As {@link #start(Path, String)}, with extra top-level YAML for every sidecar (e.g. {@code telemetry:} and
     * {@code accessLog:} sections; relative paths in it resolve against each sidecar's own directory).
     */
    public static TestMesh start(Path dir, String backendInboundExtra, String sidecarExtra) throws Exception {
        return new TestMesh(dir, backendInboundExtra, sidecarExtra, Ticker.systemTicker());
    }

    /**
     * As {@link #start(Path, String)}, with {@code backendTicker} as the time source of both backends' rate limits
     * and penalty box, so that a test moves their time. Extra policy files may be written beforehand into
     * {@code dir/backend/policies} and {@code dir/grpc-backend/policies}: every file there is loaded.
     */
    public static TestMesh start(Path dir, String backendInboundExtra, Ticker backendTicker) throws Exception {
        return new TestMesh(dir, backendInboundExtra, "", backendTicker);
    }

    /**
     * As {@link #start(Path, String, Ticker)}, with {@code backendClock} as both backends' clock (JWT times,
     * deprecation sunsets, certificate validity), so that a test moves their time (within the certificates' hour).
     */
    public static TestMesh start(Path dir, String backendInboundExtra, Ticker backendTicker, Clock backendClock)
            throws Exception {
        return new TestMesh(dir, backendInboundExtra, "", backendTicker, backendClock);
    }

    /** As {@link #start(Path, String, Ticker, Clock)}, with extra top-level YAML for every sidecar. */
    public static TestMesh start(
            Path dir, String backendInboundExtra, String sidecarExtra, Ticker backendTicker, Clock backendClock)
            throws Exception {
        return new TestMesh(dir, backendInboundExtra, sidecarExtra, backendTicker, backendClock);
    }

    private TestMesh(Path dir, String backendInboundExtra, String sidecarExtra, Ticker backendTicker) throws Exception {
        this(dir, backendInboundExtra, sidecarExtra, backendTicker, Clock.systemUTC());
    }

    private TestMesh(
            Path dir, String backendInboundExtra, String sidecarExtra, Ticker backendTicker, Clock backendClock)
            throws Exception {
        pki = TestCertificates.create(TRUST_DOMAIN, Clock.systemUTC());
        ca = pki.ca();
        httpApp = track(new TestHttpApp());
        grpcApp = track(new TestGrpcApp());

        backendIdentity = new StaticWorkloadIdentity(issue(BACKEND));
        backend = track(Sidecar.start(
                config(dir, BACKEND, httpApp.port(), "http", backendInboundExtra, sidecarExtra),
                backendIdentity,
                backendClock,
                backendTicker));
        grpcBackendIdentity = new StaticWorkloadIdentity(issue(GRPC_BACKEND));
        grpcBackend = track(Sidecar.start(
                config(dir, GRPC_BACKEND, grpcApp.port(), "h2c", "", sidecarExtra),
                grpcBackendIdentity,
                backendClock,
                backendTicker));

        frontendIdentity = new StaticWorkloadIdentity(issue(FRONTEND));
        final String outbound = "outbound:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  routes:\n"
                + "    backend: {address: 127.0.0.1:" + backend.inboundPort() + ", identity: " + BACKEND + "}\n"
                // Retries are opt-in, gRPC ones doubly so (a retried call's request stream is held): this route opts
                // in.
                + "    grpc-backend: {address: 127.0.0.1:" + grpcBackend.inboundPort() + ", identity: "
                + GRPC_BACKEND + ", retries: {attempts: 2, on: {grpcStatuses: [UNAVAILABLE]}}}\n"
                + "    impostor: {address: 127.0.0.1:" + backend.inboundPort() + ", identity: " + GRPC_BACKEND
                + "}\n"
                + "    nobody-home: {address: 127.0.0.1:1, identity: " + BACKEND + "}\n"
                + "    backend-on-8080: {address: 127.0.0.1:" + backend.inboundPort() + ", identity: " + BACKEND
                + ", servicePort: 8080}\n";
        frontend = track(Sidecar.start(
                config(dir, FRONTEND, 1, "http", "", outbound + sidecarExtra), frontendIdentity, Clock.systemUTC()));
    }

    public X509Svid issue(SpiffeId id) {
        return ca.issueOffline(id, Duration.ofHours(1));
    }

    /**
     * The policy directory of the sidecar of {@code id} under {@code dir}, created if need be. Policy files a test
     * writes there before {@link #start} are loaded with the default one ({@link #policy}).
     */
    public static Path policyDir(Path dir, SpiffeId id) throws IOException {
        final String name = id.path().substring(id.path().lastIndexOf('/') + 1);
        return Files.createDirectories(dir.resolve(name).resolve("policies"));
    }

    /**
     * Writes a sidecar.yaml for {@code id} (identity from files written next to it, the default policy
     * {@link #policy} beside any files already in {@link #policyDir}) and loads it: for tests that start a sidecar
     * of their own (e.g. with a fake clock).
     */
    public static SidecarConfig config(
            Path dir, SpiffeId id, int appPort, String appProtocol, String inboundExtra, String outbound)
            throws Exception {
        final String name = id.path().substring(id.path().lastIndexOf('/') + 1);
        return config(dir.resolve(name), id, "127.0.0.1:0", appPort, appProtocol, inboundExtra, outbound);
    }

    /**
     * As {@link #config(Path, SpiffeId, int, String, String, String)}, in directory {@code d} and with the inbound
     * listener on {@code inboundListen}: for tests that run several replicas of one identity.
     */
    public static SidecarConfig config(
            Path d,
            SpiffeId id,
            String inboundListen,
            int appPort,
            String appProtocol,
            String inboundExtra,
            String outbound)
            throws Exception {
        Files.createDirectories(d);
        return new ConfigLoader()
                .parse(
                        d.resolve("sidecar.yaml"),
                        yaml(d, id, inboundListen, appPort, appProtocol, inboundExtra, outbound));
    }

    private static String yaml(
            Path d,
            SpiffeId id,
            String inboundListen,
            int appPort,
            String appProtocol,
            String inboundExtra,
            String outbound) {
        final String[] segments = id.path().split("/");
        try {
            Files.createDirectories(d.resolve("policies"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(d.resolve("policies").resolve("inbound.yaml"), policy(segments[4]));
        write(d.resolve("cert.pem"), "unused: the test hands the SVID over in code\n");
        write(d.resolve("key.pem"), "unused\n");
        write(d.resolve("bundle.pem"), "unused\n");
        return "service: " + segments[4] + "\n"
                + "namespace: " + segments[2] + "\n"
                + "trustDomain: " + id.trustDomain() + "\n"
                + "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}\n"
                + "inbound:\n"
                + "  listen: " + inboundListen + "\n"
                + "  app: 127.0.0.1:" + appPort + "\n"
                + "  appProtocol: " + appProtocol + "\n"
                + inboundExtra
                + outbound
                + "policy: {dir: policies}\n"
                + "admin: {listen: 127.0.0.1:0}\n";
    }

    /**
     * The backends let the frontend in, except on {@code /echo/admin*} and for calls carrying {@code x-deny: yes};
     * anyone (even a plaintext peer in permissive mode) may call {@code /echo/public*}.
     */
    public static String policy(String service) {
        return "apiVersion: trustline.io/v1\n"
                + "kind: Policy\n"
                + "metadata: {name: " + service + "-inbound}\n"
                + "spec:\n"
                + "  service: " + service + "\n"
                + "  rules:\n"
                + "    - name: no-admin\n"
                + "      action: deny\n"
                + "      to: {paths: [\"/echo/admin*\"]}\n"
                + "    - name: deny-on-request\n"
                + "      action: deny\n"
                + "      to: {headers: {x-deny: [\"yes\"]}}\n"
                + "    - name: frontend-may-call\n"
                + "      action: allow\n"
                + "      from: {principals: [\"" + FRONTEND + "\"]}\n"
                + "    - name: public\n"
                + "      action: allow\n"
                + "      to: {paths: [\"/echo/public*\"]}\n";
    }

    private static void write(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private <T extends AutoCloseable> T track(T t) {
        closeables.add(0, t);
        return t;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }
}
