package io.trustline.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.TlsKeyPair;
import io.micrometer.core.instrument.Counter;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.X509Svid;
import io.trustline.ca.testing.TestCertificates;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.proxy.AppKeepAliveRaceEndToEndTest.DroppingApp;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inbound.appIdleTimeout}: the sidecar closes a connection to the app that sat idle that long, before the app
 * closes it, so the next request goes out on a new connection and never meets the keep-alive race. The app is the
 * one of {@link AppKeepAliveRaceEndToEndTest}, which drops the second request on a connection.
 */
class AppIdleTimeoutEndToEndTest {

    @TempDir
    static Path dir;

    static DroppingApp app;
    static Sidecar backend;
    static ClientFactory factory;
    static WebClient direct;
    static RequestOptions asFrontend;

    @BeforeAll
    static void start() throws Exception {
        app = new DroppingApp();
        final CertificateAuthority ca = TestCertificates.create(TestMesh.TRUST_DOMAIN, Clock.systemUTC())
                .ca();
        backend = Sidecar.start(
                TestMesh.config(dir, TestMesh.BACKEND, app.port(), "http", "  appIdleTimeout: 300ms\n", ""),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1))),
                Clock.systemUTC());
        factory = ClientFactory.builder().build();
        direct = WebClient.builder("https://127.0.0.1:" + backend.inboundPort())
                .factory(factory)
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        final X509Svid caller = ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        asFrontend = RequestOptions.builder()
                .clientTlsSpec(ClientTlsSpec.builder()
                        .tlsKeyPair(TlsKeyPair.of(caller.privateKey(), caller.chain()))
                        .trustedCertificates(ca.trustBundle().roots())
                        .endpointIdentificationAlgorithm("")
                        .build())
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        factory.close();
        backend.close();
        app.close();
    }

    private static AggregatedHttpResponse get(String path) {
        return direct.execute(HttpRequest.of(HttpMethod.GET, path), asFrontend)
                .aggregate()
                .join();
    }

    @Test
    void anIdleConnectionIsClosedByTheSidecarAndTheNextRequestGoesOutOnANewOne() {
        assertThat(get("/first").status()).isEqualTo(HttpStatus.OK);

        await().atMost(Duration.ofSeconds(3)).until(() -> app.closedBySidecar.get() == 1);

        final AggregatedHttpResponse res = get("/second");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.contentUtf8())
                .as("the first request on a new connection")
                .isEqualTo("fresh");
        assertThat(app.seen("GET /second")).isEqualTo(1);
        assertThat(backend.meters().find(MetricNames.INBOUND_APP_RETRIES).counters().stream()
                        .mapToDouble(Counter::count)
                        .sum())
                .as("no request met the race")
                .isZero();
    }
}
