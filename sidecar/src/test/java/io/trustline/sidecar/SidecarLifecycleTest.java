package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import io.trustline.ca.testing.TestCertificates;
import io.trustline.sidecar.config.ShutdownConfig;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting and stopping a real sidecar: a listener that cannot bind says which one and where; stopping drains the
 * requests in flight for at most {@code shutdown.drainTimeout} and then returns.
 */
class SidecarLifecycleTest {

    @TempDir
    Path dir;

    private final TestCertificates pki = TestCertificates.create(TestMesh.TRUST_DOMAIN, Clock.systemUTC());
    private final AtomicInteger arrived = new AtomicInteger();
    private Server app;

    @BeforeEach
    void startApp() {
        // Answers after the delay the caller asks for, so a test decides which requests outlast the drain.
        app = Server.builder()
                .port(0, SessionProtocol.HTTP)
                .requestTimeout(Duration.ZERO)
                .serviceUnder("/echo/public", (ctx, req) -> {
                    arrived.incrementAndGet();
                    final long delay = Long.parseLong(ctx.queryParam("delayMs"));
                    return HttpResponse.delayed(HttpResponse.of("done"), Duration.ofMillis(delay));
                })
                .build();
        app.start().join();
    }

    @AfterEach
    void stopApp() {
        app.stop().join();
    }

    private SidecarConfig config(String sidecarExtra) throws Exception {
        return TestMesh.config(
                dir, TestMesh.BACKEND, app.activeLocalPort(), "http", "  mtls: permissive\n", sidecarExtra);
    }

    private Sidecar start(SidecarConfig config) throws Exception {
        return Sidecar.start(config, new StaticWorkloadIdentity(pki.svid(TestMesh.BACKEND)), Clock.systemUTC());
    }

    @Test
    void stopLetsARequestWithinTheDrainTimeoutFinishAndCutsOneBeyondIt() throws Exception {
        final Sidecar sidecar = start(config("shutdown: {drainTimeout: 2s}\n"));
        // Plaintext, as a permissive listener allows; the policy lets anyone call /echo/public.
        final WebClient client = WebClient.builder("http://127.0.0.1:" + sidecar.inboundPort())
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        final CompletableFuture<AggregatedHttpResponse> quick =
                client.get("/echo/public/quick?delayMs=500").aggregate();
        final CompletableFuture<AggregatedHttpResponse> stuck =
                client.get("/echo/public/stuck?delayMs=30000").aggregate();
        await().atMost(Duration.ofSeconds(10)).until(() -> arrived.get() == 2);

        final long stopping = System.nanoTime();
        sidecar.close();
        final Duration stopTook = Duration.ofNanos(System.nanoTime() - stopping);

        assertThat(quick.join().status()).isEqualTo(HttpStatus.OK);
        assertThat(quick.join().contentUtf8()).isEqualTo("done");
        // The stuck request was not waited for: stop returned long before the app would have answered it.
        assertThat(stopTook).isLessThan(Duration.ofSeconds(15));
        // ... and was refused as the sidecar refuses anything: 503 with a stable reason, no detail.
        assertThat(stuck.join().status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(stuck.join().contentUtf8()).contains("\"reason\":\"server.unavailable\"");
    }

    @Test
    void anIdleSidecarStopsPromptly() throws Exception {
        final Sidecar sidecar = start(config(""));
        final long stopping = System.nanoTime();
        sidecar.close();
        // No request in flight: nothing to drain, so far below the default drain timeout.
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(ShutdownConfig.DEFAULT_DRAIN_TIMEOUT);
    }

    @Test
    void aTakenPortNamesTheListenerAndTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final String address = "127.0.0.1:" + taken.getLocalPort();
            final SidecarConfig config = config("outbound: {listen: " + address + "}\n");
            assertThatThrownBy(() -> start(config))
                    .isInstanceOf(ListenerBindException.class)
                    .hasMessage("outbound listener (outbound.listen): " + address + ": address already in use");
        }
    }
}
