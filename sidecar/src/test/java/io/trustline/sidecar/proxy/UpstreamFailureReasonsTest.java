package io.trustline.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.server.Server;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One reason per cause of a failed upstream connection, whatever the timing: a peer that is gone (nothing listens,
 * or the kernel accepted the connection and the dying process then reset or closed it before the handshake) is
 * {@code upstream.connect_failed}; a peer that answers TLS and fails the negotiation is {@code upstream.tls_failed}.
 */
class UpstreamFailureReasonsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Sidecar frontend;
    static WebClient outbound;
    static ServerSocket resetting;
    static ServerSocket closing;
    static ServerSocket resettingMidHandshake;
    static ServerSocket closingMidHandshake;
    static Server foreignTls;
    static int refusedPort;

    @BeforeAll
    static void start() throws Exception {
        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        final CertificateAuthority otherCa =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusedPort = s.getLocalPort();
        }
        resetting = acceptAndDrop(true, false);
        closing = acceptAndDrop(false, false);
        resettingMidHandshake = acceptAndDrop(true, true);
        closingMidHandshake = acceptAndDrop(false, true);
        final X509Svid foreign = otherCa.issueOffline(TestMesh.BACKEND, Duration.ofHours(1));
        foreignTls = Server.builder()
                .https(0)
                .tls(TlsKeyPair.of(foreign.privateKey(), foreign.chain()))
                .service("/", (ctx, req) -> HttpResponse.of(HttpStatus.OK))
                .build();
        foreignTls.start().join();

        final String routes = "outbound:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  routes:\n"
                + route("refused", refusedPort)
                + route("reset", resetting.getLocalPort())
                + route("closed", closing.getLocalPort())
                + route("reset-mid-handshake", resettingMidHandshake.getLocalPort())
                + route("closed-mid-handshake", closingMidHandshake.getLocalPort())
                + route("foreign-ca", foreignTls.activeLocalPort());
        frontend = Sidecar.start(
                TestMesh.config(dir, TestMesh.FRONTEND, 1, "http", "", routes),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1))),
                Clock.systemUTC());
        outbound = WebClient.of("http://127.0.0.1:" + frontend.outboundPort());
    }

    private static String route(String name, int port) {
        return "    " + name + ": {address: 127.0.0.1:" + port + ", identity: " + TestMesh.BACKEND + "}\n";
    }

    /**
     * A listener whose process is as good as dead: the kernel completes the TCP handshake, then the connection is
     * reset (SO_LINGER 0) or closed before a byte of TLS is answered, as when a peer is killed mid-accept; with
     * {@code afterHello}, only once the client's TLS hello has arrived, as when it dies mid-handshake.
     */
    private static ServerSocket acceptAndDrop(boolean reset, boolean afterHello) throws IOException {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Thread t = new Thread(
                () -> {
                    while (!server.isClosed()) {
                        try (Socket s = server.accept()) {
                            if (afterHello) {
                                s.getInputStream().read();
                            }
                            if (reset) {
                                s.setSoLinger(true, 0);
                            }
                        } catch (IOException e) {
                            if (server.isClosed()) {
                                return;
                            }
                        }
                    }
                },
                "drop-" + (reset ? "reset" : "close") + (afterHello ? "-after-hello" : ""));
        t.setDaemon(true);
        t.start();
        return server;
    }

    @AfterAll
    static void stop() throws Exception {
        frontend.close();
        foreignTls.stop().join();
        resetting.close();
        closing.close();
        resettingMidHandshake.close();
        closingMidHandshake.close();
    }

    private static String reasonOf(String route) throws Exception {
        final AggregatedHttpResponse res = outbound.execute(RequestHeaders.builder(HttpMethod.GET, "/x")
                        .authority(route)
                        .build())
                .aggregate()
                .join();
        assertThat(res.status()).as(route).isIn(HttpStatus.SERVICE_UNAVAILABLE, HttpStatus.BAD_GATEWAY);
        return JSON.readTree(res.contentUtf8()).get("reason").asText();
    }

    @Test
    void nothingListeningIsConnectFailed() throws Exception {
        assertThat(reasonOf("refused")).isEqualTo("upstream.connect_failed");
    }

    @Test
    void aConnectionResetBeforeTheHandshakeIsConnectFailedEveryTime() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(reasonOf("reset")).isEqualTo("upstream.connect_failed");
        }
    }

    @Test
    void aConnectionClosedBeforeTheHandshakeIsConnectFailedEveryTime() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(reasonOf("closed")).isEqualTo("upstream.connect_failed");
        }
    }

    @Test
    void aConnectionResetDuringTheHandshakeIsConnectFailedEveryTime() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(reasonOf("reset-mid-handshake")).isEqualTo("upstream.connect_failed");
        }
    }

    @Test
    void aConnectionClosedDuringTheHandshakeIsConnectFailedEveryTime() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(reasonOf("closed-mid-handshake")).isEqualTo("upstream.connect_failed");
        }
    }

    @Test
    void aPeerThatAnswersTlsWithACertificateFromAnotherCaIsTlsFailed() throws Exception {
        assertThat(reasonOf("foreign-ca")).isEqualTo("upstream.tls_failed");
    }
}
