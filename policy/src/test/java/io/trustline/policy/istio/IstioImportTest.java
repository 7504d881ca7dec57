package io.trustline.policy.istio;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.PolicyLoader;
import io.trustline.policy.cli.PolicyCli;
import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.Decision;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.testing.CaseFiles;
import io.trustline.policy.testing.CaseRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IstioImportTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return PolicyCli.run(new PrintWriter(out), new PrintWriter(err), args);
    }

    private Path input(String yaml) throws Exception {
        Path f = dir.resolve("istio.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private static final String NAMESPACE_WIDE_DENY = """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-scanners, namespace: shop}
            spec:
              action: DENY
              rules:
              - when:
                - key: request.headers[user-agent]
                  values: ["sqlmap*"]
            """;

    @Test
    void refusesToDropANamespaceWideDenyEvenWithAllowPartial() throws Exception {
        Path in = input(NAMESPACE_WIDE_DENY);
        Path target = dir.resolve("out");

        assertThat(run("import-istio", "--allow-partial", "--out", target.toString(), in.toString()))
                .isEqualTo(1);

        assertThat(err.toString())
                .contains(in + ":1:1: cannot convert: selector: no selector: the policy applies to every workload of"
                        + " namespace 'shop'; name their services with --services; leaving this DENY policy out"
                        + " would allow what Istio denies")
                .contains("nothing written: 1 finding above would make the result more permissive than Istio's");
        assertThat(target).doesNotExist();
    }

    @Test
    void appliesANamespaceWidePolicyToEachServiceGiven() throws Exception {
        Path in = input(NAMESPACE_WIDE_DENY);
        Path target = dir.resolve("out");

        assertThat(run("import-istio", "--services", "cart,orders", "--out", target.toString(), in.toString()))
                .isZero();

        PolicyEngine engine = PolicyLoader.load(target);
        for (String service : List.of("cart", "orders")) {
            Decision scanner = decide(engine, "{service: " + service + ", path: /, headers: {user-agent: sqlmap/1.7}}");
            assertThat(scanner.allowed()).isFalse();
            assertThat(scanner.policy()).isEqualTo("shop.deny-scanners." + service);
            // Only a DENY applied, so Istio's implicit allow is written out for the rest.
            assertThat(decide(engine, "{service: " + service + ", path: /, headers: {user-agent: curl}}")
                            .rule())
                    .isEqualTo("allow-all");
        }
    }

    @Test
    void writesNothingWhenAFieldCannotBeConvertedWithoutAllowPartial() throws Exception {
        Path in = input("""
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: web, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  rules:
                  - to:
                    - operation: {hosts: [shop.example.org]}
                """);
        Path target = dir.resolve("out");

        assertThat(run("import-istio", "--out", target.toString(), in.toString()))
                .isEqualTo(1);

        assertThat(err.toString())
                .contains(in + ":8:26: cannot convert: rules[0].to[0].operation.hosts: Trustline rules do not match"
                        + " the Host header (a sidecar serves one service); the ALLOW alternatives that need it are"
                        + " left out, so fewer requests are allowed than in Istio")
                .contains("nothing written: 1 field cannot be converted; --allow-partial writes a result stricter"
                        + " than Istio's");
        assertThat(target).doesNotExist();
    }

    @Test
    void convertsInlineJwksAndTheTokenOptionsOfARequestAuthentication() throws Exception {
        Path in = input("""
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: auth0, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  jwtRules:
                  - issuer: https://shop.eu.auth0.com/
                    audiences: [web, mobile]
                    jwks: '{"keys": []}'
                    fromParams: [access_token]
                    forwardOriginalToken: true
                    timeout: 3s
                    spaceDelimitedClaims: [roles]
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: web, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  rules:
                  - when:
                    - key: request.auth.claims[roles]
                      values: [buyer, seller]
                """);
        Path target = dir.resolve("out");

        assertThat(run("import-istio", "--out", target.toString(), in.toString()))
                .as(err.toString())
                .isZero();

        assertThat(target.resolve("shop.auth0.0.jwks.json")).hasContent("{\"keys\": []}");
        PolicyEngine engine = PolicyLoader.load(target);
        JwtProvider jwt = engine.forService("web").jwt().get(0);
        assertThat(jwt.issuer()).isEqualTo("https://shop.eu.auth0.com/");
        assertThat(jwt.audiences()).containsExactly("web", "mobile");
        assertThat(jwt.jwksFile())
                .contains(target.resolve("shop.auth0.0.jwks.json").toAbsolutePath());
        assertThat(jwt.fromQuery()).contains("access_token");
        assertThat(jwt.forwardToken()).isTrue();
        assertThat(jwt.jwksCache().fetchTimeout()).isEqualTo(Duration.ofSeconds(3));
        // roles is space-delimited for this issuer in Istio, so a word of the string claim matches.
        String claims = "claims: {iss: https://shop.eu.auth0.com/, sub: u1, roles: ";
        assertThat(decide(engine, "{service: web, path: /, " + claims + "'viewer seller'}}")
                        .allowed())
                .isTrue();
        assertThat(decide(engine, "{service: web, path: /, " + claims + "[buyer]}}")
                        .allowed())
                .isTrue();
        assertThat(decide(engine, "{service: web, path: /, " + claims + "viewer}}")
                        .allowed())
                .isFalse();
    }

    @Test
    void readsTokensWhereIstioLooksByDefault() throws Exception {
        IstioImport.Result r = IstioImport.convert(List.of(write("""
                        apiVersion: security.istio.io/v1
                        kind: RequestAuthentication
                        metadata: {name: jwt, namespace: shop}
                        spec:
                          selector: {matchLabels: {app: web}}
                          jwtRules:
                          - issuer: https://auth.example.org
                            audiences: [web]
                            jwksUri: https://auth.example.org/jwks.json
                        """)), ImportOptions.defaults());

        assertThat(r.files().get("web.yaml"))
                .contains("fromQuery: access_token")
                .doesNotContain("fromHeaders");
        assertThat(r.findings())
                .extracting(Finding::effect, Finding::field)
                .contains(org.assertj.core.groups.Tuple.tuple(Finding.Effect.NOTE, "jwtRules[0]"));
    }

    @Test
    void givesAServiceWithOnlyAnAuditPolicyIstiosImplicitAllow() throws Exception {
        IstioImport.Result r = IstioImport.convert(List.of(write("""
                        apiVersion: security.istio.io/v1
                        kind: AuthorizationPolicy
                        metadata: {name: audit-all, namespace: shop}
                        spec:
                          selector: {matchLabels: {app: web}}
                          action: AUDIT
                          rules:
                          - {}
                        """)), ImportOptions.defaults());

        assertThat(r.files().get("web.yaml"))
                .contains("name: istio-default-allow.web")
                .doesNotContain("audit-all\n");
        Path target = Files.createDirectories(dir.resolve("out"));
        Files.writeString(target.resolve("web.yaml"), r.files().get("web.yaml"));
        assertThat(decide(PolicyLoader.load(target), "{service: web, path: /}").allowed())
                .isTrue();
    }

    @Test
    void stopsOnATokenLocationTrustlineDoesNotRead() throws Exception {
        Path in = input("""
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: cookie-auth, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  jwtRules:
                  - issuer: https://auth.example.org
                    audiences: [web]
                    jwksUri: https://auth.example.org/jwks.json
                    fromCookies: [session]
                """);

        assertThat(run(
                        "import-istio",
                        "--allow-partial",
                        "--out",
                        dir.resolve("out").toString(),
                        in.toString()))
                .isEqualTo(1);

        assertThat(err.toString())
                .contains(in + ":10:18: cannot convert: jwtRules[0].fromCookies: Trustline does not read tokens"
                        + " from cookies: a token sent there would go unverified");
    }

    @Test
    void stopsOnAnIssuerWithoutAudiencesAsItsTokensWouldGoUnseen() {
        IstioImport.Result r = IstioImport.convert(List.of(write("""
                        apiVersion: security.istio.io/v1
                        kind: RequestAuthentication
                        metadata: {name: jwt-example, namespace: foo}
                        spec:
                          selector: {matchLabels: {app: httpbin}}
                          jwtRules:
                          - issuer: testing@secure.istio.io
                            jwksUri: https://example.org/jwks.json
                        """)), ImportOptions.defaults());

        assertThat(r.findings())
                .extracting(Finding::effect, Finding::field)
                .contains(org.assertj.core.groups.Tuple.tuple(Finding.Effect.FATAL, "jwtRules[0].audiences"));
        assertThat(r.writable(true)).isFalse();
    }

    @Test
    void intersectsASourceWithAWhenConditionOnTheSamePrincipal() throws Exception {
        IstioImport.Result r = IstioImport.convert(
                List.of(write("""
                        apiVersion: security.istio.io/v1
                        kind: AuthorizationPolicy
                        metadata: {name: api, namespace: shop}
                        spec:
                          selector: {matchLabels: {app: api}}
                          rules:
                          - from:
                            - source: {namespaces: [shop]}
                            - source: {namespaces: [ops]}
                            when:
                            - key: source.principal
                              values: [cluster.local/ns/shop/sa/web, cluster.local/ns/shop/sa/batch]
                        """)), new ImportOptions("example.org", "cluster.local", "app", List.of()));

        assertThat(r.findings()).noneMatch(f -> f.effect() != Finding.Effect.NOTE);
        Path target = dir.resolve("out");
        Files.createDirectories(target);
        Files.writeString(target.resolve("api.yaml"), r.files().get("api.yaml"));
        PolicyEngine engine = PolicyLoader.load(target);
        assertThat(decide(engine, "{service: api, principal: spiffe://example.org/ns/shop/sa/web, path: /}")
                        .allowed())
                .isTrue();
        assertThat(decide(engine, "{service: api, principal: spiffe://example.org/ns/shop/sa/other, path: /}")
                        .allowed())
                .isFalse();
        // ns ops and the listed shop principals have nothing in common: that alternative matches nothing in Istio.
        assertThat(r.files().get("api.yaml")).doesNotContain("/ns/ops/");
    }

    @Test
    void mapsATargetRefToAServiceAndNotesWhatItSkips() {
        IstioImport.Result r = IstioImport.convert(List.of(write("""
                        apiVersion: apps/v1
                        kind: Deployment
                        metadata: {name: api}
                        ---
                        apiVersion: security.istio.io/v1
                        kind: AuthorizationPolicy
                        metadata: {name: api, namespace: shop}
                        spec:
                          targetRefs:
                          - {kind: Service, group: "", name: api}
                          rules:
                          - to:
                            - operation: {methods: [GET]}
                        """)), ImportOptions.defaults());

        assertThat(r.files()).containsOnlyKeys("api.yaml");
        assertThat(r.findings())
                .singleElement()
                .satisfies(f -> assertThat(f.toString())
                        .endsWith(":1:1: note: apps/v1 Deployment: skipped: not a security.istio.io/v1"
                                + " AuthorizationPolicy or RequestAuthentication"));
    }

    @Test
    void reportsInvalidIstioInputWithItsPosition() {
        IstioImport.Result r = IstioImport.convert(List.of(write("""
                        apiVersion: security.istio.io/v1
                        kind: AuthorizationPolicy
                        metadata: {name: api, namespace: shop}
                        spec:
                          selector: {matchLabels: {app: api}}
                          rules: {from: []}
                        """)), ImportOptions.defaults());

        assertThat(r.writable(true)).isFalse();
        assertThat(r.findings())
                .extracting(Finding::toString)
                .singleElement()
                .asString()
                .endsWith(":6:10: cannot convert: invalid Istio resource: rules: a mapping (expected: a list)");
    }

    @Test
    void rejectsATrustDomainThatIsNotOneAsAUsageError() throws Exception {
        Path in = input(NAMESPACE_WIDE_DENY);

        assertThat(run(
                        "import-istio",
                        "--trust-domain",
                        "Example Org",
                        "--out",
                        dir.resolve("out").toString(),
                        in.toString()))
                .isEqualTo(2);

        assertThat(err.toString())
                .startsWith("trust domain: 'Example Org' (expected: lower-case letters, digits, '.', '-', '_')");
    }

    @Test
    void refusesAnOutputDirectoryThatAlreadyHoldsPolicies() throws Exception {
        Path in = input(NAMESPACE_WIDE_DENY);
        Path target = Files.createDirectories(dir.resolve("out"));
        Files.writeString(target.resolve("mine.yaml"), "# someone's policy\n");

        assertThat(run("import-istio", "--services", "cart", "--out", target.toString(), in.toString()))
                .isEqualTo(1);

        assertThat(err.toString()).contains("already holds policy files");
        assertThat(target.resolve("cart.yaml")).doesNotExist();
    }

    private Path write(String yaml) {
        try {
            return Files.writeString(Files.createTempFile(dir, "istio", ".yaml"), yaml);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Decision decide(PolicyEngine engine, String request) throws Exception {
        CaseRequest r = CaseFiles.parseRequest("request", request);
        AuthzRequest prepared = r.prepare().request();
        assertThat(prepared).isNotNull();
        return engine.decide(prepared);
    }
}
