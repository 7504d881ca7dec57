package io.trustline.sidecar.overload;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Overload protection for one listener, independent of policy: at most {@code maxConcurrentRequests} requests are
 * served at once (a request holds its slot until its response is complete, so a long stream holds one for its whole
 * life); up to {@code maxPendingRequests} more wait in arrival order, each for at most {@code pendingTimeout}.
 * Anything beyond is refused at once with 503 / UNAVAILABLE ({@code overload.concurrency_limit}); a request that
 * waited too long gets the same with {@code overload.pending_timeout}. Nothing is queued without a bound, and a
 * waiting request holds no thread: its body stays in the connection's flow-control window until it is served.
 *
 * <p>Armeria's own throttling ({@code ThrottlingService}) decides per request without a notion of "in flight", and
 * {@code maxNumConnections} / {@code http2MaxStreamsPerConnection} bound connections and streams per connection
 * (both are applied from the same {@code limits} section), but not requests across connections; hence this class.
 */
public final class ConcurrencyLimitingService extends SimpleDecoratingHttpService {

    static final Refusal AT_LIMIT = Refusal.of(RefusalKind.OVERLOADED, ReasonCode.OVERLOAD_CONCURRENCY_LIMIT);
    static final Refusal PENDING_TIMEOUT = Refusal.of(RefusalKind.OVERLOADED, ReasonCode.OVERLOAD_PENDING_TIMEOUT);

    /**
     * A decorator that limits the listener {@code listener} ({@code inbound} or {@code outbound}, a metric tag) to
     * {@code maxConcurrentRequests} in flight and {@code maxPendingRequests} waiting up to {@code pendingTimeout}.
     */
    public static Function<? super HttpService, ConcurrencyLimitingService> newDecorator(
            String listener,
            int maxConcurrentRequests,
            int maxPendingRequests,
            Duration pendingTimeout,
            MeterRegistry meters) {
        if (pendingTimeout.isZero() || pendingTimeout.isNegative()) {
            throw new IllegalArgumentException("pendingTimeout: " + pendingTimeout + " (expected: > 0)");
        }
        final ConcurrencyLimit limit = new ConcurrencyLimit(maxConcurrentRequests, maxPendingRequests);
        Gauge.builder(MetricNames.OVERLOAD_ACTIVE, limit, ConcurrencyLimit::active)
                .description("Requests being served by the listener")
                .tag(MetricNames.LISTENER, listener)
                .register(meters);
        Gauge.builder(MetricNames.OVERLOAD_PENDING, limit, ConcurrencyLimit::pending)
                .description("Requests waiting for a slot")
                .tag(MetricNames.LISTENER, listener)
                .register(meters);
        final Counter atLimit = refusals(meters, listener, AT_LIMIT);
        final Counter timedOut = refusals(meters, listener, PENDING_TIMEOUT);
        // One limit for the listener, whichever services it decorates.
        return delegate -> new ConcurrencyLimitingService(delegate, limit, pendingTimeout.toNanos(), atLimit, timedOut);
    }

    private static Counter refusals(MeterRegistry meters, String listener, Refusal refusal) {
        return Counter.builder(MetricNames.OVERLOAD_REFUSALS)
                .description("Requests refused by a listener's overload protection")
                .tag(MetricNames.LISTENER, listener)
                .tag(MetricNames.REASON, refusal.reason().code())
                .register(meters);
    }

    private final ConcurrencyLimit limit;
    private final long pendingTimeoutNanos;
    private final Counter atLimit;
    private final Counter timedOut;

    ConcurrencyLimitingService(
            HttpService delegate, ConcurrencyLimit limit, long pendingTimeoutNanos, Counter atLimit, Counter timedOut) {
        super(delegate);
        this.limit = limit;
        this.pendingTimeoutNanos = pendingTimeoutNanos;
        this.atLimit = atLimit;
        this.timedOut = timedOut;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        if (limit.tryAcquire()) {
            return serveWithPermit(ctx, req);
        }
        final Pending waiter = new Pending(ctx, req);
        if (!limit.enqueue(waiter)) {
            atLimit.increment();
            return Refusals.respond(ctx, req.headers(), AT_LIMIT);
        }
        // Scheduled once queued; if a slot came first, the timeout finds the waiter claimed and does nothing.
        waiter.timeout = ctx.eventLoop().schedule(waiter::timeOut, pendingTimeoutNanos, TimeUnit.NANOSECONDS);
        return HttpResponse.of(waiter.response);
    }

    private HttpResponse serveWithPermit(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        // The log completes once the request and the response are both done, however they end.
        ctx.log().whenComplete().thenRun(limit::release);
        return unwrap().serve(ctx, req);
    }

    /** A request waiting for a slot, served on its own event loop once it gets one. */
    private final class Pending extends ConcurrencyLimit.Waiter {
        final ServiceRequestContext ctx;
        final HttpRequest req;
        final CompletableFuture<HttpResponse> response = new CompletableFuture<>();
        volatile @Nullable ScheduledFuture<?> timeout;

        Pending(ServiceRequestContext ctx, HttpRequest req) {
            this.ctx = ctx;
            this.req = req;
        }

        @Override
        void run() {
            final ScheduledFuture<?> scheduled = timeout;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            ctx.eventLoop().execute(() -> {
                try {
                    response.complete(serveWithPermit(ctx, req));
                } catch (Throwable t) {
                    response.completeExceptionally(t);
                }
            });
        }

        void timeOut() {
            if (claim()) {
                limit.remove(this);
                timedOut.increment();
                response.complete(Refusals.respond(ctx, req.headers(), PENDING_TIMEOUT));
            }
        }
    }
}
