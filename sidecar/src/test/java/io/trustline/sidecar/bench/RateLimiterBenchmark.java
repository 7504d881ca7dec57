package io.trustline.sidecar.bench;

import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.trustline.ca.SpiffeId;
import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.ratelimit.BucketSpec;
import io.trustline.sidecar.ratelimit.KeyedBuckets;
import io.trustline.sidecar.ratelimit.RateLimitService.Phase;
import io.trustline.sidecar.ratelimit.RateLimits;
import io.trustline.sidecar.request.InboundRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The rate-limit check on a warm path, under contention (two threads, as the two event loops of a sidecar on two
 * cores). Budget: under 200 ns per check.
 *
 * <ul>
 *   <li>{@code sameCaller}: both threads take tokens from one bucket (one caller flooding: the CAS contended);
 *   <li>{@code ownCaller}: each thread its own caller (the usual case);
 *   <li>{@code thousandCallers}: each thread cycles through 1,000 callers (cache lookups over many keys);
 *   <li>{@code refused}: an empty bucket (a caller over its limit: reads only, no write);
 *   <li>{@code stageCheck}: the whole check of the peer stage for one request: the current policy, two limits
 *       (one matching), the key from the request's peer identity, the caller's bucket (shared by both threads),
 *       the outcome. Each thread reuses its request context, so the {@code RateLimit-*} response headers are
 *       written only when the remaining count drops (writing them costs one copy of a three-header map).
 * </ul>
 *
 * <pre>
 * ./mvnw -o -q -pl sidecar test-compile exec:exec -Dexec.classpathScope=test -Dexec.executable=java \
 *   -Dexec.args="-cp %classpath org.openjdk.jmh.Main RateLimiterBenchmark -f 1 -wi 3 -i 5 -t 2"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(2)
@Fork(1)
public class RateLimiterBenchmark {

    static final int CALLERS = 1_000;

    /** Never empties in a run: a billion tokens a second, a burst of a trillion. */
    KeyedBuckets plenty;
    /** Empty from the start and refilled once an hour. */
    KeyedBuckets empty;

    RateLimits limits;

    final AtomicInteger threads = new AtomicInteger();

    @Setup
    public void setUp() throws Exception {
        plenty = new KeyedBuckets(
                BucketSpec.of(1_000_000_000_000L, 1),
                Map.of(),
                10_000,
                Ticker.systemTicker(),
                ForkJoinPool.commonPool());
        empty = new KeyedBuckets(
                BucketSpec.of(1, TimeUnit.HOURS.toNanos(1)),
                Map.of(),
                10_000,
                Ticker.systemTicker(),
                ForkJoinPool.commonPool());
        empty.tryAcquire("spiffe://example.org/ns/shop/sa/flood");

        final PolicyEngine engine = PolicyEngine.compile(
                PolicyParser.parse(
                        "bench.yaml",
                        "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: bench}\nspec:\n"
                                + "  service: orders\n"
                                + "  rules: [{name: all, action: allow}]\n"
                                + "  rateLimits:\n"
                                + "    - {name: per-caller, key: principal, rate: 1000000000/s, burst: 1000000000}\n"
                                + "    - {name: writes, match: {methods: [POST]}, key: principal, rate: 10/s}\n",
                        Path.of(".")),
                "bench");
        limits = RateLimits.builder(() -> engine.forService("orders"), "orders").build();
    }

    /** A request as the peer stage sees it, one per thread (each event loop has its own requests). */
    @State(Scope.Thread)
    public static class Request {
        RequestHeaders headers;
        ServiceRequestContext ctx;

        @Setup
        public void setUp(RateLimiterBenchmark bench) throws Exception {
            headers = RequestHeaders.builder(HttpMethod.GET, "/api/orders/17").build();
            ctx = ServiceRequestContext.builder(HttpRequest.of(headers))
                    .remoteAddress(new InetSocketAddress(InetAddress.getByName("10.0.0.7"), 40000))
                    .build();
            // Both threads are the same caller: its bucket is shared, as when its calls land on both event loops.
            final String peer = "spiffe://example.org/ns/shop/sa/frontend";
            ctx.setAttr(PeerIdentity.ATTR, new PeerIdentity(SpiffeId.parse(peer), "00", "By=x;URI=" + peer));
            InboundRequest.put(ctx, new InboundRequest(PathNormalizer.normalize(headers.path())));
            if (bench.limits.check(Phase.PEER, ctx, headers) != null) {
                throw new IllegalStateException("the stage check refused in setup");
            }
        }
    }

    /** One caller per thread, and a thousand callers per thread to cycle through. */
    @State(Scope.Thread)
    public static class Caller {
        String own;
        String[] many;
        int next;

        @Setup
        public void setUp(RateLimiterBenchmark bench) {
            final int t = bench.threads.getAndIncrement();
            own = "spiffe://example.org/ns/shop/sa/caller-" + t;
            many = new String[CALLERS];
            for (int i = 0; i < CALLERS; i++) {
                many[i] = "spiffe://example.org/ns/t" + t + "/sa/caller-" + i;
            }
        }
    }

    @Benchmark
    public long sameCaller() {
        return plenty.tryAcquire("spiffe://example.org/ns/shop/sa/frontend");
    }

    @Benchmark
    public long ownCaller(Caller caller) {
        return plenty.tryAcquire(caller.own);
    }

    @Benchmark
    public long thousandCallers(Caller caller) {
        final int i = caller.next;
        caller.next = i + 1 == CALLERS ? 0 : i + 1;
        return plenty.tryAcquire(caller.many[i]);
    }

    @Benchmark
    public long refused() {
        return empty.tryAcquire("spiffe://example.org/ns/shop/sa/flood");
    }

    @Benchmark
    public Object stageCheck(Request request) {
        return limits.check(Phase.PEER, request.ctx, request.headers);
    }
}
