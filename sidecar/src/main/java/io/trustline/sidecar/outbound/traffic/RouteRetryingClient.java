package io.trustline.sidecar.outbound.traffic;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.SimpleDecoratingHttpClient;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.endpoint.EndpointGroupException;
import com.linecorp.armeria.client.retry.AbstractRetryingClient;
import com.linecorp.armeria.client.retry.Backoff;
import com.linecorp.armeria.client.retry.RetryConfig;
import com.linecorp.armeria.client.retry.RetryDecision;
import com.linecorp.armeria.client.retry.RetryRule;
import com.linecorp.armeria.client.retry.RetryingClient;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import io.micrometer.core.instrument.Counter;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import io.trustline.sidecar.config.RetriesConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A route's retries: Armeria's {@link RetryingClient} for the requests that are safe to send again, the plain path for
 * the rest. Which requests are retried is decided once, from the request headers, before anything is buffered:
 *
 * <ul>
 *   <li>a request whose method is in {@code retries.methods} (default GET, HEAD, OPTIONS), or a gRPC call when
 *       {@code on.grpcStatuses} is not empty; any other request goes the plain path, never retried;
 *   <li>and whose body is known to fit {@code bufferBytes}: no body, or a {@code content-length} within it. Armeria's
 *       duplicator keeps what was sent until the peer's response headers arrive, with no limit, so a body of unknown
 *       length is sent once, never held; only a gRPC call on a route that lists {@code on.grpcStatuses} is retried
 *       with one, counted as it streams and no longer retried once it passes {@code bufferBytes}.
 * </ul>
 *
 * <p>The decision after each attempt is made on the response headers, before any of the response reaches the caller,
 * so a response that started streaming is never retried. A gRPC call is retried on its status only when the peer
 * answered trailers-only (the status in the headers, no message sent): Armeria's {@code onGrpcTrailers} would
 * aggregate every response to read its trailers, which a stream cannot afford. Each retry must also fit the route's
 * {@link RetryBudget}; when it does not, the caller gets the attempt's own answer.
 */
final class RouteRetryingClient extends SimpleDecoratingHttpClient {

    /** What one request's retries know about it; derived attempt contexts share it. */
    private static final AttributeKey<Attempts> ATTEMPTS = AttributeKey.valueOf(RouteRetryingClient.class, "ATTEMPTS");

    private static final String GRPC_CONTENT_TYPE = "application/grpc";
    private static final AsciiString RETRY_COUNT = AbstractRetryingClient.ARMERIA_RETRY_COUNT;
    private static final double JITTER = 0.2;

    private final RetryingClient retrying;
    private final RetryBudget budget;
    private final Set<HttpMethod> methods;
    private final boolean grpcRetries;
    private final long bufferBytes;

    private RouteRetryingClient(
            HttpClient delegate, RetriesConfig config, RetryBudget budget, Counter retries, Counter overBudget) {
        super(delegate);
        this.budget = budget;
        final EnumSet<HttpMethod> m = EnumSet.noneOf(HttpMethod.class);
        config.methods().forEach(name -> m.add(HttpMethod.valueOf(name)));
        this.methods = m;
        this.grpcRetries = !config.on().grpcStatuses().isEmpty();
        this.bufferBytes = config.bufferBytes();
        final Duration perTry = config.perTryTimeout();
        final RetryDecision retry = RetryDecision.retry(backoff(config.backoff()));
        final RetryConfig<HttpResponse> retryConfig = RetryConfig.builder(
                        budgeted(rule(config, retry), retry, config.attempts(), retries, overBudget))
                .maxTotalAttempts(config.attempts())
                .responseTimeoutMillisForEachAttempt(perTry == null ? 0 : perTry.toMillis())
                .build();
        this.retrying = RetryingClient.builder(retryConfig).build(asFirstSent(delegate));
    }

