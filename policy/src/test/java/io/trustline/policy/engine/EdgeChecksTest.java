package io.trustline.policy.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.trustline.policy.PolicyParser;
import io.trustline.policy.model.RegexMatch;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compiled edge checks: query decoding, regular expressions, CORS origins, deprecation headers, warnings. */
class EdgeChecksTest {

    static PolicyEngine engine(String spec) throws Exception {
        String yaml = "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  service: web\n" + spec;
        return PolicyEngine.compile(PolicyParser.parse("p.yaml", yaml, Path.of(".")), "test");
    }

    @Test
    void queryParametersAreDecodedOnceAsFormEncoding() {
        QueryParams q = QueryParams.of("q=%3Cscript%3E+x&empty&a=1&a=%E2%82%AC&bad=%zz%4&=v");
        assertThat(q.values("q")).containsExactly("<script> x");
        assertThat(q.values("empty")).containsExactly("");
        assertThat(q.values("a")).containsExactly("1", "€");
        assertThat(q.values("bad")).containsExactly("%zz%4");
        assertThat(q.values("")).containsExactly("v");
        assertThat(q.values("missing")).isEmpty();
        assertThat(QueryParams.count("a=1&&b=2&")).isEqualTo(2);
        assertThat(QueryParams.of("%FF%FE=x").decoded().get(0)).isEqualTo("\uFFFD\uFFFD");
        assertThat(QueryParams.decodePath("/a%20b/c+d")).isEqualTo("/a b/c+d");
    }

    @Test
    void aValueLongerThanTheLimitCountsAsAMatch() {
        RegexMatch r = RegexMatch.compile("^never$");
        assertThat(r.matches("x".repeat(RegexMatch.MAX_INPUT_CHARS))).isFalse();
        assertThat(r.matches("x".repeat(RegexMatch.MAX_INPUT_CHARS + 1))).isTrue();
        assertThat(r.matches(null)).isFalse();
    }

