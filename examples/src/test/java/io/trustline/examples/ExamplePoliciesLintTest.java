package io.trustline.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.examples.demo.DemoMesh;
import io.trustline.policy.cli.PolicyCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The example shop's policies are what the docs hold up as meant policies: {@code check --strict} with the shop's
 * trust domain and services must find nothing to warn about in any of them.
 */
class ExamplePoliciesLintTest {

    @ParameterizedTest
    @MethodSource("io.trustline.examples.PolicyCasesTest#policyDirectories")
    void everyExamplePolicyDirectoryLintsClean(Path dir) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = PolicyCli.run(
                new PrintWriter(out),
                new PrintWriter(err),
                "check",
                "--strict",
                "--trust-domain",
                DemoMesh.TRUST_DOMAIN,
                "--services",
                "frontend,orders,inventory",
                dir.toString());
        assertThat(code)
                .as("trustline-policy check --strict %s%n%s%s", dir, out, err)
                .isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(out.toString()).startsWith("ok: ");
    }
}
