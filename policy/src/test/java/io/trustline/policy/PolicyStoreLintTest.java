package io.trustline.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.lint.Lint;
import io.trustline.policy.lint.LintCode;
import io.trustline.policy.lint.LintWarning;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store lints every version it takes into use and keeps the findings beside the engine in force. */
class PolicyStoreLintTest {

    @TempDir
    Path dir;

    private static final String SHADOWED = """
            apiVersion: trustline.io/v1
            kind: Policy
            metadata: {name: orders-inbound}
            spec:
              service: orders
              rules:
                - {name: lockdown, action: deny}
                - {name: reads, action: allow, from: {principals: ["spiffe://other.org/ns/a/sa/b"]}}
            """;

    @Test
    void findingsFollowTheVersionInForce() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), SHADOWED);
        try (PolicyStore store = PolicyStore.builder(dir)
                .watch(false)
                .checkInterval(java.time.Duration.ZERO)
                .lint(Lint.builder().trustDomain("example.org").build())
                .build()) {
            assertThat(store.lintWarnings())
                    .extracting(LintWarning::code)
                    .containsExactly(LintCode.SHADOWED_RULE, LintCode.FOREIGN_TRUST_DOMAIN);
            assertThat(store.inForce().engine()).isSameAs(store.engine());

            Files.writeString(
                    dir.resolve("orders.yaml"), SHADOWED.replace("action: deny", "action: deny, mode: audit"));
            assertThat(store.reload().outcome()).isEqualTo(PolicyStore.Outcome.SUCCESS);
            assertThat(store.lintWarnings())
                    .extracting(LintWarning::code)
                    .containsExactly(LintCode.FOREIGN_TRUST_DOMAIN);
        }
    }

    @Test
    void withoutALintOptionOnlyRulesAreChecked() throws Exception {
        Files.writeString(dir.resolve("orders.yaml"), SHADOWED);
        try (PolicyStore store = PolicyStore.builder(dir)
                .watch(false)
                .checkInterval(java.time.Duration.ZERO)
                .build()) {
            assertThat(store.lintWarnings()).extracting(LintWarning::code).containsExactly(LintCode.SHADOWED_RULE);
        }
    }
}
