package io.trustline.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.model.JwksCache;
import io.trustline.policy.model.JwtAlgorithm;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.Rate;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.policy.model.TokenSource;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The jwt, rateLimits and penalty sections: their defaults and every field read into the model. */
class PolicyParserTest {

    private static Policy parse(String spec) throws PolicyParseException {
        String yaml =
                "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  service: orders\n" + spec;
        List<Policy> ps = PolicyParser.parse("p.yaml", yaml, Path.of("/etc/policies"));
        assertThat(ps).hasSize(1);
        return ps.get(0);
    }

    @Test
    void jwtDefaults() throws Exception {
        JwtProvider j = parse("""
                  jwt:
                    - issuer: https://auth.example.org
                      audiences: [orders]
                      jwksUri: http://auth:9000/.well-known/jwks.json
                """).jwt().get(0);
        assertThat(j.issuer()).isEqualTo("https://auth.example.org");
        assertThat(j.audiences()).containsExactly("orders");
        assertThat(j.algorithms())
                .containsExactlyInAnyOrder(JwtAlgorithm.RS256, JwtAlgorithm.ES256, JwtAlgorithm.EdDSA);
        assertThat(j.jwksUri()).contains(URI.create("http://auth:9000/.well-known/jwks.json"));
        assertThat(j.jwksFile()).isEmpty();
        assertThat(j.clockSkew()).isEqualTo(Duration.ofSeconds(60));
        assertThat(j.maxTokenLifetime()).isEmpty();
        assertThat(j.fromHeaders()).containsExactly(TokenSource.AUTHORIZATION_BEARER);
        assertThat(j.fromQuery()).isEmpty();
        assertThat(j.claimsToHeaders()).isEmpty();
        assertThat(j.forwardToken()).isTrue();
        assertThat(j.required()).as("a missing token is for policy to judge").isFalse();
        assertThat(j.maxTokenBytes()).isEqualTo(8192);
        assertThat(j.jwksCache()).isEqualTo(JwksCache.DEFAULT);
        assertThat(j.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(j.origin()).hasToString("p.yaml:7:7");
    }

    @Test
    void jwtEveryField() throws Exception {
        JwtProvider j = parse("""
                  mode: audit
                  jwt:
                    - issuer: https://auth.example.org
                      audiences: [orders, shop]
                      algorithms: [PS256, ES384]
                      jwksFile: keys/jwks.json
                      clockSkew: 30s
                      maxTokenLifetime: 1h
                      fromHeaders: [{name: X-Token}, {name: Authorization, prefix: "Bearer "}]
                      fromQuery: access_token
                      claimsToHeaders: {sub: X-User-Id, tenant: x-tenant}
                      forwardToken: false
                      required: true
                      maxTokenBytes: 4096
                      jwksCache: {refreshInterval: 1m, maxStaleness: 2h, minRefetchInterval: 10s, fetchTimeout: 2s}
                """).jwt().get(0);
        assertThat(j.algorithms()).containsExactlyInAnyOrder(JwtAlgorithm.PS256, JwtAlgorithm.ES384);
        assertThat(j.jwksFile()).contains(Path.of("/etc/policies/keys/jwks.json"));
        assertThat(j.clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(j.maxTokenLifetime()).contains(Duration.ofHours(1));
        assertThat(j.fromHeaders())
                .containsExactly(new TokenSource("x-token", ""), new TokenSource("authorization", "Bearer "));
        assertThat(j.fromQuery()).contains("access_token");
        assertThat(j.claimsToHeaders()).isEqualTo(Map.of("sub", "x-user-id", "tenant", "x-tenant"));
        assertThat(j.forwardToken()).isFalse();
        assertThat(j.required()).isTrue();
        assertThat(j.maxTokenBytes()).isEqualTo(4096);
        assertThat(j.jwksCache())
                .isEqualTo(new JwksCache(
                        Duration.ofMinutes(1), Duration.ofHours(2), Duration.ofSeconds(10), Duration.ofSeconds(2)));
        assertThat(j.mode()).as("inherits the policy's audit mode").isEqualTo(Mode.AUDIT);
    }

    @Test
    void rateLimitsDefaultsOverridesAndModes() throws Exception {
        Policy p = parse("""
                  rateLimits:
                    - {name: per-caller, key: principal, rate: 100/s}
                    - name: writes
                      match: {methods: [POST, PUT], paths: ["/api/*"], grpc: ["shop.v1.Orders/*"], principals: ["*"]}
                      key: claim:tenant
                      rate: 10/m
                      burst: 20
                      overrides:
                        - {value: acme, rate: 100/m}
                        - {value: beta, rate: 1/s, burst: 5}
                      mode: audit
                """);
        RateLimit a = p.rateLimits().get(0);
        assertThat(a.burst()).as("burst defaults to N").isEqualTo(100);
        assertThat(a.match().methods()).isEmpty();
        assertThat(a.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(a.key().afterAuthentication()).isFalse();
        RateLimit w = p.rateLimits().get(1);
        assertThat(w.key()).isEqualTo(new RateLimitKey(RateLimitKey.Kind.CLAIM, "tenant"));
        assertThat(w.key().afterAuthentication()).isTrue();
        assertThat(w.rate()).isEqualTo(Rate.parse("10/m"));
        assertThat(w.burst()).isEqualTo(20);
        assertThat(w.overrideFor("acme"))
                .hasValueSatisfying(o -> assertThat(o.burst()).isEqualTo(100));
        assertThat(w.overrideFor("beta"))
                .hasValueSatisfying(o -> assertThat(o.burst()).isEqualTo(5));
        assertThat(w.overrideFor("other")).isEmpty();
        assertThat(w.mode()).isEqualTo(Mode.AUDIT);
        assertThat(w.match().matches("POST", "/api/x", "shop.v1.Orders/Get", "spiffe://e/x"))
                .isTrue();
        assertThat(w.match().matches("POST", "/api/x", null, "spiffe://e/x")).isFalse();
    }

    @Test
    void durationsTakeDaysCompoundAndIsoSpellings() throws Exception {
        Penalty p = parse("  penalty: {threshold: 10, window: 1d, duration: 1h30m}\n")
                .penalty()
                .orElseThrow();
        assertThat(p.window()).isEqualTo(Duration.ofDays(1));
        assertThat(p.duration()).isEqualTo(Duration.ofMinutes(90));
        assertThat(parse("  penalty: {threshold: 10, window: PT30S, duration: P1D}\n")
                        .penalty()
                        .orElseThrow()
                        .duration())
                .isEqualTo(Duration.ofDays(1));
    }

    @Test
    void penaltyDefaultsAndFields() throws Exception {
        Penalty refuse = parse("  penalty: {threshold: 10, window: 1m, duration: 5m}\n")
                .penalty()
                .orElseThrow();
        assertThat(refuse.key()).isEqualTo(RateLimitKey.PRINCIPAL);
        assertThat(refuse.failures()).isEqualTo(Set.of(Penalty.Failure.AUTHN, Penalty.Failure.AUTHZ));
        assertThat(refuse.refuses()).isTrue();
        assertThat(refuse.burst()).isZero();

        Penalty slow = parse(
                        "  penalty: {key: sourceIp, failures: [authn], threshold: 3, window: 30s, duration: 1h, rate: 1/m, mode: audit}\n")
                .penalty()
                .orElseThrow();
        assertThat(slow.key()).isEqualTo(RateLimitKey.SOURCE_IP);
        assertThat(slow.failures()).containsExactly(Penalty.Failure.AUTHN);
        assertThat(slow.rate()).isEqualTo(Optional.of(Rate.parse("1/m")));
        assertThat(slow.burst()).isEqualTo(1);
        assertThat(slow.window()).isEqualTo(Duration.ofSeconds(30));
        assertThat(slow.duration()).isEqualTo(Duration.ofHours(1));
        assertThat(slow.mode()).isEqualTo(Mode.AUDIT);
    }

    @Test
    void enforceInsideAnAuditPolicyIsAnError() {
        PolicyParseException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                PolicyParseException.class,
                () -> parse("  mode: audit\n  rules:\n    - {name: r, action: allow, mode: enforce}\n"));
        assertThat(e.errors()).singleElement().satisfies(x -> {
            assertThat(x.line()).isEqualTo(8);
            assertThat(x.message()).startsWith("rules.mode: 'enforce' inside a policy in audit mode");
        });
    }

    @Test
    void rulesTakeThePolicyModeAndTheirOwn() throws Exception {
        Policy p = parse("  rules:\n    - {name: a, action: allow}\n    - {name: b, action: deny, mode: audit}\n");
        assertThat(p.rules()).extracting(r -> r.mode()).containsExactly(Mode.ENFORCE, Mode.AUDIT);
        assertThat(p.rules().get(1).origin()).hasToString("p.yaml:8:7");
    }
}