    /** The decorator of a route with {@code config}; {@code config.enabled()} must hold. */
    static java.util.function.Function<? super HttpClient, ? extends HttpClient> newDecorator(
            RetriesConfig config, RetryBudget budget, Counter retries, Counter overBudget) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("attempts: 1 (expected: > 1 for a retrying client)");
        }
        return delegate -> new RouteRetryingClient(delegate, config, budget, retries, overBudget);
    }

    @Override
    public HttpResponse execute(ClientRequestContext ctx, HttpRequest req) throws Exception {
        budget.request();
        final RequestHeaders headers = req.headers();
        final boolean byMethod = methods.contains(headers.method());
        final boolean grpc = isGrpc(headers);
        final long length = headers.contentLength();
        final boolean grpcRetried = grpc && grpcRetries;
        // Armeria's duplicator keeps every byte sent until the peer's response headers, with no limit: a body of
        // unknown length is retried only for a gRPC call on a route that lists grpcStatuses (its operator's choice,
        // see docs/sidecar.md); any other streamed body is sent once, never held.
        final boolean streamed = length < 0 && !req.isEmpty();
        if ((!byMethod && !grpcRetried) || length > bufferBytes || (streamed && !grpcRetried)) {
            return unwrap().execute(ctx, req);
        }
        final Attempts attempts = new Attempts(byMethod, grpc, headers.get(RETRY_COUNT));
        ctx.setAttr(ATTEMPTS, attempts);
        final HttpRequest sent = length >= 0 || req.isEmpty() ? req : req.peekData(d -> attempts.sent(d.length()));
        return retrying.execute(ctx, sent);
    }

    /**
     * {@code delegate} for each attempt, with the request headers the app sent: Armeria marks a retry with its own
     * {@code armeria-retry-count}, which is not the app's to receive (an app's own value, e.g. from an Armeria client
     * that retries itself, goes out unchanged on every attempt).
     */
    private static HttpClient asFirstSent(HttpClient delegate) {
        return (ctx, req) -> {
            final Attempts a = ctx.attr(ATTEMPTS);
            final String sent = req.headers().get(RETRY_COUNT);
            if (a == null || sent == null || sent.equals(a.appRetryCount)) {
                return delegate.execute(ctx, req);
            }
            final RequestHeadersBuilder h = req.headers().toBuilder();
            if (a.appRetryCount == null) {
                h.remove(RETRY_COUNT);
            } else {
                h.set(RETRY_COUNT, a.appRetryCount);
            }
            final HttpRequest first = req.withHeaders(h.build());
            ctx.updateRequest(first);
            return delegate.execute(ctx, first);
        };
    }

    private static boolean isGrpc(RequestHeaders headers) {
        final String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, GRPC_CONTENT_TYPE, 0, GRPC_CONTENT_TYPE.length());
    }

    /**
     * Whether an attempt's outcome calls for a retry: {@code retry} when it does, {@link RetryDecision#next()} when
     * not. Which request may be retried at all was decided in {@link #execute}.
     */
    private static RetryRule rule(RetriesConfig config, RetryDecision retry) {
        final RetriesConfig.On on = config.on();
        final List<RetryRule> rules = new ArrayList<>();
        final Set<Integer> statuses = Set.copyOf(on.statuses());
        rules.add(RetryRule.builder()
                .onStatus((ctx, status) -> byMethod(ctx) && statuses.contains(status.code()))
                .build(retry));
        if (on.connectFailure()) {
            // Nothing was sent: safe for every request that may be retried at all. A reset stream or connection may
            // have reached the app, so only the idempotent methods are retried on it.
            rules.add(RetryRule.builder()
                    .onException((ctx, cause) -> cause instanceof UnprocessedRequestException
                            && !(cause.getCause() instanceof EndpointGroupException))
                    .build(retry));
            rules.add(RetryRule.builder()
                    .onException((ctx, cause) -> byMethod(ctx)
                            && (cause instanceof ClosedSessionException || cause instanceof ClosedStreamException))
                    .build(retry));
        }
        final Set<String> grpcCodes = Set.copyOf(on.grpcStatusCodes());
        if (!grpcCodes.isEmpty()) {
            rules.add(RetryRule.builder()
                    .onResponseHeaders((ctx, headers) -> {
                        // grpc-status in the headers: a trailers-only answer (an ordinary answer has none there).
                        final String status = headers.get("grpc-status");
                        return status != null && grpc(ctx) && grpcCodes.contains(status);
                    })
                    .build(retry));
        }
        if (config.perTryTimeout() != null) {
            rules.add(RetryRule.builder()
                    .onException((ctx, cause) -> cause instanceof ResponseTimeoutException)
                    .build(retry));
        }
        return RetryRule.of(rules);
    }

    private static Backoff backoff(RetriesConfig.Backoff config) {
        return Backoff.exponential(config.base().toMillis(), config.max().toMillis())
                .withJitter(JITTER);
    }

    private static boolean byMethod(ClientRequestContext ctx) {
        final Attempts a = ctx.attr(ATTEMPTS);
        return a != null && a.byMethod;
    }

    private static boolean grpc(ClientRequestContext ctx) {
        final Attempts a = ctx.attr(ATTEMPTS);
        return a != null && a.grpc;
    }

    /**
     * {@code rule}, limited to the route's attempts, to bodies still within {@code bufferBytes} and to its budget.
     * The last attempt's outcome asks the budget for nothing: Armeria would not retry it anyway.
     */
    private RetryRule budgeted(RetryRule rule, RetryDecision retry, int maxAttempts, Counter retries, Counter refused) {
        return (ctx, cause) -> {
            final Attempts a = ctx.attr(ATTEMPTS);
            if (a == null || a.finished() >= maxAttempts || a.sentBytes > bufferBytes) {
                return CompletableFuture.completedFuture(RetryDecision.noRetry());
            }
            return rule.shouldRetry(ctx, cause).thenApply(decision -> {
                // The rules answer with this very instance when they call for a retry.
                if (decision != retry) {
                    return decision;
                }
                if (budget.tryRetry()) {
                    retries.increment();
                    return decision;
                }
                refused.increment();
                return RetryDecision.noRetry();
            });
        };
    }

    /** One request's retry state; touched on its event loop only, volatile for the odd callback elsewhere. */
    private static final class Attempts {
        final boolean byMethod;
        final boolean grpc;
        final @Nullable String appRetryCount;
        volatile int finished;
        volatile long sentBytes;

        Attempts(boolean byMethod, boolean grpc, @Nullable String appRetryCount) {
            this.byMethod = byMethod;
            this.grpc = grpc;
            this.appRetryCount = appRetryCount;
        }

        /** Counts one more finished attempt and returns how many there were. */
        @SuppressWarnings("NonAtomicVolatileUpdate") // one attempt finishes at a time, on the request's event loop
        int finished() {
            return ++finished;
        }

        @SuppressWarnings("NonAtomicVolatileUpdate") // the body streams on one event loop
        void sent(int bytes) {
            sentBytes += bytes;
        }
    }
}
