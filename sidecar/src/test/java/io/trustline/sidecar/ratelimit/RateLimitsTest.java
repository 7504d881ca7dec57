package io.trustline.sidecar.ratelimit;

import static io.trustline.sidecar.ratelimit.Requests.BATCH;
import static io.trustline.sidecar.ratelimit.Requests.FRONTEND;
import static io.trustline.sidecar.ratelimit.Requests.engine;
import static io.trustline.sidecar.ratelimit.Requests.get;
import static io.trustline.sidecar.ratelimit.Requests.grpc;
import static io.trustline.sidecar.ratelimit.Requests.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.ratelimit.RateLimitService.Phase;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.request.RateLimitOutcome;
import io.trustline.sidecar.testing.FakeTicker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class RateLimitsTest {

    private final FakeTicker ticker = new FakeTicker();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicReference<PolicyEngine> policy = new AtomicReference<>();

    private RateLimits limits(String spec) {
        policy.set(engine(spec));
        return RateLimits.builder(() -> policy.get().forService(Requests.SERVICE), Requests.SERVICE)
                .ticker(ticker)
                .meterRegistry(meters)
                .executor(Runnable::run)
                .build();
    }

    /** What one request met in both stages. */
    private record Result(
            @Nullable Refusal refusal,
            HttpHeaders headers,
            @Nullable RateLimitOutcome outcome) {
        boolean allowed() {
            return refusal == null;
        }

        @Nullable
        String header(CharSequence name) {
            return refusal != null ? refusal.headers().get(name) : headers.get(name);
        }
    }

    private static Result send(RateLimits limits, Requests r) {
        final ServiceRequestContext ctx = r.ctx();
        Refusal refusal = limits.check(Phase.PEER, ctx, r.headers());
        if (refusal == null) {
            refusal = limits.check(Phase.USER, ctx, r.headers());
        }
        return new Result(refusal, ctx.additionalResponseHeaders(), ctx.attr(RateLimitOutcome.ATTR));
    }

    private double refusals(String limit, String mode) {
        final var c = meters.find(MetricNames.RATELIMIT_REFUSALS)
                .tag(MetricNames.LIMIT, limit)
                .tag(MetricNames.MODE, mode)
                .counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void fivePerTenSecondsLetsABurstOfFiveThroughThenRefusesWithHeaders() {
        final RateLimits limits =
                limits("  rateLimits:\n    - {name: per-caller, key: principal, rate: 30/m, burst: 5}\n");
        for (int i = 1; i <= 5; i++) {
            final Result r = send(limits, get("/api/x"));
            assertThat(r.allowed()).isTrue();
            assertThat(r.header(RateLimitHeaders.LIMIT)).isEqualTo("5");
            assertThat(r.header(RateLimitHeaders.REMAINING)).isEqualTo(Integer.toString(5 - i));
            assertThat(r.header(RateLimitHeaders.RESET)).isEqualTo(Integer.toString(2 * i));
            assertThat(r.outcome()).isNull();
        }
        for (int i = 0; i < 3; i++) {
            final Result r = send(limits, get("/api/x"));
            assertThat(r.refusal().kind()).isEqualTo(RefusalKind.RATE_LIMITED);
            assertThat(r.refusal().reason()).isEqualTo(ReasonCode.RATELIMIT_EXCEEDED);
            assertThat(r.header(RateLimitHeaders.LIMIT)).isEqualTo("5");
            assertThat(r.header(RateLimitHeaders.REMAINING)).isEqualTo("0");
            assertThat(r.header(RateLimitHeaders.RESET)).isEqualTo("10");
            assertThat(r.header(RateLimitHeaders.RETRY_AFTER)).isEqualTo("2");
            assertThat(r.outcome()).isEqualTo(new RateLimitOutcome("per-caller", RateLimitOutcome.Kind.LIMIT, true));
        }
        assertThat(refusals("per-caller", "enforce")).isEqualTo(3);

        ticker.advance(Duration.ofMillis(500));
        assertThat(send(limits, get("/api/x")).header(RateLimitHeaders.RETRY_AFTER))
                .isEqualTo("2"); // 1.5 s, up
        ticker.advance(Duration.ofMillis(1500));
        final Result refilled = send(limits, get("/api/x"));
        assertThat(refilled.allowed()).isTrue();
        assertThat(refilled.header(RateLimitHeaders.REMAINING)).isEqualTo("0");
    }

    @Test
    void eachCallerHasItsOwnBucket() {
        final RateLimits limits =
                limits("  rateLimits:\n    - {name: per-caller, key: principal, rate: 1/m, burst: 2}\n");
        assertThat(send(limits, get("/a")).allowed()).isTrue();
        assertThat(send(limits, get("/a")).allowed()).isTrue();
        assertThat(send(limits, get("/a")).allowed()).isFalse();
        assertThat(send(limits, get("/a").peer(BATCH)).allowed()).isTrue();
        // A plaintext peer (permissive mode) is counted by its source address instead.
        assertThat(send(limits, get("/a").peer(null).ip("192.0.2.7")).allowed()).isTrue();
        assertThat(send(limits, get("/a").peer(null).ip("192.0.2.7")).allowed()).isTrue();
        assertThat(send(limits, get("/a").peer(null).ip("192.0.2.7")).allowed()).isFalse();
    }

    @Test
    void writesAreLimitedSeparatelyFromReadsAndTheStricterBucketIsAnnounced() {
        final RateLimits limits = limits("  rateLimits:\n"
                + "    - {name: per-caller, key: principal, rate: 100/s, burst: 100}\n"
                + "    - {name: writes, match: {methods: [POST, PUT, DELETE]}, key: principal, rate: 1/m, burst: 2}\n");
        final Result w1 = send(limits, post("/api/orders"));
        assertThat(w1.header(RateLimitHeaders.LIMIT)).isEqualTo("2"); // the bucket closest to refusing
        assertThat(w1.header(RateLimitHeaders.REMAINING)).isEqualTo("1");
        assertThat(send(limits, post("/api/orders")).allowed()).isTrue();
        final Result w3 = send(limits, post("/api/orders"));
        assertThat(w3.allowed()).isFalse();
        assertThat(w3.outcome().limit()).isEqualTo("writes");
        assertThat(w3.header(RateLimitHeaders.RETRY_AFTER)).isEqualTo("60"); // one token a minute
        // Reads still pass, and the refused write took nothing from the per-caller bucket: 100 - 2 writes - 1 read.
        final Result read = send(limits, get("/api/orders"));
        assertThat(read.allowed()).isTrue();
        assertThat(read.header(RateLimitHeaders.LIMIT)).isEqualTo("100");
        assertThat(read.header(RateLimitHeaders.REMAINING)).isEqualTo("97");
    }

    @Test
    void whenSeveralLimitsRefuseTheStrictestIsNamed() {
        final RateLimits limits = limits("  rateLimits:\n"
                + "    - {name: per-second, key: principal, rate: 1/s, burst: 1}\n"
                + "    - {name: per-hour, key: global, rate: 1/h, burst: 1}\n"
                + "    - {name: per-minute, key: principal, rate: 1/m, burst: 1}\n");
        assertThat(send(limits, get("/a")).allowed()).isTrue();
        final Result r = send(limits, get("/a"));
        assertThat(r.outcome()).isEqualTo(new RateLimitOutcome("per-hour", RateLimitOutcome.Kind.LIMIT, true));
        assertThat(r.header(RateLimitHeaders.RETRY_AFTER)).isEqualTo("3600");
        assertThat(r.header(RateLimitHeaders.LIMIT)).isEqualTo("1");
        // Every refusing limit is counted; the response names one.
        assertThat(refusals("per-second", "enforce")).isEqualTo(1);
        assertThat(refusals("per-minute", "enforce")).isEqualTo(1);
        assertThat(refusals("per-hour", "enforce")).isEqualTo(1);
    }

    @Test
    void auditModeLimitCountsAndMarksButNeverRefusesOrAnnounces() {
        final RateLimits limits =
                limits("  rateLimits:\n    - {name: trial, key: principal, rate: 1/m, burst: 1, mode: audit}\n");
        final Result first = send(limits, get("/a"));
        assertThat(first.allowed()).isTrue();
        assertThat(first.outcome()).isNull();
        assertThat(first.headers().contains(RateLimitHeaders.LIMIT)).isFalse();
        for (int i = 0; i < 3; i++) {
            final Result r = send(limits, get("/a"));
            assertThat(r.allowed()).isTrue();
            assertThat(r.outcome()).isEqualTo(new RateLimitOutcome("trial", RateLimitOutcome.Kind.LIMIT, false));
        }
        assertThat(refusals("trial", "audit")).isEqualTo(3);
    }

    @Test
    void userLimitsRunOnlyAfterAuthenticationAndIgnoreRequestsWithoutAUser() {
        final RateLimits limits =
                limits("  rateLimits:\n    - {name: per-user, key: requestPrincipal, rate: 1/m, burst: 1}\n");
        final ServiceRequestContext ctx = get("/a").user("alice", Map.of()).ctx();
        assertThat(limits.check(Phase.PEER, ctx, get("/a").headers())).isNull();
        assertThat(ctx.additionalResponseHeaders().contains(RateLimitHeaders.LIMIT))
                .isFalse();
        assertThat(limits.check(Phase.USER, ctx, get("/a").headers())).isNull();
        assertThat(ctx.additionalResponseHeaders().get(RateLimitHeaders.REMAINING))
                .isEqualTo("0");

        assertThat(send(limits, get("/a").user("alice", Map.of())).allowed()).isFalse();
        assertThat(send(limits, get("/a").user("bob", Map.of())).allowed()).isTrue();
        // No verified token: no value for the key, so the limit does not count the request at all.
        for (int i = 0; i < 5; i++) {
            assertThat(send(limits, get("/a")).allowed()).isTrue();
        }
    }

    @Test
    void claimKeySharesABucketPerClaimValueAndIgnoresNonScalarClaims() {
        final RateLimits limits =
                limits("  rateLimits:\n    - {name: per-tenant, key: 'claim:tenant', rate: 1/m, burst: 2}\n");
        assertThat(send(limits, get("/a").user("alice", Map.of("tenant", "acme")))
                        .allowed())
                .isTrue();
        assertThat(send(limits, get("/a").user("bob", Map.of("tenant", "acme"))).allowed())
                .isTrue();
        assertThat(send(limits, get("/a").user("carol", Map.of("tenant", "acme")))
                        .allowed())
                .isFalse();
        assertThat(send(limits, get("/a").user("dave", Map.of("tenant", 42))).allowed())
                .isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(send(limits, get("/a").user("eve", Map.of("tenant", List.of("a", "b"))))
                            .allowed())
                    .isTrue();
        }
    }

    @Test
    void routeKeyIsTheGrpcMethodOrTheMethodAndNormalisedPath() {
        final RateLimits limits = limits("  rateLimits:\n    - {name: per-route, key: route, rate: 1/m, burst: 1}\n");
        assertThat(send(limits, get("/api/a")).allowed()).isTrue();
        assertThat(send(limits, get("/api/a").peer(BATCH)).allowed()).isFalse(); // one bucket per route
        assertThat(send(limits, post("/api/a")).allowed()).isTrue(); // another method, another route
        assertThat(send(limits, get("/api/b")).allowed()).isTrue();
        assertThat(send(limits, grpc("shop.v1.Orders/Get")).allowed()).isTrue();
        assertThat(send(limits, grpc("shop.v1.Orders/Get")).allowed()).isFalse();
    }

    @Test
    void matchSelectsRequestsByGrpcMethodPathAndPrincipal() {
        final RateLimits limits = limits("  rateLimits:\n"
                + "    - {name: grpc-get, match: {grpc: ['shop.v1.Orders/Get*']}, key: global, rate: 1/m, burst: 1}\n"
                + "    - {name: batch-admin, match: {paths: ['/admin/*'], principals: ['" + BATCH
                + "']}, key: global, rate: 1/m, burst: 1}\n");
        assertThat(send(limits, grpc("shop.v1.Orders/GetOrder")).allowed()).isTrue();
        assertThat(send(limits, grpc("shop.v1.Orders/GetItem")).allowed()).isFalse();
        assertThat(send(limits, grpc("shop.v1.Orders/Put")).allowed()).isTrue();
        assertThat(send(limits, get("/admin/x")).allowed()).isTrue(); // frontend: not matched
        assertThat(send(limits, get("/admin/x")).allowed()).isTrue();
        assertThat(send(limits, get("/admin/x").peer(BATCH)).allowed()).isTrue();
        assertThat(send(limits, get("/admin/y").peer(BATCH)).allowed()).isFalse();
    }

    @Test
    void overridesGiveOneCallerItsOwnRateAndAddressesMatchInAnyNotation() {
        final RateLimits limits = limits("  rateLimits:\n"
                + "    - name: per-ip\n"
                + "      key: sourceIp\n"
                + "      rate: 1/m\n"
                + "      burst: 1\n"
                + "      overrides:\n"
                + "        - {value: '2001:db8:0:7::/64', rate: 1/m, burst: 3}\n"
                + "        - {value: '::ffff:192.0.2.9', rate: 1/m, burst: 2}\n");
        // IPv6 sources count per /64: these two addresses share the override's bucket of 3.
        assertThat(send(limits, get("/a").ip("2001:db8:0:7::1")).allowed()).isTrue();
        assertThat(send(limits, get("/a").ip("2001:db8:0:7:ffff::2")).allowed()).isTrue();
        assertThat(send(limits, get("/a").ip("2001:db8::7:0:0:0:3")).allowed()).isTrue();
        assertThat(send(limits, get("/a").ip("2001:db8:0:7::4")).allowed()).isFalse();
        assertThat(send(limits, get("/a").ip("2001:db8:0:8::1")).allowed()).isTrue();
        assertThat(send(limits, get("/a").ip("2001:db8:0:8::1")).allowed()).isFalse();
        assertThat(send(limits, get("/a").ip("192.0.2.9")).allowed()).isTrue();
        assertThat(send(limits, get("/a").ip("192.0.2.9")).allowed()).isTrue();
        assertThat(send(limits, get("/a").ip("192.0.2.9")).allowed()).isFalse();
    }

    @Test
    void principalOverrideGivesABatchJobMore() {
        final RateLimits limits = limits("  rateLimits:\n"
                + "    - name: per-caller\n      key: principal\n      rate: 1/m\n      burst: 1\n"
                + "      overrides: [{value: '" + BATCH + "', rate: 10/m}]\n");
        assertThat(send(limits, get("/a").peer(BATCH)).header(RateLimitHeaders.LIMIT))
                .isEqualTo("10");
        assertThat(send(limits, get("/a")).header(RateLimitHeaders.LIMIT)).isEqualTo("1");
    }

    @Test
    void reloadKeepsTheBucketsOfUnchangedLimitsAndResetsChangedOnes() {
        final String kept = "    - {name: kept, key: principal, rate: 1/m, burst: 2}\n";
        final RateLimits limits =
                limits("  rateLimits:\n" + kept + "    - {name: changed, key: global, rate: 1/m, burst: 1}\n");
        send(limits, get("/a"));
        assertThat(send(limits, get("/a")).outcome())
                .isEqualTo(new RateLimitOutcome("changed", RateLimitOutcome.Kind.LIMIT, true));
        // A new version of the policy: the unchanged limit moved down a line, the other one got a new burst.
        policy.set(engine(
                "  # reloaded\n  rateLimits:\n" + kept + "    - {name: changed, key: global, rate: 1/m, burst: 5}\n"));
        final Result after = send(limits, get("/a"));
        assertThat(after.allowed()).isTrue(); // "changed" starts full
        assertThat(send(limits, get("/a")).outcome())
                .isEqualTo(new RateLimitOutcome("kept", RateLimitOutcome.Kind.LIMIT, true));
        // Removing every limit lets everything through.
        policy.set(engine(""));
        assertThat(send(limits, get("/a")).allowed()).isTrue();
        assertThat(send(limits, get("/a")).headers().contains(RateLimitHeaders.LIMIT))
                .isFalse();
    }

    @Test
    void aUserStageRefusalReplacesThePeerStagesAnnouncedHeaders() {
        final RateLimits limits = limits("  rateLimits:\n"
                + "    - {name: per-caller, key: principal, rate: 100/m, burst: 100}\n"
                + "    - {name: per-user, key: requestPrincipal, rate: 1/m, burst: 1}\n");
        final Result ok = send(limits, get("/a").user("alice", Map.of()));
        assertThat(ok.header(RateLimitHeaders.LIMIT)).isEqualTo("1"); // the user's bucket is closer to refusing
        final Result refused = send(limits, get("/a").user("alice", Map.of()));
        assertThat(refused.outcome()).isEqualTo(new RateLimitOutcome("per-user", RateLimitOutcome.Kind.LIMIT, true));
        assertThat(refused.headers().contains(RateLimitHeaders.LIMIT)).isFalse(); // only the refusal's own
        assertThat(refused.refusal().headers().get(RateLimitHeaders.LIMIT)).isEqualTo("1");
        // The peer stage's token was taken before the user stage refused: the stages are separate budgets.
        assertThat(send(limits, get("/a")).header(RateLimitHeaders.REMAINING)).isEqualTo("97");
    }

    @Test
    void bucketsStayBoundedWhenAFloodOfSourceAddressesPassesThroughTheStages() {
        policy.set(engine("  rateLimits:\n    - {name: per-ip, key: sourceIp, rate: 10/s, burst: 10}\n"));
        final RateLimits limits = RateLimits.builder(() -> policy.get().forService(Requests.SERVICE), Requests.SERVICE)
                .ticker(ticker)
                .maxKeysPerLimit(1_000)
                .executor(Runnable::run)
                .build();
        for (int i = 0; i < 20_000; i++) {
            final String ip = "10.1." + ((i >> 8) & 0xff) + '.' + (i & 0xff);
            assertThat(send(limits, get("/a").ip(ip)).allowed()).isTrue();
        }
        assertThat(limits.bucketCount("per-ip")).isLessThanOrEqualTo(1_000);
    }

    @Test
    void longKeyValuesAreBounded() {
        final String longValue = "x".repeat(10_000);
        final String bounded = RateLimitKeys.bounded(longValue);
        assertThat(bounded.length()).isLessThanOrEqualTo(RateLimitKeys.MAX_KEY_CHARS);
        assertThat(RateLimitKeys.bounded(longValue + "y")).isNotEqualTo(bounded);
        assertThat(RateLimitKeys.bounded("short")).isEqualTo("short");
    }

    @Test
    void addressOverridesAreNormalised() {
        assertThat(RateLimitKeys.normalizeAddress("2001:DB8::/64")).isEqualTo("2001:db8:0:0::/64");
        assertThat(RateLimitKeys.normalizeAddress("2001:db8::1")).isEqualTo("2001:db8:0:0::/64");
        assertThat(RateLimitKeys.normalizeAddress("::ffff:10.0.0.1")).isEqualTo("10.0.0.1");
        assertThat(RateLimitKeys.normalizeAddress("10.0.0.1")).isEqualTo("10.0.0.1");
        assertThat(RateLimitKeys.normalizeAddress(FRONTEND)).isEqualTo(FRONTEND);
        assertThat(RateLimitKeys.normalizeAddress("1.2.3.4.5")).isEqualTo("1.2.3.4.5");
    }
}
