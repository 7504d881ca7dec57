package io.trustline.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.micrometer.core.instrument.Gauge;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe/scrape listener of a real sidecar: the admin port's health, readiness and metrics, and nothing else, even
 * with the admin token.
 */
class ProbeServerTest {

    private static final String ADMIN_TOKEN = "probe-test-admin-token";
    private static final SpiffeId ORDERS = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "orders");

    @TempDir
    static Path dir;

    static Sidecar sidecar;
    static WebClient probe;
    static WebClient admin;

    @BeforeAll
    static void start() throws Exception {
        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/orders.yaml"), TestMesh.policy("orders"));
        Files.writeString(dir.resolve("admin.token"), ADMIN_TOKEN + "\n");
        for (String f : new String[] {"cert.pem", "key.pem", "bundle.pem"}) {
            Files.writeString(dir.resolve(f), "unused: the SVID is handed over in code\n");
        }
        final String yaml = "service: orders\n"
                + "namespace: shop\n"
                + "trustDomain: " + TestMesh.TRUST_DOMAIN + "\n"
                + "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}\n"
                + "inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:1}\n"
                + "policy: {dir: policies}\n"
                + "admin: {listen: 127.0.0.1:0, tokenFile: admin.token, probeListen: 127.0.0.1:0}\n"
                + "accessLog: {sink: off}\n";
        sidecar = Sidecar.start(
                new ConfigLoader().parse(dir.resolve("sidecar.yaml"), yaml),
                new StaticWorkloadIdentity(ca.issueOffline(ORDERS, Duration.ofHours(1))),
                Clock.systemUTC());
        probe = WebClient.of("http://127.0.0.1:" + sidecar.probePort());
        admin = WebClient.of("http://127.0.0.1:" + sidecar.adminPort());
    }

    @AfterAll
    static void stop() {
        sidecar.close();
    }

    private static AggregatedHttpResponse send(WebClient client, HttpMethod method, String path) {
        return client.execute(RequestHeaders.builder(method, path)
                        .add("authorization", "Bearer " + ADMIN_TOKEN)
                        .build())
                .aggregate()
                .join();
    }

    @Test
    void servesHealthReadinessAndMetricsAsTheAdminPortDoes() {
        assertThat(sidecar.probePort()).isNotEqualTo(sidecar.adminPort());
        final AggregatedHttpResponse health = send(probe, HttpMethod.GET, "/healthz");
        assertThat(health.status()).isEqualTo(HttpStatus.OK);
        assertThat(health.contentUtf8()).isEqualTo("ok");

        final AggregatedHttpResponse ready = send(probe, HttpMethod.GET, "/readyz");
        assertThat(ready.status())
                .isEqualTo(send(admin, HttpMethod.GET, "/readyz").status());
        assertThat(ready.contentUtf8()).contains("\"checks\"");

        final AggregatedHttpResponse metrics = send(probe, HttpMethod.GET, "/metrics");
        assertThat(metrics.status()).isEqualTo(HttpStatus.OK);
        assertThat(metrics.headers().contentType().toString()).startsWith("text/plain; version=0.0.4");
        assertThat(metrics.contentUtf8()).contains("trustline_certificate_not_after_seconds", "jvm_memory_used_bytes");
    }

    @Test
    void scrapesRunOnTheProbeServersOwnThreadNotTheEventLoop() {
        final AtomicReference<String> scrapedOn = new AtomicReference<>("not scraped");
        final Gauge gauge = Gauge.builder("test_probe_scrape_thread", () -> {
                    scrapedOn.set(Thread.currentThread().getName().replaceAll("(-[0-9]+)+$", ""));
                    return 1;
                })
                .register(sidecar.meters());
        try {
            assertThat(send(probe, HttpMethod.GET, "/metrics").contentUtf8()).contains("test_probe_scrape_thread 1.0");
            assertThat(scrapedOn.get()).isEqualTo("trustline-probe");
        } finally {
            sidecar.meters().remove(gauge);
        }
    }

    @Test
    void refusesEverythingThatShowsConfigOrChangesStateEvenWithTheToken() {
        for (String path : new String[] {"/config", "/policy", "/certs"}) {
            assertThat(send(probe, HttpMethod.GET, path).status()).as(path).isEqualTo(HttpStatus.NOT_FOUND);
            assertThat(send(admin, HttpMethod.GET, path).status()).as(path).isEqualTo(HttpStatus.OK);
        }
        for (String path : new String[] {"/policy/reload", "/certs/renew"}) {
            assertThat(send(probe, HttpMethod.POST, path).status().code())
                    .as(path)
                    .isIn(404, 405);
        }
        assertThat(send(probe, HttpMethod.POST, "/metrics").status()).isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
    }
}
