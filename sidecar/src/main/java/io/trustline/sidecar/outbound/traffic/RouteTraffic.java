package io.trustline.sidecar.outbound.traffic;

import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.limit.ConcurrencyLimit;
import com.linecorp.armeria.client.limit.ConcurrencyLimitingClient;
import com.linecorp.armeria.common.util.SafeCloseable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.config.RetriesConfig;
import io.trustline.sidecar.config.RouteConfig;
import io.trustline.sidecar.config.RouteLimitsConfig;
import io.trustline.sidecar.metrics.MetricNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * How one route's requests travel, as client decorators built once per route from its {@code timeout},
 * {@code retries} and {@code limits}: Armeria's {@link ConcurrencyLimitingClient} (the circuit breaker), a response
 * timeout for the whole request, and {@link RouteRetryingClient}. A route with {@code attempts: 1}, no timeout and no
 * limits gets none of them: its path is exactly the plain one.
 *
 * @param around the decorators around the request as a whole, outermost first (limits, then timeout)
 * @param retries the retrying decorator, or null; it must sit inside the caller's {@code grpc-timeout} and outside
 *     every decorator that must see each attempt (the exact target, outlier detection)
 */
public record RouteTraffic(
        List<Function<? super HttpClient, ? extends HttpClient>> around,
        @Nullable Function<? super HttpClient, ? extends HttpClient> retries) {

    public RouteTraffic {
        around = List.copyOf(around);
    }

    /** The decorators of route {@code name}; its metrics go to {@code meters}. */
    public static RouteTraffic of(String name, RouteConfig route, MeterRegistry meters) {
        final List<Function<? super HttpClient, ? extends HttpClient>> around = new ArrayList<>();
        final RouteLimitsConfig limits = route.limits();
        final Integer maxConcurrent = limits.maxConcurrent();
        if (maxConcurrent != null) {
            around.add(limit(name, maxConcurrent, limits, meters));
        }
        final Duration timeout = route.timeout();
        if (timeout != null) {
            final long timeoutMillis = timeout.toMillis();
            around.add(delegate -> (HttpClient) (ctx, req) -> {
                // The caller's grpc-timeout is applied inside this decorator (Upstreams), which keeps the shorter.
                final long current = ctx.responseTimeoutMillis();
                if (current <= 0 || current > timeoutMillis) {
                    ctx.setResponseTimeoutMillis(timeoutMillis);
                }
                return delegate.execute(ctx, req);
            });
        }
        final RetriesConfig retries = route.retries();
        if (!retries.enabled()) {
            return new RouteTraffic(around, null);
        }
        final Counter sent = Counter.builder(MetricNames.OUTBOUND_RETRIES)
                .description("Retries a route sent (attempts after the first)")
                .tag(MetricNames.ROUTE, name)
                .register(meters);
        final Counter overBudget = Counter.builder(MetricNames.OUTBOUND_RETRIES_OVER_BUDGET)
                .description("Retries a route's retry budget refused; the caller got the failed attempt's answer")
                .tag(MetricNames.ROUTE, name)
                .register(meters);
        return new RouteTraffic(
                around, RouteRetryingClient.newDecorator(retries, RetryBudget.of(retries.budget()), sent, overBudget));
    }

    /** Whether the route adds nothing to the plain path. */
    public boolean none() {
        return around.isEmpty() && retries == null;
    }

    private static Function<? super HttpClient, ? extends HttpClient> limit(
            String name, int maxConcurrent, RouteLimitsConfig limits, MeterRegistry meters) {
        final Counter overloaded = Counter.builder(MetricNames.OUTBOUND_OVERLOADED)
                .description("Requests a route's limits refused with upstream.overloaded")
                .tag(MetricNames.ROUTE, name)
                .register(meters);
        final ConcurrencyLimit armeria = ConcurrencyLimit.builder(maxConcurrent)
                .maxPendingAcquisitions(limits.maxPending())
                .timeout(limits.pendingTimeout())
                .build();
        final ConcurrencyLimit counted = ctx -> {
            final CompletableFuture<SafeCloseable> permit = armeria.acquire(ctx);
            // Counted beside, not through, so the client still sees Armeria's own exception.
            permit.whenComplete((p, cause) -> {
                if (cause != null) {
                    overloaded.increment();
                }
            });
            return permit;
        };
        return delegate -> {
            final ConcurrencyLimitingClient client =
                    ConcurrencyLimitingClient.newDecorator(counted).apply(delegate);
            Gauge.builder(MetricNames.OUTBOUND_IN_FLIGHT, client, ConcurrencyLimitingClient::numActiveRequests)
                    .description("Requests of a route in flight or waiting for a slot of its limits")
                    .tag(MetricNames.ROUTE, name)
                    .strongReference(true)
                    .register(meters);
            return client;
        };
    }
}
