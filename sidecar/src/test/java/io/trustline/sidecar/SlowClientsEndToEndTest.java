package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestHttpApp;
import io.trustline.sidecar.testing.TestMesh;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slowloris, against two real sidecars with short slow-client deadlines (500 ms for headers and body; 2 s for the
 * handshake, which on a cold, busy JVM can take longer than 500 ms for a legitimate client): a client that never sends a
 * ClientHello, one that trickles its headers and one that trickles its body each lose their connection within a
 * generous bound, while a normal request on another connection is served meanwhile. The closes are counted and
 * logged as connection events.
 */
class SlowClientsEndToEndTest {

    private static final String SLOW_CLIENTS =
            "    slowClients: {handshakeTimeout: 2s, headersTimeout: 500ms, bodyWindow: 500ms, minBodyRate: 1000}\n";
    /** Far above the deadlines and far below the idle timeout (5 minutes): only the new deadlines close in time. */
    private static final Duration BOUND = Duration.ofSeconds(5);
    /** Faster than any deadline, so an idle timer alone would never fire. */
    private static final long TRICKLE_MILLIS = 100;

    @TempDir
    static Path dir;

    static CertificateAuthority ca;
    static TestHttpApp app;
    static Sidecar backend;
    static Sidecar frontend;
    static WebClient outbound;
    static Path frontendLog;

    private ScheduledExecutorService trickler;

