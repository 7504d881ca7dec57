package io.trustline.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.Gauge;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.ca.testing.MutableClock;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin port of a real sidecar: read-only views, readiness that follows state, and token-guarded changes. */
class AdminServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SpiffeId ORDERS = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "orders");
    /** Generated per run; never committed. */
    private static final String ADMIN_TOKEN = "t-" + Long.toHexString(System.nanoTime()) + "-admin";

    @TempDir
    static Path dir;

    static MutableClock clock = new MutableClock(Instant.now());
    static X509Svid svid;
    static Sidecar sidecar;
    static WebClient admin;

    @BeforeAll
    static void start() throws Exception {
        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        svid = ca.issueOffline(ORDERS, Duration.ofHours(1));
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
                + "admin: {listen: 127.0.0.1:0, tokenFile: admin.token}\n"
                + "telemetry:\n"
                + "  tracing:\n"
                + "    enabled: false\n"
                + "    properties: {otel.exporter.otlp.headers: \"authorization=Bearer collector-secret\"}\n"
                + "accessLog: {sink: off}\n";
        sidecar = Sidecar.start(
                new ConfigLoader().parse(dir.resolve("sidecar.yaml"), yaml), new StaticWorkloadIdentity(svid), clock);
        admin = WebClient.of("http://127.0.0.1:" + sidecar.adminPort());
    }

    @AfterAll
    static void stop() {
        sidecar.close();
    }

    @AfterEach
    void restore() throws Exception {
        clock.set(Instant.now());
        Files.writeString(dir.resolve("policies/orders.yaml"), TestMesh.policy("orders"));
        post("/policy/reload", "Bearer " + ADMIN_TOKEN);
    }

    private static AggregatedHttpResponse get(String path) {
        return admin.get(path).aggregate().join();
    }

    private static AggregatedHttpResponse post(String path, String authorization) {
        final var b = RequestHeaders.builder(HttpMethod.POST, path);
        if (authorization != null) {
            b.add("authorization", authorization);
        }
        return admin.execute(b.build()).aggregate().join();
    }

    private static JsonNode json(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8());
    }

    @Test
    void healthzAnswersOk() {
        final AggregatedHttpResponse res = get("/healthz");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.contentUtf8()).isEqualTo("ok");
    }

    @Test
    void readyzIsReadyWithAValidCertificateAndAPolicyForTheService() throws Exception {
        final AggregatedHttpResponse res = get("/readyz");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(res).get("checks").get("certificate").asText()).isEqualTo("ok");
        assertThat(json(res).get("checks").get("policy").asText()).isEqualTo("ok");
    }

    @Test
    void readyzFlipsWhenTheCertificateExpiresAndBack() throws Exception {
        clock.set(svid.notAfter().plusSeconds(1));
        final AggregatedHttpResponse expired = get("/readyz");
        assertThat(expired.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(json(expired).get("ready").asBoolean()).isFalse();
        assertThat(json(expired).get("checks").get("certificate").asText()).startsWith("certificate expired at");

        clock.set(Instant.now());
        assertThat(get("/readyz").status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void readyzFlipsWhenNoPolicyTargetsTheServiceAnymore() throws Exception {
        Files.writeString(dir.resolve("policies/orders.yaml"), TestMesh.policy("inventory"));
        assertThat(post("/policy/reload", "Bearer " + ADMIN_TOKEN).status()).isEqualTo(HttpStatus.OK);
        final AggregatedHttpResponse res = get("/readyz");
        assertThat(res.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(json(res).get("checks").get("policy").asText()).contains("no policy targets service orders");

        Files.writeString(dir.resolve("policies/orders.yaml"), TestMesh.policy("orders"));
        assertThat(post("/policy/reload", "Bearer " + ADMIN_TOKEN).status()).isEqualTo(HttpStatus.OK);
        assertThat(get("/readyz").status()).isEqualTo(HttpStatus.OK);
    }

    /**
     * A workload that takes no calls (a job, a client) is ready with a policy that names its service and allows
     * nothing: the deny-all is then written out, not a missing file.
     */
    @Test
    void aPolicyWithoutRulesMakesAWorkloadThatTakesNoCallsReady() throws Exception {
        Files.writeString(
                dir.resolve("policies/orders.yaml"),
                "apiVersion: trustline.io/v1\n"
                        + "kind: Policy\n"
                        + "metadata: {name: orders-takes-no-calls}\n"
                        + "spec: {service: orders, rules: []}\n");
        assertThat(post("/policy/reload", "Bearer " + ADMIN_TOKEN).status()).isEqualTo(HttpStatus.OK);
        final AggregatedHttpResponse res = get("/readyz");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(res).get("checks").get("policy").asText()).isEqualTo("ok");
    }

    @Test
    void policyReloadWithoutTheTokenIsRefused() throws Exception {
        final AggregatedHttpResponse res = post("/policy/reload", null);
        assertThat(res.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(json(res).get("reason").asText()).isEqualTo("admin.token_required");
        assertThat(res.headers().get("www-authenticate")).startsWith("Bearer");
    }

    @Test
    void policyReloadWithAWrongTokenIsRefused() throws Exception {
        final AggregatedHttpResponse res = post("/policy/reload", "Bearer " + ADMIN_TOKEN + "x");
        assertThat(res.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(json(res).get("reason").asText()).isEqualTo("admin.token_invalid");
    }

    @Test
    void policyReloadWithTheTokenReportsTheOutcomeAndFileErrors() throws Exception {
        final String inForce = sidecar.policies().version();
        Files.writeString(dir.resolve("policies/orders.yaml"), "apiVersion: trustline.io/v1\nkind: Policy\n");
        // Whether or not the store's file watcher saw the bad file first, the files on disk are not in force.
        final AggregatedHttpResponse rejected = post("/policy/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(rejected.status()).isEqualTo(HttpStatus.UNPROCESSABLE_ENTITY);
        assertThat(json(rejected).get("outcome").asText()).isEqualTo("failure");
        assertThat(json(rejected).get("activeVersion").asText()).isEqualTo(inForce);
        assertThat(json(rejected).get("errors").get(0).asText()).contains("orders.yaml:");
        final JsonNode lastReload = json(get("/policy")).get("lastReload");
        assertThat(lastReload.get("outcome").asText()).isEqualTo("failure");
        assertThat(lastReload.get("errors").get(0).asText()).contains("orders.yaml:");
        // The last good policy stays in force, and the service stays ready.
        assertThat(get("/readyz").status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void reloadAfterTheWatcherRejectedAFileAnswers422WithItsErrorsAndTheVersionInForce() throws Exception {
        final String inForce = sidecar.policies().version();
        Files.writeString(
                dir.resolve("policies/orders.yaml"),
                TestMesh.policy("orders").replace("action: allow", "action: maybe"));
        // Let the watcher (not this test) reject the file first: the case a deploy script then asks about.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            final JsonNode last = json(get("/policy")).get("lastReload");
            assertThat(last.get("outcome").asText()).isEqualTo("failure");
            assertThat(last.get("errors").toString()).contains("maybe");
        });

        final AggregatedHttpResponse res = post("/policy/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(res.status()).isEqualTo(HttpStatus.UNPROCESSABLE_ENTITY);
        final JsonNode body = json(res);
        assertThat(body.get("outcome").asText()).isEqualTo("failure");
        assertThat(body.get("activeVersion").asText()).isEqualTo(inForce);
        assertThat(body.get("errors")).isNotEmpty();
        assertThat(body.get("errors").get(0).asText()).matches(".*orders\\.yaml:\\d+:\\d+: .*maybe.*");
        assertThat(sidecar.policies().version()).isEqualTo(inForce);

        // Once disk and force agree again, the endpoint says so.
        Files.writeString(dir.resolve("policies/orders.yaml"), TestMesh.policy("orders"));
        final AggregatedHttpResponse agreed = post("/policy/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(agreed.status()).isEqualTo(HttpStatus.OK);
        assertThat(json(agreed).get("errors")).isEmpty();
    }

    @Test
    void stateChangingEndpointsAcceptOnlyPost() {
        assertThat(get("/policy/reload").status()).isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
    }

    @Test
    void policyShowsTheVersionInForceAndItsFiles() throws Exception {
        final JsonNode policy = json(get("/policy"));
        assertThat(policy.get("version").asText()).isEqualTo(sidecar.policies().version());
        assertThat(policy.get("files").get(0).asText()).endsWith("orders.yaml");
        assertThat(policy.get("policies").get(0).get("name").asText()).isEqualTo("orders-inbound");
    }

    @Test
    void certsShowTheIdentityAndValidityButNoKey() throws Exception {
        final AggregatedHttpResponse res = get("/certs");
        final JsonNode certs = json(res);
        assertThat(certs.get("spiffeId").asText()).isEqualTo(ORDERS.toString());
        assertThat(certs.get("serial").asText())
                .isEqualTo(svid.leaf().getSerialNumber().toString(16));
        assertThat(Instant.parse(certs.get("notAfter").asText())).isEqualTo(svid.notAfter());
        assertThat(res.contentUtf8()).doesNotContain("PRIVATE").doesNotContain(svid.privateKeyPem());
    }

    @Test
    void configShowsTheEffectiveConfigWithSecretsRedacted() throws Exception {
        final AggregatedHttpResponse res = get("/config");
        final JsonNode config = json(res);
        assertThat(config.get("service").asText()).isEqualTo("orders");
        assertThat(config.get("admin").get("tokenFile").asText()).endsWith("admin.token");
        assertThat(config.get("accessLog").get("sink").asText()).isEqualTo("OFF");
        assertThat(config.get("telemetry")
                        .get("tracing")
                        .get("properties")
                        .get("otel.exporter.otlp.headers")
                        .asText())
                .isEqualTo("[redacted]");
        assertThat(res.contentUtf8()).doesNotContain("collector-secret").doesNotContain(ADMIN_TOKEN);
    }

    @Test
    void metricsAreServedAsPrometheusText() {
        final AggregatedHttpResponse res = get("/metrics");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.headers().contentType().toString()).startsWith("text/plain; version=0.0.4");
        assertThat(res.contentUtf8())
                .contains(
                        "trustline_policy_info{version=\"" + sidecar.policies().version() + "\"} 1")
                .contains("trustline_certificate_not_after_seconds "
                        + (double) svid.notAfter().getEpochSecond())
                .contains("trustline_policy_reloads_total{result=\"success\"}");
    }

    @Test
    void metricsAreScrapedOffTheEventLoop() {
        // The admin port shares the proxy's event loops: a scrape on one would stall the requests on it.
        final AtomicReference<String> scrapedOn = new AtomicReference<>("not scraped");
        final Gauge probe = Gauge.builder("test_scrape_thread", () -> {
                    final ServiceRequestContext ctx = ServiceRequestContext.currentOrNull();
                    scrapedOn.set(
                            ctx == null
                                    ? "no request context"
                                    : ctx.eventLoop().inEventLoop()
                                            ? "event loop"
                                            : Thread.currentThread().getName().replaceAll("(-[0-9]+)+$", ""));
                    return 1;
                })
                .register(sidecar.meters());
        try {
            assertThat(get("/metrics").contentUtf8()).contains("test_scrape_thread 1.0");
            // Off the loop, on the admin server's own one-thread executor.
            assertThat(scrapedOn.get()).isEqualTo("trustline-admin");
        } finally {
            sidecar.meters().remove(probe);
        }
    }

    @Test
    void tokenFileMissingOrEmptyRefusesEverything() throws Exception {
        assertThat(new AdminToken(null).check("Bearer x")).isEqualTo(AdminToken.Check.NOT_CONFIGURED);
        final Path empty = Files.writeString(dir.resolve("empty.token"), "\n");
        assertThat(new AdminToken(empty).check("Bearer ")).isEqualTo(AdminToken.Check.NOT_CONFIGURED);
        assertThat(new AdminToken(dir.resolve("absent.token")).check("Bearer x"))
                .isEqualTo(AdminToken.Check.NOT_CONFIGURED);
        final AdminToken token = new AdminToken(dir.resolve("admin.token"));
        assertThat(token.check("Bearer " + ADMIN_TOKEN)).isEqualTo(AdminToken.Check.ACCEPTED);
        assertThat(token.check("bearer " + ADMIN_TOKEN)).isEqualTo(AdminToken.Check.ACCEPTED);
        assertThat(token.check("Basic " + ADMIN_TOKEN)).isEqualTo(AdminToken.Check.MISSING);
        assertThat(token.check(ADMIN_TOKEN.substring(1))).isEqualTo(AdminToken.Check.MISSING);
    }

    @Test
    void secretLookingFieldsAreRedactedButPathsToThemAreNot() {
        assertThat(AdminServer.isSecretField("clientSecret")).isTrue();
        assertThat(AdminServer.isSecretField("otel.exporter.otlp.traces.headers"))
                .isTrue();
        assertThat(AdminServer.isSecretField("password")).isTrue();
        assertThat(AdminServer.isSecretField("tokenFile")).isFalse();
        assertThat(AdminServer.isSecretField("joinTokenFile")).isFalse();
        assertThat(AdminServer.isSecretField("keyFile")).isFalse();
        assertThat(AdminServer.isSecretField("maxQueueSize")).isFalse();
    }
}
