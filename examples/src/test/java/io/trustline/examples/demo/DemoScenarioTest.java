package io.trustline.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.X509Svid;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's demo, in this JVM: the CA, the token issuer, the three services and their sidecars on loopback (port
 * 0 everywhere), then the scripted scenario. Every outcome the demo prints is asserted here, so the demo and its
 * claims cannot drift apart. The orders sidecar gets 20-second certificates, as in the demo, so the real background
 * renewal happens within seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoScenarioTest {

    DemoMesh mesh;
    Map<String, Step> steps;
    String printed;

    @BeforeAll
    void runTheScenario(@TempDir Path dir) throws Exception {
        mesh = DemoMesh.start(
                new DemoMesh.Options(0, 0, Duration.ofMinutes(10), Duration.ofSeconds(20), dir, Telemetry.LOCAL));
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final List<Step> all =
                new Scenario(mesh, new PrintStream(buffer, true, StandardCharsets.UTF_8), Duration.ofSeconds(35)).run();
        printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        steps = all.stream().collect(Collectors.toMap(Step::key, Function.identity()));
        assertThat(all).hasSize(10);
    }

    @AfterAll
    void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void aliceReadsHerOrderThroughFrontendAndOrders() {
        assertThat(steps.get("read-order").status()).isEqualTo(200);
        assertThat(steps.get("read-order").detail()).contains("\"id\":\"1001\"", "\"user\":\"alice\"");
    }

    @Test
    void theServerStreamingListArrivesWhileTheAuditRuleOnlyRecords() {
        final Step list = steps.get("list-orders");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.detail()).contains("\"id\":\"1001\"", "\"id\":\"1002\"").doesNotContain("\"user\":\"bob\"");
        assertThat(list.sidecarLog())
                .anySatisfy(line -> assertThat(line)
                        .startsWith("orders")
                        .contains("audit: would deny by orders-inbound/retire-list-orders"));
    }

    @Test
    void aCreatedOrderCarriesTheReservationMadeAtInventory() {
        final Step create = steps.get("create-order");
        assertThat(create.status()).isEqualTo(201);
        assertThat(create.detail()).contains("\"reservation\":\"r-");
        assertThat(create.sidecarLog())
                .hasSize(3)
                .anySatisfy(line -> assertThat(line)
                        .startsWith("inventory")
                        .contains("rule inventory-inbound/orders-reserves-stock")
                        .contains("peer spiffe://example.org/ns/shop/sa/orders", "user http://auth:9000/alice"));
        assertThat(create.traceSummary()).contains("frontend", "orders", "inventory");
    }

    @Test
    void aReadOnlyUserIsRefusedByOrdersPolicy() {
        final Step bob = steps.get("bob-create");
        assertThat(bob.status()).isEqualTo(403);
        assertThat(bob.reason()).isEqualTo("authz.no_allow_match");
        assertThat(bob.refusedBy()).isEqualTo("orders' sidecar");
        assertThat(bob.sidecarLog())
                .anySatisfy(
                        line -> assertThat(line).startsWith("orders").contains("deny", "user http://auth:9000/bob"));
    }

    @Test
    void frontendCannotReachInventoryEvenWithAValidUserToken() {
        final Step step = steps.get("frontend-to-inventory");
        assertThat(step.status()).isEqualTo(403);
        assertThat(step.reason()).isEqualTo("authz.no_allow_match");
        assertThat(step.refusedBy()).isEqualTo("inventory's sidecar");
        assertThat(step.sidecarLog())
                .singleElement()
                .asString()
                .contains("deny", "peer spiffe://example.org/ns/shop/sa/frontend", "user http://auth:9000/alice");
    }

    @Test
    void aClientWithoutAMeshCertificateFailsTheHandshake() {
        assertThat(steps.get("no-mesh-certificate").status()).isZero();
        assertThat(steps.get("no-mesh-certificate").asExpected()).isTrue();
    }

    @Test
    void noTokenIsRefusedAtTheEdgeWithTokenRequired() {
        assertThat(steps.get("no-token").status()).isEqualTo(403);
        assertThat(steps.get("no-token").reason()).isEqualTo("authz.token_required");
    }

    @Test
    void anExpiredTokenIsUnauthenticated() {
        assertThat(steps.get("expired-token").status()).isEqualTo(401);
        assertThat(steps.get("expired-token").reason()).isEqualTo("jwt.expired");
    }

    @Test
    void writesBeyondThePerUserLimitAreRateLimited() {
        final Step step = steps.get("rate-limited");
        assertThat(step.status()).isEqualTo(429);
        assertThat(step.reason()).isEqualTo("ratelimit.exceeded");
        assertThat(step.detail()).startsWith("statuses 201, 201, 429");
    }

    @Test
    void ordersCertificateIsRenewedLiveAndCallsKeepWorking() {
        final Step step = steps.get("cert-renewal");
        assertThat(step.detail()).contains("renewed: serial");
        assertThat(step.status()).isEqualTo(200);
    }

    @Test
    void ordersGetsCertificatesShorterThanSidecarYamlAllowsSoTheRenewalComesWithinSeconds() throws Exception {
        final X509Svid first = mesh.firstSvid("orders");

        assertThat(Duration.between(first.notBefore(), first.notAfter()))
                .isEqualTo(Duration.ofSeconds(20).plus(CertificateAuthority.BACKDATE));
        assertThat(mesh.identity("orders").current().leaf().getSerialNumber())
                .isNotEqualTo(first.leaf().getSerialNumber());
        assertThat(Files.readString(mesh.options().workDir().resolve("orders").resolve("sidecar.yaml")))
                .contains("# The demo asks the CA for 20s certificates for this sidecar", "certTtl: 1m\n");
    }

    @Test
    void everyStepIsReportedAsExpectedWithItsTraceId() {
        assertThat(steps.values()).allSatisfy(s -> {
            assertThat(s.asExpected()).as(s.number() + ". " + s.title()).isTrue();
            assertThat(s.traceId()).matches("[0-9a-f]{32}");
        });
        assertThat(printed).contains("[as expected]").doesNotContain("UNEXPECTED");
    }
}
