package io.trustline.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.error.PolicyParseException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checks that span files: a policy name once per directory; per service an issuer, a limit
 * name and a deprecation name once, and a penalty box, a CORS section and request limits at most
 * once. Each second declaration is reported at its own position, pointing at the first.
 */
class CrossFileChecksTest {

    @TempDir
    Path dir;

    private static String policy(String name, String service) {
        return """
                apiVersion: trustline.io/v1
                kind: Policy
                metadata: {name: %s}
                spec:
                  service: %s
                  jwt:
                    - {issuer: "https://auth.example.org", audiences: [orders], jwksUri: "https://auth.example.org/jwks"}
                  rules:
                    - {name: same-rule, action: allow}
                  rateLimits:
                    - {name: per-caller, key: principal, rate: 10/s}
                  penalty: {threshold: 5, window: 1m, duration: 5m}
                  cors: {allowOrigins: ["https://a.example"]}
                  requestLimits: {maxQueryParams: 10}
                  deprecations:
                    - {name: old, match: {paths: ["/old"]}, deprecated: 2026-01-01}
                """.formatted(name, service);
    }

    @Test
    void reportsEverySecondDeclarationInAnotherFileAtItsPositionPointingAtTheFirst() throws Exception {
        Files.writeString(dir.resolve("one.yaml"), policy("same-name", "orders"));
        Files.writeString(dir.resolve("two.yaml"), policy("same-name", "orders"));

        PolicyParseException e = catchThrowableOfType(PolicyParseException.class, () -> PolicyLoader.load(dir));

        assertThat(e).isNotNull();
        assertThat(e.errors())
                .extracting(x -> x.toString().replace(dir + "/", ""))
                .containsExactly(
                        "two.yaml:1:1: metadata.name: duplicate policy name 'same-name' (first at one.yaml:1:1)",
                        "two.yaml:7:7: jwt.issuer: 'https://auth.example.org' is listed twice for service 'orders'"
                                + " (first at one.yaml:7:7)",
                        "two.yaml:11:7: rateLimits.name: duplicate limit name 'per-caller' for service 'orders'"
                                + " (first at one.yaml:11:7)",
                        "two.yaml:12:12: penalty: a second penalty box for service 'orders' (first at one.yaml:12:12;"
                                + " expected: at most one per service)",
                        "two.yaml:13:9: cors: a second CORS section for service 'orders' (first at one.yaml:13:9;"
                                + " expected: at most one per service)",
                        "two.yaml:14:18: requestLimits: a second requestLimits section for service 'orders' (first at"
                                + " one.yaml:14:18; expected: at most one per service)",
                        "two.yaml:16:7: deprecations.name: duplicate deprecation name 'old' for service 'orders'"
                                + " (first at one.yaml:16:7)");
    }

    @Test
    void acceptsTheSameNamesAndSectionsForAnotherServiceAndRuleNamesInAnotherPolicy() throws Exception {
        Files.writeString(dir.resolve("one.yaml"), policy("orders-inbound", "orders"));
        Files.writeString(dir.resolve("two.yaml"), policy("inventory-inbound", "inventory"));

        PolicyEngine engine = PolicyLoader.load(dir);

        assertThat(engine.policies()).hasSize(2);
    }

    @Test
    void keepsTheNamesOfDifferentSectionsApart() throws Exception {
        Files.writeString(dir.resolve("one.yaml"), """
                apiVersion: trustline.io/v1
                kind: Policy
                metadata: {name: legacy}
                spec:
                  service: orders
                  rateLimits:
                    - {name: legacy, key: principal, rate: 10/s}
                  deprecations:
                    - {name: legacy, match: {paths: ["/old"]}, deprecated: 2026-01-01}
                """);
        Files.writeString(dir.resolve("two.yaml"), """
                apiVersion: trustline.io/v1
                kind: Policy
                metadata: {name: orders}
                spec:
                  service: orders
                  jwt:
                    - {issuer: legacy, audiences: [orders], jwksUri: "https://auth.example.org/jwks"}
                """);

        PolicyEngine engine = PolicyLoader.load(dir);

        assertThat(engine.policies()).hasSize(2);
    }
}