    @BeforeAll
    static void startMesh() throws Exception {
        ca = CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        app = new TestHttpApp();
        backend = Sidecar.start(
                TestMesh.config(dir, TestMesh.BACKEND, app.port(), "http", "  limits:\n" + SLOW_CLIENTS, ""),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1))),
                Clock.systemUTC());
        final String outboundYaml = "outbound:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  routes:\n"
                + "    backend: {address: 127.0.0.1:" + backend.inboundPort() + ", identity: " + TestMesh.BACKEND
                + "}\n"
                + "  limits:\n" + SLOW_CLIENTS
                + "accessLog: {file: access.log}\n";
        frontend = Sidecar.start(
                TestMesh.config(dir, TestMesh.FRONTEND, 1, "http", "", outboundYaml),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1))),
                Clock.systemUTC());
        frontendLog = dir.resolve("frontend").resolve("access.log");
        outbound = WebClient.of("http://127.0.0.1:" + frontend.outboundPort());
    }

    @AfterAll
    static void stopMesh() {
        frontend.close();
        backend.close();
        app.close();
    }

    @BeforeEach
    void startTrickler() {
        trickler = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void stopTrickler() {
        trickler.shutdownNow();
    }

    @Test
    void connectionThatNeverSendsAClientHelloIsClosedAfterTheHandshakeTimeout() throws Exception {
        try (Socket silent = new Socket("127.0.0.1", backend.inboundPort())) {
            assertNormalRequestIsServed();
            assertThat(timeUntilClosed(silent)).isLessThan(BOUND);
        }
        assertCounted(backend, "inbound", "connection.handshake_timeout");
    }

    @Test
    void headersTrickledOverMutualTlsAreCutAfterTheHeadersTimeout() throws Exception {
        final X509Svid client = ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        try (SSLSocket tls =
                (SSLSocket) mtls(client).getSocketFactory().createSocket("127.0.0.1", backend.inboundPort())) {
            tls.startHandshake();
            final OutputStream out = tls.getOutputStream();
            write(out, "GET /echo/slow HTTP/1.1\r\nhost: backend\r\n");
            trickle(out, "x-slow: 1\r\n");
            assertNormalRequestIsServed();
            assertThat(timeUntilClosed(tls)).isLessThan(BOUND);
        }
        assertCounted(backend, "inbound", "connection.headers_timeout");
    }

    @Test
    void headersTrickledToTheOutboundListenerAreCutAndLoggedAsAConnectionEvent() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", frontend.outboundPort())) {
            final OutputStream out = slow.getOutputStream();
            write(out, "GET /echo/slow HTTP/1.1\r\n");
            trickle(out, "x-slow: 1\r\n");
            assertNormalRequestIsServed();
            assertThat(timeUntilClosed(slow)).isLessThan(BOUND);
        }
        assertCounted(frontend, "outbound", "connection.headers_timeout");
        await().atMost(BOUND)
                .untilAsserted(() -> assertThat(Files.readString(frontendLog))
                        .containsPattern("\\{\"type\":\"connection\",\"time\":\"[^\"]+\",\"event\":\"closed\","
                                + "\"listener\":\"outbound\",\"client_ip\":\"127.0.0.1\","
                                + "\"reason\":\"connection.headers_timeout\",\"age_ms\":[0-9.]+}"));
    }

    @Test
    void bodyTrickledByteByByteIsCutWhileOtherConnectionsAreServed() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", frontend.outboundPort())) {
            final OutputStream out = slow.getOutputStream();
            write(out, "POST /echo/upload HTTP/1.1\r\nhost: backend\r\ncontent-length: 100000\r\n\r\n");
            trickle(out, "x");
            assertNormalRequestIsServed();
            assertThat(timeUntilClosed(slow)).isLessThan(BOUND);
        }
        assertCounted(frontend, "outbound", "connection.body_too_slow");
    }

    @Test
    void aBodySentAtOnceIsNotMistakenForASlowOne() {
        final AggregatedHttpResponse res = outbound.execute(
                        RequestHeaders.builder(HttpMethod.POST, "/echo/upload")
                                .authority("backend")
                                .build(),
                        new byte[64 * 1024])
                .aggregate()
                .join();
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.contentUtf8()).contains("\"bodyLength\":65536");
    }

    @Test
    void aKeepAliveConnectionThatSendsNothingAfterItsRequestIsLeftToTheIdleTimeout() throws Exception {
        try (Socket keepAlive = new Socket("127.0.0.1", frontend.outboundPort())) {
            final OutputStream out = keepAlive.getOutputStream();
            write(out, "GET /echo/first HTTP/1.1\r\nhost: backend\r\n\r\n");
            final InputStream in = keepAlive.getInputStream();
            assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            // Well past the headers deadline: the connection is idle, not slow, and stays open (idle timeout: 5 min).
            keepAlive.setSoTimeout(1500);
            final long start = System.nanoTime();
            assertThat(readUntilEndOrTimeout(in)).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        }
    }

    private void assertNormalRequestIsServed() {
        final AggregatedHttpResponse res = outbound.execute(RequestHeaders.builder(HttpMethod.GET, "/echo/normal")
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
        assertThat(res.status()).as(res.contentUtf8()).isEqualTo(HttpStatus.OK);
    }

    /** Writes {@code chunk} every {@link #TRICKLE_MILLIS} until the server closes the connection. */
    private void trickle(OutputStream out, String chunk) {
        final AtomicInteger sent = new AtomicInteger();
        trickler.scheduleAtFixedRate(
                () -> {
                    try {
                        write(out, chunk);
                        sent.incrementAndGet();
                    } catch (IOException closed) {
                        throw new IllegalStateException("closed by the server", closed);
                    }
                },
                TRICKLE_MILLIS,
                TRICKLE_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** Blocks until the server closes the connection (end of stream or reset); fails after {@link #BOUND}. */
    private static Duration timeUntilClosed(Socket socket) throws IOException {
        final long start = System.nanoTime();
        socket.setSoTimeout((int) BOUND.toMillis());
        final InputStream in = socket.getInputStream();
        try {
            while (in.read() >= 0) {
                // Whatever the server sends before it closes (an error response) is not what is measured.
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection was still open after " + BOUND, e);
        } catch (IOException reset) {
            // A reset is a close too.
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** True if the server closed the connection before the socket's read timeout. */
    private static boolean readUntilEndOrTimeout(InputStream in) throws IOException {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException stillOpen) {
            return false;
        }
    }

    private static void assertCounted(Sidecar sidecar, String listener, String reason) {
        await().atMost(BOUND)
                .untilAsserted(() -> assertThat(metrics(sidecar))
                        .containsPattern("(?m)^trustline_connections_slow_closed_total\\{listener=\"" + listener
                                + "\",reason=\"" + reason.replace(".", "\\.") + "\"} [1-9]"));
    }

    private static String metrics(Sidecar sidecar) {
        return WebClient.of("http://127.0.0.1:" + sidecar.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static SSLContext mtls(X509Svid client) throws Exception {
        final KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("k", client.privateKey(), new char[0], client.chain().toArray(new X509Certificate[0]));
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        final KeyStore roots = KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        int i = 0;
        for (X509Certificate root : client.bundle().roots()) {
            roots.setCertificateEntry("root" + i++, root);
        }
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(roots);
        final SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ssl;
    }
}
