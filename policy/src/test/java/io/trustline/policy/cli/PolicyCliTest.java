package io.trustline.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.cli.TrustlineVersion;
import io.trustline.policy.Resources;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PolicyCliTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return PolicyCli.run(new PrintWriter(out), new PrintWriter(err), args);
    }

    private static final String POLICY = """
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

    @Test
    void checkAcceptsValidPolicies() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), POLICY);
        assertThat(run("check", dir.toString())).isZero();
        assertThat(out.toString()).startsWith("ok: 1 policy, 2 rules, 1 service (version ");
    }

    @Test
    void checkPrintsEveryErrorWithItsPositionAndExitsOne() throws Exception {
        Files.writeString(
                dir.resolve("orders.yaml"),
                POLICY.replace("action: deny", "action: block").replace("/api/*", "/api/*/x"));
        assertThat(run("check", dir.toString())).isEqualTo(1);
        assertThat(err.toString())
                .contains(dir.resolve("orders.yaml") + ":8:15: rules.action: 'block' (expected: allow or deny)")
                .contains(dir.resolve("orders.yaml") + ":13:36: to.paths: '/api/*/x'")
                .contains("2 errors");
    }

    @Test
    void checkOfAMissingDirectoryFails() {
        assertThat(run("check", dir.resolve("nope").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("not a directory");
    }

    @Test
    void testRunsEveryCasesFileAndSummarises() throws Exception {
        assertThat(run("test", Resources.path("/cases/basics").toString())).isZero();
        assertThat(out.toString()).endsWith("10 passed, 0 failed" + System.lineSeparator());
    }

    @Test
    void testReportsFailuresWithTheNoteAndWhyAndExitsOne() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), POLICY);
        Files.writeString(dir.resolve("orders.cases.yaml"), """
                cases:
                  - note: frontend reads
                    request: {service: orders, principal: "spiffe://example.org/ns/shop/sa/frontend", path: /api/x}
                    expect: allow
                  - note: frontend may write (it may not)
                    request: {service: orders, principal: "spiffe://example.org/ns/shop/sa/frontend", method: POST, path: /api/x}
                    expect: allow
                    rule: frontend-reads
                """);
        assertThat(run("test", dir.toString())).isEqualTo(1);
        assertThat(out.toString())
                .contains("FAIL " + dir.resolve("orders.cases.yaml") + ":5:5: frontend may write (it may not)")
                .contains("  expect: allow, got deny")
                .contains("  rule: expected frontend-reads, got null")
                .contains("  got: deny authz.no_allow_match")
                .contains("allow orders-inbound/frontend-reads: to.methods: 'POST' is not one of [GET]")
                .doesNotContain("PASS")
                .endsWith("1 passed, 1 failed" + System.lineSeparator());
    }

    @Test
    void testReportsABrokenCasesFile() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), POLICY);
        Files.writeString(
                dir.resolve("x.cases.yaml"),
                "cases:\n  - note: n\n    request: {service: orders, path: /}\n    expect: maybe\n");
        assertThat(run("test", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("x.cases.yaml:4:13: cases.expect: 'maybe' (expected: allow or deny)");
        assertThat(out.toString()).contains("0 passed, 1 failed");
    }

    @Test
    void testWithoutCasesFilesFails() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), POLICY);
        assertThat(run("test", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("no *.cases.yaml files");
    }

    @Test
    void explainPrintsTheDecisionTheDecidingRuleAndWhyOthersDidNotMatch() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), POLICY);
        // Not in the policy directory: every *.yaml there is read as a policy.
        Path request = Files.writeString(
                Files.createDirectories(dir.resolve("requests")).resolve("request.yaml"),
                "service: orders\nprincipal: spiffe://example.org/ns/shop/sa/frontend\npath: /api/%2e%2e/admin/x\n");
        assertThat(run("explain", "--policies", dir.toString(), "--request", request.toString()))
                .isZero();
        assertThat(out.toString())
                .contains("path: '/api/%2e%2e/admin/x' normalised to '/admin/x'")
                .contains("decision: deny (authz.denied_by_rule)")
                .contains("deciding rule: orders-inbound/block-admin")
                .contains("allow orders-inbound/frontend-reads: to.paths: '/admin/x' matched none of [/api/*]");
    }

    @Test
    void checkPrintsWarningsButAccepts() throws Exception {
        Files.writeString(
                dir.resolve("orders.yaml"),
                POLICY.replace("  rules:\n", "  cors: {allowOrigins: [\"*\"]}\n  rules:\n"));
        assertThat(run("check", dir.toString())).isZero();
        assertThat(err.toString())
                .contains(dir.resolve("orders.yaml") + ":6:24: warning: cors.allowOrigins: '*' lets any website");
    }

    @Test
    void explainShowsWhatTheEdgeSectionsDecide() throws Exception {
        Files.writeString(
                dir.resolve("orders.yaml"),
                POLICY.replace("  rules:\n", "  cors: {allowOrigins: [\"https://shop.example.org\"]}\n  rules:\n"));
        Path request = Files.writeString(
                Files.createDirectories(dir.resolve("requests")).resolve("request.yaml"),
                "service: orders\nmethod: OPTIONS\npath: /api/x\n"
                        + "headers: {origin: \"https://shop.example.org\", access-control-request-method: GET}\n");
        assertThat(run("explain", "--policies", dir.toString(), "--request", request.toString()))
                .isZero();
        assertThat(out.toString())
                .contains("pipeline (request limits, CORS, authorization, deprecations): allow cors.preflight");
    }

    @Test
    void explainReadsTheRequestFromStandardInput() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), POLICY);
        ExplainCommand cmd = new ExplainCommand();
        cmd.stdin = new ByteArrayInputStream(
                "{\"service\": \"orders\", \"path\": \"/api/%2F\"}".getBytes(StandardCharsets.UTF_8));
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("--policies", dir.toString(), "--request", "-")).isZero();
        assertThat(out.toString())
                .contains("decision: deny (request.invalid_path)")
                .contains("encoded '/'");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(run()).isEqualTo(2);
        assertThat(run("explain", "--policies", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--request=FILE'");
    }

    @Test
    void everySubcommandPrintsItsHelpInsteadOfDemandingItsArguments() {
        for (String command : new String[] {"check", "test", "explain"}) {
            out.getBuffer().setLength(0);

            assertThat(run(command, "--help")).as(command).isZero();
            assertThat(out.toString()).startsWith("Usage: trustline-policy " + command + " ");
        }
        assertThat(out.toString()).contains("--policies=DIR", "--request=FILE");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void versionIsTheProjectVersionSharedWithTheOtherTools() {
        final String expected = "trustline-policy " + TrustlineVersion.projectVersion() + System.lineSeparator();

        assertThat(run("-V")).isZero();
        assertThat(run("check", "-V")).isZero();
        assertThat(out.toString()).isEqualTo(expected + expected);
    }

    @Test
    void generatesACompletionScriptNamingEverySubcommand() {
        assertThat(run("generate-completion")).isZero();
        assertThat(out.toString())
                .startsWith("#!/usr/bin/env bash")
                .contains("complete -F _complete_trustline-policy")
                .contains(" check", " test", " explain")
                .doesNotContain("\u001b[");
    }
}
