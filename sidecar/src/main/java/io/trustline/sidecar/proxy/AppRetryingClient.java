package io.trustline.sidecar.proxy;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.HttpClient;
import com.linecorp.armeria.client.SimpleDecoratingHttpClient;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.retry.AbstractRetryingClient;
import com.linecorp.armeria.client.retry.Backoff;
import com.linecorp.armeria.client.retry.RetryConfig;
import com.linecorp.armeria.client.retry.RetryDecision;
import com.linecorp.armeria.client.retry.RetryRule;
import com.linecorp.armeria.client.retry.RetryingClient;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.Refusal;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;

/**
 * Sends a request to the app again, once, when the connection it went out on broke before any response header arrived
 * and sending it again is safe. This is the keep-alive race of a pooled HTTP/1 connection: the app closes a connection
 * it holds idle at the moment the sidecar sends a request on it, and the request fails without a byte of answer
 * (envoyproxy/envoy#10007; Istio users see "upstream connect error or disconnect/reset before headers"). Armeria's
 * {@link RetryingClient} sends it again, at once; the broken connection has left the pool, so the second attempt goes
 * out on another connection, a new one unless another healthy one is idle.
 *
 * <p>Which requests, decided before anything is sent:
 *
 * <ul>
 *   <li>only a request without a body ({@link HttpRequest#isEmpty()}): a body streams to the app as it arrives, and
 *       Armeria's request duplicator would hold all of it until the app's response headers. Any other request goes
 *       the plain path, exactly as without this class, and is never sent twice;
 *   <li>of those, any method when Armeria reports the request as never sent ({@link UnprocessedRequestException});
 *   <li>and an idempotent one (RFC 9110: GET, HEAD, OPTIONS, TRACE, PUT, DELETE) when the connection or its stream
 *       closed before any response header ({@link ClosedSessionException}, {@link ClosedStreamException}): the app
 *       may have received it, and for these methods receiving it twice has the effect of receiving it once.
 * </ul>
 *
 * <p>Never after a response header arrived, whatever followed: the app answered, and a cut answer is the caller's to
 * see, not a reason to run the request again. A POST or PATCH that may have been sent is never sent again.
 */
final class AppRetryingClient extends SimpleDecoratingHttpClient {

    /** RFC 9110's idempotent methods (Armeria's {@code HttpMethod.idempotentMethods()} leaves out OPTIONS and TRACE). */
    static final Set<HttpMethod> IDEMPOTENT = Collections.unmodifiableSet(EnumSet.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE));

    /** The caller's own {@code armeria-retry-count}, set only on a request that carried one. */
    private static final AttributeKey<String> CALLER_RETRY_COUNT =
            AttributeKey.valueOf(AppRetryingClient.class, "CALLER_RETRY_COUNT");

    private static final AsciiString RETRY_COUNT = AbstractRetryingClient.ARMERIA_RETRY_COUNT;

    private final RetryingClient retrying;

    private AppRetryingClient(HttpClient delegate, Counter notSent, Counter reset) {
        super(delegate);
        final RetryRule rule = RetryRule.of(
                RetryRule.builder()
                        .onException((ctx, cause) -> cause instanceof UnprocessedRequestException)
                        .build(RetryDecision.retry(countedWithoutDelay(notSent))),
                RetryRule.builder(IDEMPOTENT)
                        .onException((ctx, cause) ->
                                (cause instanceof ClosedSessionException || cause instanceof ClosedStreamException)
                                        && beforeResponseHeaders(ctx))
                        .build(RetryDecision.retry(countedWithoutDelay(reset))));
        this.retrying = RetryingClient.builder(
                        RetryConfig.builder(rule).maxTotalAttempts(2).build())
                .build(asCallerSent(delegate));
    }

    /**
     * The decorator of the client to the app; retries are counted in {@link MetricNames#INBOUND_APP_RETRIES}, tagged
     * with the refusal the caller would have got without them.
     */
    static Function<? super HttpClient, AppRetryingClient> newDecorator(MeterRegistry meters) {
        final Counter notSent = retries(meters, UpstreamErrors.CONNECT_FAILED);
        final Counter reset = retries(meters, UpstreamErrors.RESET);
        return delegate -> new AppRetryingClient(delegate, notSent, reset);
    }

    @Override
    public HttpResponse execute(ClientRequestContext ctx, HttpRequest req) throws Exception {
        if (!req.isEmpty()) {
            return unwrap().execute(ctx, req);
        }
        final String callerRetryCount = req.headers().get(RETRY_COUNT);
        if (callerRetryCount != null) {
            ctx.setAttr(CALLER_RETRY_COUNT, callerRetryCount);
        }
        return retrying.execute(ctx, req);
    }

    private static Counter retries(MeterRegistry meters, Refusal without) {
        return Counter.builder(MetricNames.INBOUND_APP_RETRIES)
                .description("Requests sent to the app again after its connection broke before an answer")
                .tag(MetricNames.REASON, without.reason().code())
                .register(meters);
    }

    /**
     * No pause, and one count per retry. Armeria asks a retry decision's backoff for the delay exactly once for each
     * retry it is about to schedule, and never after the last attempt ({@code AbstractRetryingClient.getNextDelay}),
     * so this counts the retries sent, not the decisions.
     */
    private static Backoff countedWithoutDelay(Counter retries) {
        return attemptsSoFar -> {
            retries.increment();
            return 0;
        };
    }

    /**
     * Whether the attempt ended without response headers. A response that failed before them keeps Armeria's
     * placeholder headers in the log, whose status is {@link HttpStatus#UNKNOWN}; an app's status line never maps to
     * it. {@link RetryingClient} decides when the headers arrive, but hands the rule the response's failure if the
     * log already holds one by then, which may have followed headers that did arrive: without this check, such an
     * answer would be asked for again.
     */
    private static boolean beforeResponseHeaders(ClientRequestContext ctx) {
        final RequestLog log = ctx.log().getIfAvailable(RequestLogProperty.RESPONSE_HEADERS);
        return log != null && HttpStatus.UNKNOWN.equals(log.responseHeaders().status());
    }

    /**
     * {@code delegate} for each attempt, with the request headers the caller sent: Armeria marks a retry with its own
     * {@code armeria-retry-count}, which is not the app's to receive (a caller's own value goes to the app unchanged).
     */
    private static HttpClient asCallerSent(HttpClient delegate) {
        return (ctx, req) -> {
            final String sent = req.headers().get(RETRY_COUNT);
            if (sent == null) {
                return delegate.execute(ctx, req);
            }
            final String caller = ctx.attr(CALLER_RETRY_COUNT);
            if (sent.equals(caller)) {
                return delegate.execute(ctx, req);
            }
            final RequestHeadersBuilder h = req.headers().toBuilder();
            if (caller == null) {
                h.remove(RETRY_COUNT);
            } else {
                h.set(RETRY_COUNT, caller);
            }
            final HttpRequest asSent = req.withHeaders(h.build());
            ctx.updateRequest(asSent);
            return delegate.execute(ctx, asSent);
        };
    }
}
