package io.trustline.sidecar.bench;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.sidecar.jwt.FoundToken;
import io.trustline.sidecar.jwt.Issuers;
import io.trustline.sidecar.jwt.JwtAuthenticator;
import io.trustline.sidecar.jwt.TestTokens;
import io.trustline.sidecar.jwt.Verification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One JWT check as the inbound stage makes it ({@link JwtAuthenticator#verify}): cached (the token was verified
 * before: hash, cache lookup, expiry and key checks) and uncached (parse, key selection, signature, claims), for
 * RS256 (2048-bit), ES256 (P-256, Bouncy Castle) and EdDSA (Ed25519). The tokens carry a typical claim set (~600 to
 * ~800 bytes). {@code rs256CachedFromRequest} starts one step earlier, from the request's headers, as the inbound
 * stage does. Add {@code -prof gc} for the bytes allocated per check ({@code gc.alloc.rate.norm}).
 *
 * <pre>
 * ./mvnw -o -q -pl sidecar test-compile exec:exec -Dexec.classpathScope=test -Dexec.executable=java \
 *   -Dexec.args="-cp %classpath org.openjdk.jmh.Main JwtBenchmark -f 1 -wi 3 -i 5"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JwtBenchmark {

    JwtAuthenticator cached;
    JwtAuthenticator uncached;
    Issuers cachedIssuers;
    Issuers uncachedIssuers;
    FoundToken rs256;
    FoundToken es256;
    FoundToken eddsa;
    RequestHeaders rs256Request;
    Path dir;

    @Setup
    public void setUp() throws Exception {
        final TestTokens tokens = new TestTokens("https://auth.example.org", "bench", Clock.systemUTC());
        dir = Files.createTempDirectory("jwt-bench");
        final Path jwks = Files.writeString(dir.resolve("jwks.json"), tokens.jwks());
        final PolicyEngine engine = PolicyEngine.compile(
                PolicyParser.parse(
                        "bench.yaml",
                        "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: bench}\nspec:\n"
                                + "  service: orders\n  jwt:\n    - issuer: https://auth.example.org\n"
                                + "      audiences: [backend]\n      jwksFile: " + jwks + "\n"
                                + "      claimsToHeaders: {sub: x-user-id}\n",
                        dir),
                "bench");
        cached = JwtAuthenticator.builder(() -> engine.forService("orders"), "orders")
                .build();
        uncached = JwtAuthenticator.builder(() -> engine.forService("orders"), "orders")
                .tokenCacheSize(0)
                .build();
        while (!cached.ready() || !uncached.ready()) {
            Thread.onSpinWait();
        }
        cachedIssuers = cached.current();
        uncachedIssuers = uncached.current();
        rs256 = FoundToken.bearer(tokens.rs256());
        es256 = FoundToken.bearer(tokens.es256());
        eddsa = FoundToken.bearer(tokens.eddsa());
        rs256Request = RequestHeaders.builder(HttpMethod.GET, "/api/orders")
                .add("authorization", "Bearer " + tokens.rs256())
                .build();
        for (FoundToken t : new FoundToken[] {rs256, es256, eddsa}) {
            if (!(cached.verify(cachedIssuers, t, false) instanceof Verification.Verified)
                    || !(uncached.verify(uncachedIssuers, t, false) instanceof Verification.Verified)) {
                throw new IllegalStateException("benchmark token not accepted: " + t);
            }
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        cached.close();
        uncached.close();
        Files.deleteIfExists(dir.resolve("jwks.json"));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public Verification rs256Cached() {
        return cached.verify(cachedIssuers, rs256, false);
    }

    /** As the inbound stage does it: the token found in the request's headers, then checked (cached). */
    @Benchmark
    public Verification rs256CachedFromRequest() {
        final FoundToken found = Objects.requireNonNull(cachedIssuers.find(rs256Request, null));
        return cached.verify(cachedIssuers, found, false);
    }

    @Benchmark
    public Verification rs256Uncached() {
        return uncached.verify(uncachedIssuers, rs256, false);
    }

    @Benchmark
    public Verification es256Cached() {
        return cached.verify(cachedIssuers, es256, false);
    }

    @Benchmark
    public Verification es256Uncached() {
        return uncached.verify(uncachedIssuers, es256, false);
    }

    @Benchmark
    public Verification eddsaCached() {
        return cached.verify(cachedIssuers, eddsa, false);
    }

    @Benchmark
    public Verification eddsaUncached() {
        return uncached.verify(uncachedIssuers, eddsa, false);
    }
}
