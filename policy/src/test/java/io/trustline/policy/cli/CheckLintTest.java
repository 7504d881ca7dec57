package io.trustline.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check} with the lint: warnings after errors, {@code --strict}, {@code --services}, {@code --trust-domain}. */
class CheckLintTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return PolicyCli.run(new PrintWriter(out), new PrintWriter(err), args);
    }

    private static final String SHADOWED = """
            apiVersion: trustline.io/v1
            kind: Policy
            metadata: {name: orders-inbound}
            spec:
              service: orders
              rules:
                - name: lockdown
                  action: deny
                - name: frontend-reads
                  action: allow
                  from: {principals: ["spiffe://other.org/ns/shop/sa/frontend"]}
                  to: {methods: [GET], paths: ["/api/*"]}
            """;

    private static final String CLEAN = """
            apiVersion: trustline.io/v1
            kind: Policy
            metadata: {name: orders-inbound}
            spec:
              service: orders
              rules:
                - name: block-admin
                  action: deny
                  to: {paths: ["/admin/*"]}
                - name: frontend-reads
                  action: allow
                  from: {principals: ["spiffe://example.org/ns/shop/sa/frontend"]}
                  to: {methods: [GET], paths: ["/api/*"]}
            """;

    private String file() {
        return dir.resolve("orders.yaml").toString();
    }

    @Test
    void warnsOnAShadowedRuleAndStillExitsZero() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), SHADOWED);
        assertThat(run("check", dir.toString())).isZero();
        assertThat(out.toString()).startsWith("ok: 1 policy, 2 rules, 1 service (version ");
        assertThat(err.toString())
                .isEqualTo(file() + ":9:7: warning: allow rule 'frontend-reads' never decides: deny rule"
                        + " 'orders-inbound/lockdown' (" + file() + ":7:7) matches every request it matches"
                        + " [lint.shadowed_rule]" + System.lineSeparator()
                        + "1 warning" + System.lineSeparator());
    }

    @Test
    void strictTurnsWarningsIntoAFailure() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), SHADOWED);
        assertThat(run("check", "--strict", dir.toString())).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString())
                .contains("[lint.shadowed_rule]")
                .endsWith("1 warning (--strict: warnings are errors)" + System.lineSeparator());
    }

    @Test
    void strictPassesACleanDirectory() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), CLEAN);
        assertThat(run(
                        "check",
                        "--strict",
                        "--trust-domain",
                        "example.org",
                        "--services",
                        "orders,frontend",
                        dir.toString()))
                .isZero();
        assertThat(out.toString()).startsWith("ok: 1 policy, 2 rules, 1 service (version ");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void trustDomainOptionReportsPrincipalsOfAnotherDomain() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), CLEAN.replace("example.org", "other.org"));
        assertThat(run("check", "--trust-domain", "example.org", dir.toString()))
                .isZero();
        assertThat(err.toString())
                .isEqualTo(file() + ":10:7: warning: rule 'frontend-reads': from.principals"
                        + " 'spiffe://other.org/ns/shop/sa/frontend' is outside trust domain 'example.org'; peers of"
                        + " other trust domains are refused at the TLS handshake, so it never matches"
                        + " [lint.foreign_trust_domain]" + System.lineSeparator()
                        + "1 warning" + System.lineSeparator());
    }

    @Test
    void servicesOptionReportsPoliciesForUnknownServices() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), CLEAN);
        assertThat(run("check", "--services", "frontend,inventory", dir.toString()))
                .isZero();
        assertThat(err.toString())
                .isEqualTo(file() + ":1:1: warning: policy 'orders-inbound' is for service 'orders', which is not"
                        + " a known service (known: frontend, inventory) [lint.unknown_service]"
                        + System.lineSeparator() + "1 warning" + System.lineSeparator());
    }

    @Test
    void servicesFileListsOneServicePerLine() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), CLEAN);
        Path services = Files.writeString(dir.resolveSibling(dir.getFileName() + "-services.txt"), """
                # the services of the shop
                frontend

                orders
                """);
        try {
            assertThat(run("check", "--strict", "--services-file", services.toString(), dir.toString()))
                    .isZero();
            assertThat(err.toString()).isEmpty();
        } finally {
            Files.delete(services);
        }
    }

    @Test
    void errorsKeepTheirFormatAndFailWhateverTheWarnings() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), SHADOWED.replace("action: deny", "action: block"));
        assertThat(run("check", dir.toString())).isEqualTo(1);
        assertThat(err.toString())
                .isEqualTo(file() + ":8:15: rules.action: 'block' (expected: allow or deny)" + System.lineSeparator()
                        + "1 error" + System.lineSeparator());
    }

    @Test
    void warningsOfTheValidFilesFollowTheErrorsOfTheBrokenOnes() throws Exception {
        Files.writeString(dir.resolve("a-broken.yaml"), CLEAN.replace("action: deny", "action: block"));
        Files.writeString(dir.resolve("orders.yaml"), SHADOWED.replace("orders-inbound", "orders-lockdown"));
        assertThat(run("check", dir.toString())).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        String broken = dir.resolve("a-broken.yaml").toString();
        assertThat(err.toString())
                .isEqualTo(broken + ":8:15: rules.action: 'block' (expected: allow or deny)" + System.lineSeparator()
                        + "1 error" + System.lineSeparator()
                        + file() + ":9:7: warning: allow rule 'frontend-reads' never decides: deny rule"
                        + " 'orders-lockdown/lockdown' (" + file() + ":7:7) matches every request it matches"
                        + " [lint.shadowed_rule]" + System.lineSeparator()
                        + "1 warning" + System.lineSeparator());
    }

    @Test
    void anUnreadableServicesFileIsAUsageErrorNamingTheFile() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), CLEAN);
        Path missing = dir.resolveSibling(dir.getFileName() + "-no-such-services.txt");
        assertThat(run("check", "--services-file", missing.toString(), dir.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--services-file: " + missing + ": cannot read: ");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aBadTrustDomainIsAUsageError() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), CLEAN);
        assertThat(run("check", "--trust-domain", "spiffe://example.org", dir.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--trust-domain: 'spiffe://example.org' (expected: a trust domain");
    }
}
