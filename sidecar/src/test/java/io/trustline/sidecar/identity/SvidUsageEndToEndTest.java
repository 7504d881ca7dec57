package io.trustline.sidecar.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.server.Server;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extended key usage and the reserved IDs of an SVID, checked in real TLS handshakes: a caller's certificate
 * must allow clientAuth, a server's serverAuth, and the CA's own ID is never accepted as a workload. Every
 * certificate is signed by the mesh's real root, so nothing but these rules can refuse it.
 */
class SvidUsageEndToEndTest {

    static final SpiffeId SERVER = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "server");

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static ClientFactory factory;

    @BeforeAll
    static void startMesh() throws Exception {
        mesh = TestMesh.start(dir);
        factory = ClientFactory.builder().build();
    }

    @AfterAll
    static void stopMesh() throws Exception {
        factory.close();
        mesh.close();
    }

    private static AggregatedHttpResponse callBackendAs(X509Svid svid) {
        final ClientTlsSpec spec = ClientTlsSpec.builder()
                .tlsKeyPair(TlsKeyPair.of(svid.privateKey(), svid.chain()))
                .trustedCertificates(mesh.ca.trustBundle().roots())
                .endpointIdentificationAlgorithm("")
                .build();
        return WebClient.builder("https://127.0.0.1:" + mesh.backend.inboundPort())
                .factory(factory)
                .build()
                .execute(
                        HttpRequest.of(HttpMethod.GET, "/echo/public"),
                        RequestOptions.builder().clientTlsSpec(spec).build())
                .aggregate()
                .join();
    }

    @Test
    void aCallerWithClientAuthIsAccepted() {
        assertThat(callBackendAs(mesh.pki.clientAuthOnly(TestMesh.FRONTEND)).status())
                .isEqualTo(HttpStatus.OK);
    }

    @Test
    void aCallerWhoseCertificateLacksClientAuthIsRefusedAtTheHandshake() {
        final long before = mesh.httpApp.requests();
        assertThatThrownBy(() -> callBackendAs(mesh.pki.serverAuthOnly(TestMesh.FRONTEND)))
                .hasRootCauseInstanceOf(SSLException.class);
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    @Test
    void theCasOwnIdIsRefusedAsACaller() {
        final X509Svid caServer = mesh.ca.issueServerSvid(Duration.ofHours(1), List.of());
        assertThat(caServer.id()).isEqualTo(mesh.ca.serverId());
        final long before = mesh.httpApp.requests();
        assertThatThrownBy(() -> callBackendAs(caServer)).hasRootCauseInstanceOf(SSLException.class);
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
    }

    /** A real HTTPS server presenting {@code serverSvid}, called through the outbound's mTLS client. */
    private static AggregatedHttpResponse callServerPresenting(X509Svid serverSvid) {
        final Server server = Server.builder()
                .https(0)
                .tls(TlsKeyPair.of(serverSvid.privateKey(), serverSvid.chain()))
                .service("/", (ctx, req) -> HttpResponse.of(HttpStatus.OK))
                .build();
        server.start().join();
        try {
            final MeshTls tls = new MeshTls(mesh.frontendIdentity, Clock.systemUTC());
            return WebClient.builder("https://127.0.0.1:" + server.activeLocalPort(SessionProtocol.HTTPS))
                    .factory(factory)
                    .build()
                    .execute(
                            HttpRequest.of(HttpMethod.GET, "/"),
                            RequestOptions.builder()
                                    .clientTlsSpec(tls.clientTlsSpec(serverSvid.id()))
                                    .build())
                    .aggregate()
                    .join();
        } finally {
            server.stop().join();
        }
    }

    @Test
    void theOutboundAcceptsAServerWithServerAuth() {
        assertThat(callServerPresenting(mesh.pki.serverAuthOnly(SERVER)).status())
                .isEqualTo(HttpStatus.OK);
    }

    /** The JDK's PKIX check, which the outbound runs before the SPIFFE rules, refuses this too. */
    @Test
    void theOutboundRefusesAServerWhoseCertificateLacksServerAuth() {
        assertThatThrownBy(() -> callServerPresenting(mesh.pki.clientAuthOnly(SERVER)))
                .hasRootCauseInstanceOf(CertificateException.class);
    }

    @Test
    void theOutboundRefusesTheCasOwnIdAsAServer() {
        final X509Svid caServer = mesh.ca.issueServerSvid(Duration.ofHours(1), List.of());
        assertThatThrownBy(() -> callServerPresenting(caServer))
                .hasStackTraceContaining("reserved for Trustline itself");
    }
}
