package io.trustline.policy.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.PolicyParser;
import io.trustline.policy.model.Action;
import io.trustline.policy.model.ClaimCondition;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.Rule;
import io.trustline.policy.model.Source;
import io.trustline.policy.model.Target;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PolicyEngineTest {

    private static final String FRONTEND = "spiffe://example.org/ns/shop/sa/frontend";

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
                - name: frontend-reads-orders
                  action: allow
                  from:
                    principals: ["spiffe://example.org/ns/shop/sa/frontend"]
                    requestPrincipals: ["https://auth.example.org/*"]
                  to:
                    methods: [GET]
                    paths: ["/api/orders/*"]
                  when:
                    - {claim: scope, contains: orders.read}
            """;

    private static PolicyEngine engine(String yaml) throws Exception {
        return PolicyEngine.compile(PolicyParser.parse("test.yaml", yaml, Path.of(".")), "v1");
    }

    @Test
    void explainsEveryRuleWithItsFirstFailedCondition() throws Exception {
        AuthzRequest r = AuthzRequest.builder("orders", "GET", "/admin/x")
                .principal(FRONTEND)
                .build();
        Explanation e = engine(POLICY).explain(r);

        assertThat(e.decision().reason()).isEqualTo(AuthzReason.DENIED_BY_RULE);
        assertThat(e.rules()).hasSize(2);
        assertThat(e.rules().get(0).matched()).isTrue();
        assertThat(e.rules().get(0).decided()).isTrue();
        assertThat(e.rules().get(1).failure()).isEqualTo("to.paths: '/admin/x' matched none of [/api/orders/*]");
        assertThat(e.render())
                .contains("decision: deny (authz.denied_by_rule)")
                .contains("deciding rule: orders-inbound/block-admin (test.yaml:7:7)")
                .contains(
                        "allow orders-inbound/frontend-reads-orders: to.paths: '/admin/x' matched none of [/api/orders/*]");
    }

    @Test
    void explainsMissingTokensAndClaims() throws Exception {
        PolicyEngine engine = engine(POLICY);
        AuthzRequest noToken = AuthzRequest.builder("orders", "GET", "/api/orders/1")
                .principal(FRONTEND)
                .build();
        assertThat(engine.decide(noToken).reason()).isEqualTo(AuthzReason.TOKEN_REQUIRED);
        assertThat(engine.explain(noToken).rules().get(1).failure())
                .isEqualTo("from.requestPrincipals: no verified token (expected one of [https://auth.example.org/*])");

        AuthzRequest wrongScope = AuthzRequest.builder("orders", "GET", "/api/orders/1")
                .principal(FRONTEND)
                .requestPrincipal("https://auth.example.org/alice")
                .claims(Map.of("scope", "orders.write"))
                .build();
        assertThat(engine.decide(wrongScope).reason()).isEqualTo(AuthzReason.NO_ALLOW_MATCH);
        assertThat(engine.explain(wrongScope).rules().get(1).failure())
                .isEqualTo("when[0]: claim 'scope' is 'orders.write' (expected {claim: scope, contains: orders.read})");
    }

    @Test
    void explainsAServiceWithoutPolicy() throws Exception {
        Explanation e = engine(POLICY)
                .explain(AuthzRequest.builder("payments", "GET", "/").build());
        assertThat(e.decision().reason()).isEqualTo(AuthzReason.NO_POLICY);
        assertThat(e.render()).contains("rules: none for service 'payments'");
    }

    @Test
    void sharesOneDecisionInstancePerRuleSoTheHotPathDoesNotAllocateIt() throws Exception {
        PolicyEngine engine = engine(POLICY);
        AuthzRequest a = AuthzRequest.builder("orders", "GET", "/admin/a").build();
        AuthzRequest b = AuthzRequest.builder("orders", "POST", "/admin/b").build();
        assertThat(engine.decide(a)).isSameAs(engine.decide(b));
    }

    @Test
    void derivesGrpcMethodsOnlyForGrpcContentTypes() {
        assertThat(AuthzRequest.grpcMethodOf("POST", "/shop.v1.Orders/Get", "application/grpc"))
                .isEqualTo("shop.v1.Orders/Get");
        assertThat(AuthzRequest.grpcMethodOf("POST", "/shop.v1.Orders/Get", "application/grpc+proto"))
                .isEqualTo("shop.v1.Orders/Get");
        assertThat(AuthzRequest.grpcMethodOf("POST", "/shop.v1.Orders/Get", "Application/GRPC;charset=x"))
                .isEqualTo("shop.v1.Orders/Get");
        assertThat(AuthzRequest.grpcMethodOf("POST", "/shop.v1.Orders/Get", "application/grpc-web"))
                .isNull();
        assertThat(AuthzRequest.grpcMethodOf("POST", "/shop.v1.Orders/Get", "application/json"))
                .isNull();
        assertThat(AuthzRequest.grpcMethodOf("POST", "/shop.v1.Orders/Get", null))
                .isNull();
        assertThat(AuthzRequest.grpcMethodOf("POST", "/a/b/c", "application/grpc"))
                .isNull();
        assertThat(AuthzRequest.grpcMethodOf("POST", "/a/", "application/grpc")).isNull();
        assertThat(AuthzRequest.grpcMethodOf("POST", "//b", "application/grpc")).isNull();
    }

    @Test
    void onlyAPostIsAGrpcCallSoAGrpcAllowRuleNeverAdmitsAnotherMethod() throws Exception {
        PolicyEngine engine = engine("""
                apiVersion: trustline.io/v1
                kind: Policy
                metadata: {name: orders-inbound}
                spec:
                  service: orders
                  rules:
                    - name: get-order
                      action: allow
                      to: {grpc: ["shop.v1.Orders/Get"]}
                """);
        // gRPC calls are POSTs (gRPC over HTTP/2 spec); a GET with gRPC's content type is a plain HTTP request that
        // an HTTP app behind the same sidecar would serve, so a rule written for the gRPC method must not admit it.
        for (String method : new String[] {"GET", "PUT", "DELETE", "HEAD"}) {
            AuthzRequest notGrpc = AuthzRequest.builder("orders", method, "/shop.v1.Orders/Get")
                    .contentType("application/grpc")
                    .build();
            assertThat(notGrpc.grpcMethod()).as(method).isNull();
            assertThat(engine.decide(notGrpc).allowed()).as(method).isFalse();
        }
        AuthzRequest call = AuthzRequest.builder("orders", "POST", "/shop.v1.Orders/Get")
                .contentType("application/grpc")
                .build();
        assertThat(engine.decide(call).allowed()).isTrue();
        assertThat(AuthzRequest.grpcMethodOf("GET", "/shop.v1.Orders/Get", "application/grpc"))
                .isNull();
    }

    @Test
    void buildsFromTheProgrammaticModel() {
        Policy p = Policy.of(
                "p",
                "svc",
                Rule.of(
                        "reads",
                        Action.ALLOW,
                        Source.ofPrincipals("spiffe://example.org/*"),
                        Target.of(List.of("GET"), List.of("/api/*"))),
                Rule.of(
                        "scoped",
                        Action.ALLOW,
                        Source.ANY,
                        Target.of(List.of(), List.of("/scoped")),
                        ClaimCondition.contains("scope", "x")));
        PolicyEngine engine = PolicyEngine.compile(List.of(p), "v");
        assertThat(engine.decide(AuthzRequest.builder("svc", "GET", "/api/1")
                                .principal("spiffe://example.org/a")
                                .build())
                        .allowed())
                .isTrue();
        assertThat(engine.decide(AuthzRequest.builder("svc", "GET", "/scoped")
                                .claims(Map.of("scope", "a x"))
                                .build())
                        .rule())
                .isEqualTo("scoped");
        assertThat(engine.forService("svc").policies()).containsExactly(p);
        assertThat(PolicyEngine.empty()
                        .decide(AuthzRequest.builder("svc", "GET", "/").build())
                        .reason())
                .isEqualTo(AuthzReason.NO_POLICY);
    }

    @Test
    void forServiceReturnsOneCompiledViewPerServiceAndVersion() throws Exception {
        PolicyEngine engine = engine(POLICY);
        ServicePolicy orders = engine.forService("orders");
        assertThat(engine.forService("orders")).isSameAs(orders);
        assertThat(orders.isEmpty()).isFalse();
        assertThat(orders.service()).isEqualTo("orders");
        assertThat(orders.version()).isEqualTo("v1");
        AuthzRequest admin = AuthzRequest.builder("orders", "GET", "/admin/x").build();
        assertThat(orders.decide(admin)).isSameAs(engine.decide(admin));
        assertThat(orders.decide(admin).rule()).isEqualTo("block-admin");
        assertThat(orders.explain(admin).render())
                .isEqualTo(engine.explain(admin).render());
    }

    @Test
    void aServiceNoPolicyTargetsGetsAnEmptyViewThatDeniesEverything() throws Exception {
        PolicyEngine engine = engine(POLICY);
        ServicePolicy payments = engine.forService("payments");
        assertThat(payments.isEmpty()).isTrue();
        assertThat(payments.service()).isEqualTo("payments");
        assertThat(payments.policies()).isEmpty();
        assertThat(payments.jwt()).isEmpty();
        assertThat(payments.rateLimits()).isEmpty();
        assertThat(payments.penalty()).isEmpty();
        assertThat(payments.cors()).isEmpty();
        assertThat(payments.requestLimits()).isEmpty();
        assertThat(payments.deprecations().isEmpty()).isTrue();
        assertThat(payments.decide(AuthzRequest.builder("payments", "GET", "/").build())
                        .reason())
                .isEqualTo(AuthzReason.NO_POLICY);
        // Asked again, the same view: a sidecar notices a reload by the view's identity.
        assertThat(engine.forService("payments")).isSameAs(payments);
        assertThat(PolicyEngine.empty().forService("x").isEmpty()).isTrue();
    }

    /**
     * The index only narrows the candidates; it must never change a decision. Random policies and
     * requests are decided by the engine and by a plain scan of every rule, in order.
     */
    @Test
    void indexedDecisionsEqualAPlainScanOfAllRules() throws Exception {
        Random rnd = new Random(42);
        String[] segments = {"api", "orders", "admin", "v1", "x", ""};
        String[] methods = {"GET", "POST", "DELETE", "PROPFIND"};
        String[] principals = {"spiffe://e.org/ns/a/sa/one", "spiffe://e.org/ns/b/sa/two", null};
        for (int round = 0; round < 30; round++) {
            List<Rule> rules = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String path =
                        "/" + segments[rnd.nextInt(segments.length)] + "/" + segments[rnd.nextInt(segments.length)];
                String pattern = switch (rnd.nextInt(5)) {
                    case 0 -> path;
                    case 1 -> path + "*";
                    case 2 -> "*" + segments[rnd.nextInt(segments.length)];
                    case 3 -> "/" + segments[rnd.nextInt(segments.length)] + "*";
                    default -> "*";
                };
                List<String> ms = rnd.nextBoolean() ? List.of() : List.of(methods[rnd.nextInt(methods.length)]);
                Source from = rnd.nextInt(3) == 0 ? Source.ofPrincipals("spiffe://e.org/ns/a/*") : Source.ANY;
                Target to = new Target(
                        ms,
                        rnd.nextInt(6) == 0 ? List.of("GET") : List.of(),
                        List.of(io.trustline.policy.model.StringMatch.parse(pattern)),
                        List.of(),
                        rnd.nextInt(8) == 0 ? List.of(io.trustline.policy.model.StringMatch.parse("a.B/*")) : List.of(),
                        List.of(),
                        Map.of(),
                        Map.of());
                Rule r = Rule.of("r" + i, rnd.nextInt(4) == 0 ? Action.DENY : Action.ALLOW, from, to);
                rules.add(rnd.nextInt(5) == 0 ? r.withMode(io.trustline.policy.model.Mode.AUDIT) : r);
            }
            PolicyEngine engine = PolicyEngine.compile(
                    List.of(new Policy(
                            "p",
                            "svc",
                            io.trustline.policy.model.Mode.ENFORCE,
                            List.of(),
                            rules,
                            List.of(),
                            java.util.Optional.empty(),
                            io.trustline.policy.model.Origin.PROGRAMMATIC)),
                    "v");
            for (int q = 0; q < 300; q++) {
                String path =
                        "/" + segments[rnd.nextInt(segments.length)] + "/" + segments[rnd.nextInt(segments.length)]
                                + (rnd.nextBoolean() ? "/" + segments[rnd.nextInt(segments.length)] : "");
                AuthzRequest req = AuthzRequest.builder("svc", methods[rnd.nextInt(methods.length)], path)
                        .principal(principals[rnd.nextInt(principals.length)])
                        .grpcMethod(rnd.nextInt(4) == 0 ? "a.B/C" : null)
                        .sourceIp(InetAddress.getLoopbackAddress())
                        .build();
                Decision d = engine.decide(req);
                Decision expected = scan(rules, req);
                assertThat(d.allowed()).as("%s", req).isEqualTo(expected.allowed());
                assertThat(d.rule()).as("%s", req).isEqualTo(expected.rule());
                // The explanation agrees with the decision, rule by rule.
                Explanation e = engine.explain(req);
                for (int i = 0; i < rules.size(); i++) {
                    assertThat(e.rules().get(i).matched()).isEqualTo(matches(rules.get(i), req));
                }
            }
        }
    }

    /** The reference semantics, written as plainly as possible (enforced rules only). */
    private static Decision scan(List<Rule> rules, AuthzRequest r) {
        for (Rule rule : rules) {
            if (rule.action() == Action.DENY
                    && rule.mode() == io.trustline.policy.model.Mode.ENFORCE
                    && matches(rule, r)) {
                return Decision.of(false, AuthzReason.DENIED_BY_RULE, "p", rule.name());
            }
        }
        for (Rule rule : rules) {
            if (rule.action() == Action.ALLOW
                    && rule.mode() == io.trustline.policy.model.Mode.ENFORCE
                    && matches(rule, r)) {
                return Decision.of(true, AuthzReason.ALLOWED, "p", rule.name());
            }
        }
        return Decision.of(false, AuthzReason.NO_ALLOW_MATCH, null, null);
    }

    private static boolean matches(Rule rule, AuthzRequest r) {
        Target t = rule.to();
        return (t.methods().isEmpty() || t.methods().contains(r.method()))
                && !t.notMethods().contains(r.method())
                && (t.paths().isEmpty() || t.paths().stream().anyMatch(m -> m.matches(r.path())))
                && (t.grpc().isEmpty() || t.grpc().stream().anyMatch(m -> m.matches(r.grpcMethod())))
                && (rule.from().principals().isEmpty()
                        || rule.from().principals().stream().anyMatch(m -> m.matches(r.principal())));
    }
}