    /** A stall guard, not a benchmark: a backtracking engine would not finish this in a lifetime. */
    @Test
    void aCatastrophicPatternStaysLinear() {
        RegexMatch r = RegexMatch.compile("^(a+)+$");
        String evil = "a".repeat(RegexMatch.MAX_INPUT_CHARS - 1) + "!";
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 20; i++) {
                assertThat(r.matches(evil)).isFalse();
            }
        });
    }

    @Test
    void regexRulesLookAtEveryValueOfAHeader() throws Exception {
        PolicyEngine e = engine("  rules:\n"
                + "    - {name: scanners, action: deny, to: {headerRegex: {user-agent: [\"(?i)nikto\"]}}}\n"
                + "    - {name: all, action: allow}\n");
        HeaderLookup two = new HeaderLookup() {
            @Override
            public String get(String name) {
                return name.equals("user-agent") ? "curl" : null;
            }

            @Override
            public List<String> all(String name) {
                return name.equals("user-agent") ? List.of("curl", "Nikto/2.5") : List.of();
            }
        };
        AuthzRequest r = AuthzRequest.builder("web", "GET", "/x").headers(two).build();
        assertThat(e.decide(r).rule()).isEqualTo("scanners");
        assertThat(e.explain(AuthzRequest.builder("web", "GET", "/x").build()).render())
                .contains("to.headerRegex.user-agent: header absent");
    }

    @Test
    void sameOriginAllowsTheDefaultPortAndHostCase() {
        assertThat(CorsCheck.isSameOrigin("https://api.example.org", "https", "API.example.org:443"))
                .isTrue();
        assertThat(CorsCheck.isSameOrigin("https://api.example.org:443", "https", "api.example.org"))
                .isTrue();
        assertThat(CorsCheck.isSameOrigin("http://api.example.org", "https", "api.example.org"))
                .isFalse();
        assertThat(CorsCheck.isSameOrigin("https://api.example.org.evil", "https", "api.example.org"))
                .isFalse();
        assertThat(CorsCheck.isSameOrigin("https://api.example.org", "https", null))
                .isFalse();
    }

    @Test
    void corsHeaderValuesAreComputedOnce() throws Exception {
        CorsCheck c = engine("  cors:\n"
                        + "    allowOrigins: [\"https://shop.example.org\"]\n"
                        + "    allowHeaders: [Authorization, content-type]\n"
                        + "    exposeHeaders: [x-request-id]\n"
                        + "    maxAge: 10m\n"
                        + "    allowCredentials: true\n"
                        + "  rules: [{name: all, action: allow}]\n")
                .forService("web")
                .cors()
                .orElseThrow();
        assertThat(c.allowMethods()).isEqualTo("GET, HEAD, POST");
        assertThat(c.allowHeaders()).isEqualTo("authorization, content-type");
        assertThat(c.exposeHeaders()).isEqualTo("x-request-id");
        assertThat(c.maxAge()).isEqualTo("600");
        assertThat(c.allowOrigin("https://shop.example.org")).isEqualTo("https://shop.example.org");
        assertThat(c.check(
                        "OPTIONS", "https://shop.example.org", "https", "api", "POST", " Content-Type ,AUTHORIZATION"))
                .isEqualTo(CorsCheck.Outcome.PREFLIGHT_ALLOWED);
    }

    @Test
    void aWildcardOriginIsAWarningNotAnError() throws Exception {
        PolicyEngine e = engine("  cors: {allowOrigins: [\"*\"]}\n  rules: [{name: all, action: allow}]\n");
        assertThat(e.warnings()).singleElement().satisfies(w -> {
            assertThat(w.toString()).startsWith("p.yaml:6:24: cors.allowOrigins: '*' lets any website");
        });
        assertThat(e.forService("web").cors().orElseThrow().allowOrigin("https://a.example"))
                .isEqualTo("*");
    }

    @Test
    void deprecationHeadersFollowTheRfcs() throws Exception {
        PolicyEngine e = engine("  deprecations:\n"
                + "    - name: v1\n"
                + "      match: {paths: [\"/v1/*\"], grpc: [\"shop.v1.Orders/*\"]}\n"
                + "      deprecated: 2026-01-01T00:00:00Z\n"
                + "      sunset: 2026-06-30\n"
                + "      link: https://docs.example.org/v2\n"
                + "      afterSunset: refuse\n"
                + "  rules: [{name: all, action: allow}]\n");
        DeprecatedRoute r = e.forService("web").deprecations().match("GET", "/v1/orders", null);
        assertThat(r).isNotNull();
        assertThat(r.deprecationHeader()).isEqualTo("@1767225600");
        assertThat(r.sunsetHeader()).isEqualTo("Tue, 30 Jun 2026 00:00:00 GMT");
        assertThat(r.linkHeaders())
                .containsExactly(
                        "<https://docs.example.org/v2>; rel=\"deprecation\"; type=\"text/html\"",
                        "<https://docs.example.org/v2>; rel=\"sunset\"; type=\"text/html\"");
        assertThat(r.refuses(Instant.parse("2026-06-29T23:59:59Z"))).isFalse();
        assertThat(r.refuses(Instant.parse("2026-06-30T00:00:00Z"))).isTrue();
        assertThat(e.forService("web").deprecations().match("POST", "/shop.v1.Orders/Get", "shop.v1.Orders/Get"))
                .isSameAs(r);
        assertThat(e.forService("web").deprecations().match("GET", "/v2/orders", null))
                .isNull();
        assertThat(e.forService("other").deprecations().isEmpty()).isTrue();
    }

    @Test
    void requestLimitsCheckLengthCountAndHeaders() throws Exception {
        RequestLimitsCheck l = engine("  requestLimits: {maxQueryParams: 2, maxQueryBytes: 10, maxHeaderCount: 3}\n"
                        + "  rules: [{name: all, action: allow}]\n")
                .forService("web")
                .requestLimits()
                .orElseThrow();
        assertThat(l.check(null, 3)).isNull();
        assertThat(l.check("a=1&b=2", 1)).isNull();
        assertThat(l.check("a=1&b=2&c", 1)).isEqualTo(RequestLimitsCheck.Exceeded.TOO_MANY_QUERY_PARAMS);
        assertThat(l.check("a=123456789", 1)).isEqualTo(RequestLimitsCheck.Exceeded.QUERY_TOO_LONG);
        assertThat(l.check(null, 4)).isEqualTo(RequestLimitsCheck.Exceeded.TOO_MANY_HEADERS);
        assertThat(l.check(null, -1)).isNull();
        assertThat(HeaderLookup.of(Map.of("a", "1", "B", "2")).count()).isEqualTo(2);
    }
}
