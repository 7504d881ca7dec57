package io.trustline.policy.bench;

import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.Decision;
import io.trustline.policy.engine.HeaderLookup;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.engine.QueryParams;
import io.trustline.policy.path.PathNormalizer;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One authorization decision against 1,000 rules of one service (the worst case: a service's
 * rules are not spread over services). The mix: 50 calling workloads in 10 namespaces, each
 * allowed a few methods on its own resources under {@code /api/v1/}, gRPC rules, user-token rules,
 * DENY rules for admin paths, and some rules the index cannot narrow (suffix patterns).
 *
 * <pre>
 * ./mvnw -q -pl policy test-compile exec:exec -Dexec.classpathScope=test -Dexec.executable=java \
 *   -Dexec.args="-cp %classpath org.openjdk.jmh.Main DecisionBenchmark -f 1 -wi 3 -i 5"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecisionBenchmark {

    static final int RULES = 1000;

    PolicyEngine engine;
    /** The same 1,000 rules plus regex DENY rules on the search API: requests elsewhere must not pay for them. */
    PolicyEngine engineWithRegex;

    AuthzRequest search;
    AuthzRequest allowed;
    AuthzRequest denied;
    AuthzRequest deniedByRule;
    AuthzRequest allowedGrpc;

    @Setup
    public void setUp() throws Exception {
        engine = PolicyEngine.compile(PolicyParser.parse("bench.yaml", policy(), Path.of(".")), "bench");
        HeaderLookup headers = HeaderLookup.of(Map.of("content-type", "application/json", "x-request-id", "abc"));
        InetAddress ip = InetAddress.getByName("10.1.2.3");
        allowed = new AuthzRequest(
                "gateway", principal(17), null, Map.of(), "GET", "/api/v1/resource-417/items/9", null, headers, ip);
        denied = new AuthzRequest(
                "gateway",
                "spiffe://example.org/ns/other/sa/intruder",
                null,
                Map.of(),
                "GET",
                "/api/v1/resource-417/items/9",
                null,
                headers,
                ip);
        deniedByRule = new AuthzRequest(
                "gateway", principal(17), null, Map.of(), "GET", "/admin/resource-17/x", null, headers, ip);
        allowedGrpc = new AuthzRequest(
                "gateway",
                principal(23),
                null,
                Map.of(),
                "POST",
                "/shop.v1.Service23/GetThing",
                "shop.v1.Service23/GetThing",
                headers,
                ip);
        engineWithRegex = PolicyEngine.compile(
                PolicyParser.parse("bench.yaml", policy() + REGEX_RULES, Path.of(".")), "bench-regex");
        search = new AuthzRequest(
                "gateway",
                principal(17),
                null,
                Map.of(),
                "GET",
                "/api/v1/resource-417/search",
                null,
                headers,
                ip,
                QueryParams.of("q=blue+shoes&page=2&sort=price"));
        check(allowed, true);
        check(denied, false);
        if (!engineWithRegex.decide(allowed).allowed()
                || !engineWithRegex.decide(search).allowed()) {
            throw new IllegalStateException("benchmark regex policy is wrong");
        }
        check(deniedByRule, false);
        check(allowedGrpc, true);
    }

    private void check(AuthzRequest r, boolean allow) {
        Decision d = engine.decide(r);
        if (d.allowed() != allow) {
            throw new IllegalStateException("benchmark policy is wrong for " + r + ": " + d);
        }
    }

    /** Four regex DENY rules, all on {@code /api/v1/resource-417/search}: path, query (any and one), header. */
    static final String REGEX_RULES = ""
            + "    - {name: rx-path, action: deny, to: {paths: [\"/api/v1/resource-417/search\"],"
            + " pathRegex: [\"(?i)/etc/passwd\", \"<script\"]}}\n"
            + "    - {name: rx-query, action: deny, to: {paths: [\"/api/v1/resource-417/search\"],"
            + " queryRegex: {\"*\": [\"(?i)<\\\\s*script\", \"(?i)javascript:\"]}}}\n"
            + "    - {name: rx-sql, action: deny, to: {paths: [\"/api/v1/resource-417/search\"],"
            + " queryRegex: {q: [\"(?i)union\\\\s+select\"]}}}\n"
            + "    - {name: rx-agent, action: deny, to: {paths: [\"/api/v1/resource-417/search\"],"
            + " headerRegex: {user-agent: [\"(?i)sqlmap|nikto\"]}}}\n";

    static String principal(int i) {
        return "spiffe://example.org/ns/ns" + (i % 10) + "/sa/svc" + i;
    }

    /** 1,000 rules: 800 REST, 100 gRPC, 50 user-token, 40 DENY, 10 suffix rules. */
    static String policy() {
        StringBuilder b = new StringBuilder(
                "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: gateway}\nspec:\n  service: gateway\n  rules:\n");
        int n = 0;
        for (int i = 0; i < 40; i++, n++) {
            b.append("    - {name: deny-")
                    .append(n)
                    .append(", action: deny, to: {paths: [\"/admin/resource-")
                    .append(i)
                    .append("/*\"]}}\n");
        }
        for (int i = 0; i < 800; i++, n++) {
            String methods = i % 3 == 0 ? "[GET, HEAD]" : i % 3 == 1 ? "[GET, POST]" : "[PUT, DELETE]";
            b.append("    - {name: rest-")
                    .append(n)
                    .append(", action: allow, from: {principals: [\"")
                    .append(principal(i % 50))
                    .append("\"]}, to: {methods: ")
                    .append(methods)
                    .append(", paths: [\"/api/v1/resource-")
                    .append(i)
                    .append("/*\"]}}\n");
        }
        for (int i = 0; i < 100; i++, n++) {
            b.append("    - {name: grpc-")
                    .append(n)
                    .append(", action: allow, from: {principals: [\"")
                    .append(principal(i % 50))
                    .append("\"]}, to: {grpc: [\"shop.v1.Service")
                    .append(i)
                    .append("/Get*\"]}}\n");
        }
        for (int i = 0; i < 50; i++, n++) {
            b.append("    - {name: user-")
                    .append(n)
                    .append(", action: allow, from: {requestPrincipals: [\"https://auth.example.org/*\"]}, ")
                    .append("to: {paths: [\"/users/")
                    .append(i)
                    .append("/*\"]}, when: [{claim: scope, contains: users.read}]}\n");
        }
        for (int i = 0; i < 10; i++, n++) {
            b.append("    - {name: static-")
                    .append(n)
                    .append(", action: allow, from: {principals: [\"")
                    .append(principal(i))
                    .append("\"]}, to: {paths: [\"*.css")
                    .append(i)
                    .append("\"]}}\n");
        }
        if (n != RULES) {
            throw new IllegalStateException("rules: " + n);
        }
        return b.toString();
    }

    @Benchmark
    public Decision allowedRequest() {
        return engine.decide(allowed);
    }

    @Benchmark
    public Decision deniedRequestNoMatch() {
        return engine.decide(denied);
    }

    @Benchmark
    public Decision deniedByDenyRule() {
        return engine.decide(deniedByRule);
    }

    @Benchmark
    public Decision allowedGrpcCall() {
        return engine.decide(allowedGrpc);
    }

    /** The allowed request against the engine that also has regex rules, on another path: the same cost. */
    @Benchmark
    public Decision allowedRequestWithRegexRulesElsewhere() {
        return engineWithRegex.decide(allowed);
    }

    /** A request every regex rule looks at (a fresh query each time, as each request parses its own). */
    @Benchmark
    public Decision searchCheckedByRegexRules() {
        return engineWithRegex.decide(new AuthzRequest(
                search.service(),
                search.principal(),
                null,
                search.claims(),
                search.method(),
                search.path(),
                null,
                search.headers(),
                search.sourceIp(),
                QueryParams.of(search.query().raw())));
    }

    /** What the sidecar does per request before deciding: normalise the path. */
    @Benchmark
    public Object normaliseAlreadyNormalPath() {
        return PathNormalizer.normalize("/api/v1/resource-417/items/9?x=1");
    }
}
