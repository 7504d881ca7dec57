package io.trustline.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.cli.PolicyCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the policy CLI's {@code test} command, in process, on every directory of {@code examples/policies}, exactly as
 * a policy author's CI would: a failing case fails the build.
 */
class PolicyCasesTest {

    static final Path POLICIES = Path.of("policies");

    static List<Path> policyDirectories() throws IOException {
        try (Stream<Path> dirs = Files.list(POLICIES)) {
            final List<Path> list = dirs.filter(Files::isDirectory).sorted().toList();
            assertThat(list)
                    .extracting(p -> p.getFileName().toString())
                    .containsExactly("frontend", "inventory", "orders");
            return list;
        }
    }

    @ParameterizedTest
    @MethodSource("policyDirectories")
    void everyCaseOfTheExamplePoliciesPasses(Path dir) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = PolicyCli.run(new PrintWriter(out), new PrintWriter(err), "test", "-v", dir.toString());
        assertThat(code).as("trustline-policy test %s%n%s%s", dir, out, err).isZero();
        assertThat(out.toString()).contains(" passed, 0 failed").doesNotContain("FAIL");
    }
}
