package io.trustline.sidecar.overload;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.RefusalErrorHandler;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A listener with overload protection in front of an app whose answers the test releases one by one. */
class ConcurrencyLimitingServiceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /** Answers of requests being served; the test completes them. */
    private final Queue<CompletableFuture<HttpResponse>> held = new ConcurrentLinkedQueue<>();

    private Server server;
    private WebClient client;

    private void start(int maxConcurrent, int maxPending, Duration pendingTimeout) {
        server = Server.builder()
                .port(0, SessionProtocol.HTTP)
                .requestTimeout(Duration.ZERO)
                .errorHandler(new RefusalErrorHandler())
                .service("/hold", (ctx, req) -> {
                    final CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
                    held.add(answer);
                    return HttpResponse.of(answer);
                })
                .service("/now", (ctx, req) -> HttpResponse.of("ok"))
                .decorator(ConcurrencyLimitingService.newDecorator(
                        "inbound", maxConcurrent, maxPending, pendingTimeout, meters))
                .build();
        server.start().join();
        client = WebClient.builder("http://127.0.0.1:" + server.activeLocalPort())
                .responseTimeout(Duration.ofSeconds(30))
                .build();
    }

    @AfterEach
    void stop() {
        held.forEach(f -> f.complete(HttpResponse.of("late")));
        if (server != null) {
            server.stop().join();
        }
    }

    private CompletableFuture<AggregatedHttpResponse> send(String path) {
        return client.get(path).aggregate();
    }

    private void releaseOne() {
        held.poll().complete(HttpResponse.of("released"));
    }

    private double refusals(String reason) {
        return meters.find(MetricNames.OVERLOAD_REFUSALS)
                .tag(MetricNames.LISTENER, "inbound")
                .tag(MetricNames.REASON, reason)
                .counter()
                .count();
    }

    private double gauge(String name) {
        return meters.find(name).tag(MetricNames.LISTENER, "inbound").gauge().value();
    }

    @Test
    void beyondTheLimitAndTheQueueRequestsGet503AndQueuedOnesAreServedInTurn() throws Exception {
        start(2, 1, Duration.ofSeconds(30));
        final CompletableFuture<AggregatedHttpResponse> first = send("/hold");
        final CompletableFuture<AggregatedHttpResponse> second = send("/hold");
        Awaitility.await().until(() -> held.size() == 2);
        final CompletableFuture<AggregatedHttpResponse> queued = send("/now");
        Awaitility.await().until(() -> gauge(MetricNames.OVERLOAD_PENDING) == 1);
        assertThat(gauge(MetricNames.OVERLOAD_ACTIVE)).isEqualTo(2);

        final AggregatedHttpResponse refused = send("/now").join();
        assertThat(refused.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(JSON.readTree(refused.contentUtf8()).get("reason").asText()).isEqualTo("overload.concurrency_limit");
        assertThat(refusals("overload.concurrency_limit")).isEqualTo(1);
        assertThat(queued).isNotDone();

        releaseOne();
        assertThat(first.join().contentUtf8()).isEqualTo("released");
        assertThat(queued.join().contentUtf8()).isEqualTo("ok"); // got the slot the first one gave back
        releaseOne();
        assertThat(second.join().status()).isEqualTo(HttpStatus.OK);
        Awaitility.await().until(() -> gauge(MetricNames.OVERLOAD_ACTIVE) == 0);
        assertThat(gauge(MetricNames.OVERLOAD_PENDING)).isZero();
    }

    @Test
    void aRequestThatWaitsTooLongIsRefused() throws Exception {
        start(1, 5, Duration.ofMillis(200));
        final CompletableFuture<AggregatedHttpResponse> holder = send("/hold");
        Awaitility.await().until(() -> held.size() == 1);
        final AggregatedHttpResponse waited = send("/now").join();
        assertThat(waited.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(JSON.readTree(waited.contentUtf8()).get("reason").asText()).isEqualTo("overload.pending_timeout");
        assertThat(refusals("overload.pending_timeout")).isEqualTo(1);
        assertThat(gauge(MetricNames.OVERLOAD_PENDING)).isZero();
        releaseOne();
        assertThat(holder.join().status()).isEqualTo(HttpStatus.OK);
        assertThat(send("/now").join().status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void grpcCallersGetUnavailableTrailersOnly() {
        start(1, 0, Duration.ofSeconds(1));
        send("/hold");
        Awaitility.await().until(() -> held.size() == 1);
        final AggregatedHttpResponse refused = client.execute(RequestHeaders.builder(HttpMethod.POST, "/now")
                        .contentType(MediaType.parse("application/grpc"))
                        .build())
                .aggregate()
                .join();
        assertThat(refused.status()).isEqualTo(HttpStatus.OK);
        assertThat(refused.headers().get("grpc-status")).isEqualTo("14");
        assertThat(refused.headers().get("x-trustline-reason")).isEqualTo("overload.concurrency_limit");
    }

    @Test
    void slotsComeBackWhenCallersGiveUpAndWhenResponsesEnd() {
        start(1, 0, Duration.ofSeconds(1));
        final CompletableFuture<AggregatedHttpResponse> impatient = WebClient.builder(
                        "http://127.0.0.1:" + server.activeLocalPort())
                .responseTimeout(Duration.ofMillis(200))
                .build()
                .get("/hold")
                .aggregate();
        Awaitility.await().until(impatient::isDone); // the caller timed out and reset the request
        Awaitility.await().until(() -> gauge(MetricNames.OVERLOAD_ACTIVE) == 0);
        for (int i = 0; i < 50; i++) {
            assertThat(send("/now").join().status()).isEqualTo(HttpStatus.OK);
        }
        // The slot is released when the response has been written, which can be just after the client read it.
        Awaitility.await().until(() -> gauge(MetricNames.OVERLOAD_ACTIVE) == 0);
    }
}
