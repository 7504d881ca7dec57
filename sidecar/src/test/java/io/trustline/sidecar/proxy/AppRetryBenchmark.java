package io.trustline.sidecar.proxy;

import com.linecorp.armeria.client.DecoratingHttpClientFunction;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * What {@link AppRetryingClient} adds to a request to the app that succeeds at once: the same client with and without
 * it, over an innermost decorator that answers 200 itself (no network). A GET without a body goes through Armeria's
 * {@code RetryingClient}; a POST with a body takes the plain path. Here, not in {@code sidecar.bench}, because the
 * client is package-private. Run with {@code -prof gc} for the allocation per call.
 *
 * <pre>
 * ./mvnw -o -q -pl sidecar test-compile exec:exec -Dexec.classpathScope=test -Dexec.executable=java \
 *   -Dexec.args="-cp %classpath org.openjdk.jmh.Main AppRetryBenchmark -f 1 -wi 3 -i 5 -prof gc"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@Fork(1)
public class AppRetryBenchmark {

    WebClient plain;
    WebClient retrying;

    @Setup
    public void setUp() {
        final DecoratingHttpClientFunction answer = (delegate, ctx, req) -> HttpResponse.of(HttpStatus.OK);
        plain = WebClient.builder("http://127.0.0.1:1").decorator(answer).build();
        retrying = WebClient.builder("http://127.0.0.1:1")
                .decorator(answer)
                .decorator(AppRetryingClient.newDecorator(new SimpleMeterRegistry()))
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

    @Benchmark
    public AggregatedHttpResponse plainPost() {
        return plain.post("/api/orders", "{}").aggregate().join();
    }

    @Benchmark
    public AggregatedHttpResponse retryingPost() {
        return retrying.post("/api/orders", "{}").aggregate().join();
    }
}
