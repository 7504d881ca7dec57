package io.trustline.policy.lint;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.Explanation;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.model.Action;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Origin;
import io.trustline.policy.model.Policy;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lint's claims checked against the evaluator it reasons about: over many requests built from the values the
 * case files use, a rule reported as unsatisfiable never matches, and an ALLOW rule reported as shadowed never
 * matches without an enforced DENY rule of its service matching too. gRPC requests are POSTs, as real gRPC calls are.
 */
class LintSoundnessTest {

    /** Requests per combination of method, path and principal (every combination is tried). */
    private static final int DRAWS = 8;

    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
    private static final String[] PATHS = {
        "/api/orders/1",
        "/api/orders",
        "/api/items",
        "/api/x",
        "/api/admin/x",
        "/admin/x",
        "/orders",
        "/stock/1",
        "/shop.v1.Orders/GetOrder",
        "/shop.v1.Orders/GetSecret",
        "/shop.v1.Orders/CreateOrder",
        "/x.php"
    };
    private static final String[] PRINCIPALS = {
        null,
        "spiffe://example.org/ns/shop/sa/frontend",
        "spiffe://example.org/ns/shop/sa/legacy",
        "spiffe://example.org/ns/legacy/sa/reports",
        "spiffe://example.org/ns/shop/sa/orders",
        "spiffe://partner.example/ns/shop/sa/frontend",
        "spiffe://other.org/ns/a/sa/b"
    };
    private static final String[] USERS = {null, "https://auth.example.org/alice", "https://auth.example.org/bob"};
    private static final String[] ROLES = {null, "admin", "ops", "dev"};
    private static final String[] SCOPES = {null, "orders.read", "orders.read orders.write orders.admin"};
    private static final String[] ENVS = {null, "prod", "staging"};
    private static final String[] IPS = {null, "10.1.2.3", "10.2.0.1", "192.168.0.1"};

    static List<Path> cases() throws Exception {
        return LintTest.cases();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void whatTheLintReportsTheEvaluatorConfirms(Path file) throws Exception {
        String name = file.getFileName().toString();
        List<Policy> policies =
                PolicyParser.parse(name, Files.readString(file, StandardCharsets.UTF_8), file.getParent());
        PolicyEngine engine = PolicyEngine.compile(policies, "test");
        Set<Origin> unsatisfiable = new HashSet<>();
        Set<Origin> shadowed = new HashSet<>();
        for (LintWarning w : Lint.of().check(policies)) {
            if (w.code() == LintCode.UNSATISFIABLE_RULE) {
                unsatisfiable.add(w.origin());
            } else if (w.code() == LintCode.SHADOWED_RULE) {
                shadowed.add(w.origin());
            }
        }
        Map<Origin, Integer> shadowedMatches = new HashMap<>();
        SplittableRandom random = new SplittableRandom(name.hashCode());
        List<AuthzRequest> requests = new ArrayList<>();
        for (String service : engine.services()) {
            for (String method : METHODS) {
                for (String path : PATHS) {
                    for (String principal : PRINCIPALS) {
                        for (int i = 0; i < DRAWS; i++) {
                            requests.add(request(service, method, path, principal, random));
                        }
                    }
                }
            }
        }
        for (AuthzRequest request : requests) {
            Explanation e = engine.explain(request);
            boolean denyMatched = e.rules().stream()
                    .anyMatch(r -> r.matched() && r.action() == Action.DENY && r.mode() == Mode.ENFORCE);
            for (Explanation.RuleResult r : e.rules()) {
                if (!r.matched()) {
                    continue;
                }
                assertThat(unsatisfiable).as("%s: %s matched", name, r.rule()).doesNotContain(r.origin());
                if (shadowed.contains(r.origin())) {
                    assertThat(denyMatched)
                            .as("%s: %s matched alone", name, r.rule())
                            .isTrue();
                    shadowedMatches.merge(r.origin(), 1, Integer::sum);
                }
            }
        }
        // Each shadowed rule must have matched some requests, or the check above proved nothing.
        assertThat(shadowedMatches.keySet()).as(name).isEqualTo(shadowed);
    }

    private static AuthzRequest request(
            String service, String method, String path, String principal, SplittableRandom random) throws Exception {
        String user = pick(USERS, random);
        Map<String, Object> claims = new HashMap<>();
        if (user != null) {
            String role = pick(ROLES, random);
            String scope = pick(SCOPES, random);
            if (role != null) {
                claims.put("role", role);
            }
            if (scope != null) {
                claims.put("scope", scope);
            }
        }
        Map<String, String> headers = new HashMap<>();
        String env = pick(ENVS, random);
        if (env != null) {
            headers.put("x-env", env);
        }
        String ip = pick(IPS, random);
        return AuthzRequest.builder(service, method, path)
                .principal(principal)
                .requestPrincipal(user)
                .claims(claims)
                .headers(headers)
                // gRPC calls are POSTs; the lint's gRPC checks are about them, not about a GET that claims gRPC's type.
                .contentType(method.equals("POST") && random.nextBoolean() ? "application/grpc" : "application/json")
                .sourceIp(ip == null ? null : InetAddress.getByName(ip))
                .build();
    }

    private static String pick(String[] values, SplittableRandom random) {
        return values[random.nextInt(values.length)];
    }
}
