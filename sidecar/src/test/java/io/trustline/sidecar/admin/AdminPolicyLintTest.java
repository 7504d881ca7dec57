package io.trustline.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.policy.PolicyStore;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The policy lint in a real sidecar: what it finds in the version in force is listed on the admin port's {@code
 * /policy} and logged once per load, with the mesh's trust domain taken from the sidecar's configuration.
 */
class AdminPolicyLintTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SpiffeId ORDERS = SpiffeId.of(TestMesh.TRUST_DOMAIN, "shop", "orders");
    /** Generated per run; never committed. */
    private static final String ADMIN_TOKEN = "t-" + Long.toHexString(System.nanoTime()) + "-lint";

    /** A shadowed ALLOW rule and a principal of another trust domain, besides a rule that is fine. */
    private static final String LINTED = """
            apiVersion: trustline.io/v1
            kind: Policy
            metadata: {name: orders-inbound}
            spec:
              service: orders
              rules:
                - name: no-writes
                  action: deny
                  to: {methods: [POST, PUT, DELETE]}
                - name: frontend-creates
                  action: allow
                  from: {principals: ["spiffe://example.org/ns/shop/sa/frontend"]}
                  to: {methods: [POST], paths: ["/orders"]}
                - name: partner-reads
                  action: allow
                  from: {principals: ["spiffe://partner.example/ns/shop/sa/frontend"]}
                  to: {methods: [GET]}
            """;

    @TempDir
    Path dir;

    private Sidecar sidecar;
    private WebClient admin;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger storeLogger = (Logger) LoggerFactory.getLogger(PolicyStore.class);

    @BeforeEach
    void start() throws Exception {
        logs.start();
        storeLogger.addAppender(logs);
        final CertificateAuthority ca =
                CertificateAuthority.createRoot(TestMesh.TRUST_DOMAIN, KeyType.EC_P256, Clock.systemUTC());
        final X509Svid svid = ca.issueOffline(ORDERS, Duration.ofHours(1));
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/orders.yaml"), LINTED);
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
                + "telemetry: {tracing: {enabled: false}}\n"
                + "accessLog: {sink: off}\n";
        sidecar = Sidecar.start(
                new ConfigLoader().parse(dir.resolve("sidecar.yaml"), yaml),
                new StaticWorkloadIdentity(svid),
                Clock.systemUTC());
        admin = WebClient.of("http://127.0.0.1:" + sidecar.adminPort());
    }

    @AfterEach
    void stop() {
        sidecar.close();
        storeLogger.detachAppender(logs);
    }

    private String file() {
        return dir.resolve("policies").resolve("orders.yaml").toString();
    }

    /** Replaces the policy file in one step, as kubectl does, so the file watcher never reads half of it. */
    private void replacePolicy(String content) throws Exception {
        final Path tmp = Files.writeString(dir.resolve("policies/.orders.yaml.tmp"), content);
        Files.move(
                tmp,
                dir.resolve("policies/orders.yaml"),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private List<String> warnings() throws Exception {
        final AggregatedHttpResponse res = admin.get("/policy").aggregate().join();
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        final List<String> out = new ArrayList<>();
        JSON.readTree(res.contentUtf8()).get("warnings").forEach(w -> out.add(w.asText()));
        return out;
    }

    private JsonNode reload() throws Exception {
        final AggregatedHttpResponse res = admin.execute(RequestHeaders.builder(HttpMethod.POST, "/policy/reload")
                        .add("authorization", "Bearer " + ADMIN_TOKEN)
                        .build())
                .aggregate()
                .join();
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        return JSON.readTree(res.contentUtf8());
    }

    private List<ILoggingEvent> lintLogLines() {
        return logs.list.stream()
                .filter(e -> e.getMessage().equals("policy lint warning"))
                .toList();
    }

    @Test
    void listsTheLintWarningsOfTheVersionInForceOnThePolicyEndpoint() throws Exception {
        assertThat(warnings())
                .containsExactly(
                        file() + ":10:7: warning: allow rule 'frontend-creates' never decides: deny rule"
                                + " 'orders-inbound/no-writes' (" + file() + ":7:7) matches every request it matches"
                                + " [lint.shadowed_rule]",
                        file() + ":14:7: warning: rule 'partner-reads': from.principals"
                                + " 'spiffe://partner.example/ns/shop/sa/frontend' is outside trust domain"
                                + " 'example.org'; peers of other trust domains are refused at the TLS handshake, so"
                                + " it never matches [lint.foreign_trust_domain]");

        replacePolicy(TestMesh.policy("orders"));
        reload();
        assertThat(warnings()).isEmpty();
    }

    @Test
    void logsEachWarningOncePerLoadWithItsCodeAndPosition() throws Exception {
        assertThat(lintLogLines())
                .extracting(e -> kv(e, "code") + " " + kv(e, "at"))
                .containsExactly(
                        "lint.shadowed_rule " + file() + ":10:7", "lint.foreign_trust_domain " + file() + ":14:7");

        // The same files again: nothing new is loaded, so nothing is logged again.
        assertThat(reload().get("outcome").asText()).isEqualTo("unchanged");
        assertThat(lintLogLines()).hasSize(2);

        // A new version with one of the two problems left: logged once more, for that version.
        replacePolicy(LINTED.replace("partner.example", "example.org"));
        // The file watcher may have taken the new version into use before this call: either way it is in force.
        assertThat(reload().get("outcome").asText()).isIn("success", "unchanged");
        assertThat(lintLogLines()).hasSize(3);
        assertThat(kv(lintLogLines().get(2), "code")).isEqualTo("lint.shadowed_rule");
        assertThat(kv(lintLogLines().get(2), "version"))
                .isEqualTo(sidecar.policies().version());
    }

    private static String kv(ILoggingEvent e, String key) {
        return e.getKeyValuePairs().stream()
                .filter(p -> p.key.equals(key))
                .map(p -> String.valueOf(p.value))
                .findFirst()
                .orElse("<none>");
    }
}
