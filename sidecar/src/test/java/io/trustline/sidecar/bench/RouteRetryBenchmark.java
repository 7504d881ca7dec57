package io.trustline.sidecar.bench;

import com.linecorp.armeria.client.DecoratingHttpClientFunction;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.outbound.traffic.RouteTraffic;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a route's retries (attempts 2, the other keys at their defaults) add to a GET without a body that succeeds at once: the same client
 * with and without the retrying decorator, over an innermost decorator that answers 200 itself (no network, so the
 * difference is Armeria's {@code RetryingClient}: a derived context, the request duplicator, the split response, and
 * our rule and budget). Run with {@code -prof gc} for the allocation per call.
 *
 * <pre>
 * ./mvnw -o -q -pl sidecar test-compile exec:exec -Dexec.classpathScope=test -Dexec.executable=java \
 *   -Dexec.args="-cp %classpath org.openjdk.jmh.Main RouteRetryBenchmark -f 1 -wi 3 -i 5 -prof gc"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@Fork(1)
public class RouteRetryBenchmark {

    WebClient plain;
    WebClient retrying;

    @Setup
    public void setUp() {
        final DecoratingHttpClientFunction answer = (delegate, ctx, req) -> HttpResponse.of(HttpStatus.OK);
        plain = WebClient.builder("http://127.0.0.1:1").decorator(answer).build();
        final RouteTraffic traffic = RouteTraffic.of(
                "bench",
                new io.trustline.sidecar.config.RouteConfig(
                        HostPort.parse("127.0.0.1:1"),
                        SpiffeId.parse("spiffe://example.org/ns/shop/sa/bench"),
                        null,
                        null,
                        null,
                        null,
                        io.trustline.sidecar.config.OutlierDetectionConfig.DEFAULT,
                        null,
                        new io.trustline.sidecar.config.RetriesConfig(2, null, null, null, null, null, null),
                        io.trustline.sidecar.config.RouteLimitsConfig.UNLIMITED),
                new SimpleMeterRegistry());
        retrying = WebClient.builder("http://127.0.0.1:1")
                .decorator(answer)
                .decorator(Objects.requireNonNull(traffic.retries()))
                .build();
    }

    @Benchmark
    public AggregatedHttpResponse plainGet() {
        return plain.get("/api/orders/17").aggregate().join();
    }

    @Benchmark
    public AggregatedHttpResponse retryingGet() {
        return retrying.get("/api/orders/17").aggregate().join();
    }
}
